"""The covers overview shows, under each guide, the photos ranked above its pick that were not
chosen, and why (covers.selectors.why_not over covers.allocation.why_not)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from contest.models import Contest, Entry, Participant
from covers import services
from covers.models import Guide, Pick

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def why_not_rows(html: str, guide: Guide) -> list[tuple[str, str]]:
    """(photo title, why) of the guide's table, in order."""
    card = html[html.index(f'id="guide-{guide.pk}"') :]
    card = card[: card.index("</article>")]
    table = re.search(r"<tbody>(.*?)</tbody>", card, re.S)
    if table is None:
        return []
    rows = re.findall(r'<th scope="row">(.*?)</th>.*?<td>.*?</td><td>(.*?)</td>', table.group(1))
    return [(title, why.replace("&quot;", '"').replace("&#x27;", "'")) for title, why in rows]


def test_the_overview_says_why_each_better_ranked_photo_is_not_the_cover(
    contest: Contest,
    entrant: Participant,
    other_entrant: Participant,
    guide: Guide,
    chair: object,
    marketing_user: object,
    shortlist: Callable[..., list[Entry]],
) -> None:
    second = Guide.objects.create(contest=contest, name="Ligne 5", line_label="5", format="DL")
    big = (2600, 1800)
    _small, best, _also, other = shortlist(
        [(entrant, (900, 600)), (entrant, big), (entrant, big), (other_entrant, big)]
    )
    services.allocation_suggest(contest=contest, actor=chair)  # type: ignore[arg-type]
    assert Pick.objects.get(guide=guide).entry_id == best.pk
    assert Pick.objects.get(guide=second).entry_id == other.pk

    client = Client()
    client.force_login(marketing_user, backend=PASSWORD_BACKEND)  # type: ignore[arg-type]
    html = client.get(reverse("covers:overview", args=[contest.slug])).content.decode()

    too_small = "Non éligible : Trop petite pour ce format : 71 ppi, il en faut au moins 200."
    assert "Mieux classées, non retenues : pourquoi" in html
    assert why_not_rows(html, guide) == [("Photo 1", too_small)]
    assert why_not_rows(html, second) == [
        ("Photo 1", too_small),
        ("Photo 2", "Déjà la couverture du guide « Ligne 2 »."),
        (
            "Photo 3",
            "Le participant a déjà une couverture (« Photo 2 », guide Ligne 2) : "
            "une couverture par participant.",
        ),
    ]


def test_the_overview_says_a_hand_choice_keeps_the_place(
    contest: Contest,
    entrant: Participant,
    other_entrant: Participant,
    guide: Guide,
    chair: object,
    marketing_user: object,
    shortlist: Callable[..., list[Entry]],
) -> None:
    _best, other = shortlist([(entrant, (2600, 1800)), (other_entrant, (2600, 1800))])
    services.pick_set(guide=guide, entry=other, slot=0, actor=marketing_user)  # type: ignore[arg-type]

    client = Client()
    client.force_login(marketing_user, backend=PASSWORD_BACKEND)  # type: ignore[arg-type]
    html = client.get(reverse("covers:overview", args=[contest.slug])).content.decode()
    assert why_not_rows(html, guide) == [("Photo 1", "Une photo choisie à la main garde la place.")]
