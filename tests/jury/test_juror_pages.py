"""The jurors' pages through the Django client: judging by plain POST and by htmx, skip,
undo, favourite, note, recusal, paused and closed rounds, compare, the ranking form, and
the pictures served only for the juror's own photos.

Jurors sign in by link: their clients log in through django-sesame's backend.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contest.models import Contest
from jury import selectors, services
from jury.models import Ballot, Juror, Note, Recusal, Round, RoundEntry, Task
from tests.factories import ContestFactory, UserFactory
from tests.jury.conftest import JURY_PERSONAS

pytestmark = pytest.mark.django_db

SLUG = "couvertures-2027"
HTMX = {"HTTP_HX_REQUEST": "true"}


def juror_client(user: object) -> Client:
    client = Client()
    client.force_login(user, backend="sesame.backends.ModelBackend")  # type: ignore[arg-type]
    return client


def seat(user: object) -> Juror:
    return Juror.objects.get(user=user)


def my_tasks(user: object) -> list[Task]:
    return list(
        Task.objects.filter(juror=seat(user))
        .exclude(state=Task.State.CANCELLED)
        .select_related("round_entry")
        .order_by("pk")
    )


def url(name: str, *args: object) -> str:
    return reverse(f"jury:{name}", args=[SLUG, *args])


def fr(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


def shown_task(response: object) -> int | None:
    """The task id of the photo on the judging screen (its fragment's data-task)."""
    html = response.content.decode()  # type: ignore[attr-defined]
    marker = 'id="judge" class="judge" data-task="'
    start = html.index(marker) + len(marker)
    value = html[start : html.index('"', start)]
    return int(value) if value else None


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", JURY_PERSONAS)
def test_only_the_contests_jurors_open_the_judging_screen(
    persona: str,
    persona_client: Callable[[str], Client],
    active_round: Callable[..., Round],
) -> None:
    active_round(quorum=3, photos=2)
    response = persona_client(persona).get(url("judge"))
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("contest:signin"))
    elif persona in ("juror", "other_juror"):
        assert response.status_code == 200
    else:
        # The chair holds judge_entry but is not on this contest's jury.
        assert response.status_code == 403, persona


def test_a_juror_of_another_contest_is_refused(active_round: Callable[..., Round]) -> None:
    active_round(quorum=3, photos=2)
    elsewhere = ContestFactory(slug="autre-concours")
    stranger = UserFactory(email="jure@ailleurs.example")
    stranger.groups.add(Group.objects.get(name="Jury"))
    Juror.objects.create(contest=elsewhere, user=stranger, alias="J1")
    client = juror_client(stranger)
    assert client.get(url("home")).status_code == 403
    assert client.get(url("judge")).status_code == 403


# --- home ----------------------------------------------------------------------------------


def test_the_home_page_shows_the_round_and_the_progress(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(quorum=3, photos=3)
    client = juror_client(juror)
    response = client.get(url("home"), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 200
    assert "0 sur 3 · 6 jours restants" in html
    assert fr("Start judging") in html
    first = my_tasks(juror)[0]
    services.task_vote(task_id=first.pk, juror=seat(juror), version=first.version, value=1)
    html = client.get(url("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "1 sur 3" in html
    assert fr("Continue judging") in html


def test_the_home_page_says_when_there_is_nothing_to_judge(contest: Contest, juror: object) -> None:
    html = juror_client(juror).get(url("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert fr("Nothing to judge now. You will receive an e-mail when a round starts.") in html


# --- voting --------------------------------------------------------------------------------


def test_a_vote_by_plain_post_counts_and_the_next_photo_follows(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(quorum=3, photos=3)
    first, second, _third = my_tasks(juror)
    client = juror_client(juror)
    assert shown_task(client.get(url("judge"))) == first.pk

    response = client.post(url("vote", first.pk), {"version": first.version, "value": 1})
    assert response.status_code == 302
    assert response["Location"] == url("task", second.pk)
    first.refresh_from_db()
    assert (first.state, first.value, first.version) == ("done", 1.0, 1)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "1 sur 3" in page


def test_a_vote_by_htmx_swaps_in_the_next_photo_and_says_so(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(kind=Round.Kind.RATING, quorum=3, photos=3)
    first, second, _third = my_tasks(juror)
    response = juror_client(juror).post(
        url("vote", first.pk), {"version": first.version, "value": 4}, **HTMX
    )
    assert response.status_code == 200
    assert shown_task(response) == second.pk
    html = response.content.decode()
    assert 'hx-swap-oob="innerHTML:#status"' in html
    assert first.round_entry.code in html  # "Vote recorded for 1XXXXX."
    assert "<html" not in html  # a fragment, not a page
    first.refresh_from_db()
    assert first.value == 4.0


def test_a_rating_with_criteria_records_each_score(
    active_round: Callable[..., Round], juror: object
) -> None:
    criteria = [
        {"code": "fit", "label": "Respect du thème", "weight": 2},
        {"code": "light", "label": "Lumière", "weight": 1},
    ]
    active_round(kind=Round.Kind.RATING, quorum=3, photos=2, criteria=criteria)
    first, _second = my_tasks(juror)
    client = juror_client(juror)
    html = client.get(url("task", first.pk)).content.decode()
    assert "Respect du thème" in html and "Lumière" in html
    assert 'name="score-fit"' in html and 'name="score-light"' in html

    client.post(url("vote", first.pk), {"version": 0, "score-fit": 5, "score-light": 2})
    first.refresh_from_db()
    assert first.scores == {"fit": 5.0, "light": 2.0}
    assert first.value == pytest.approx(4.0)


def test_a_stale_vote_is_refused_with_the_message_in_the_status_region(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(quorum=3, photos=2)
    first = my_tasks(juror)[0]
    client = juror_client(juror)
    client.post(url("vote", first.pk), {"version": 0, "value": 1})
    response = client.post(
        url("vote", first.pk), {"version": 0, "value": 0}, HTTP_ACCEPT_LANGUAGE="fr", **HTMX
    )
    html = response.content.decode()
    assert shown_task(response) == first.pk  # the same photo, to look at again
    assert fr("This vote changed meanwhile (another tab?): look again.") in html
    assert "status-error" in html
    first.refresh_from_db()
    assert first.value == 1.0


def test_skipping_puts_the_photo_at_the_end(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(quorum=3, photos=3)
    first, second, third = my_tasks(juror)
    client = juror_client(juror)
    response = client.post(url("skip", first.pk), **HTMX)
    assert shown_task(response) == second.pk
    response = client.post(url("vote", second.pk), {"version": 0, "value": 1}, **HTMX)
    assert shown_task(response) == third.pk
    response = client.post(url("vote", third.pk), {"version": 0, "value": 0}, **HTMX)
    assert shown_task(response) == first.pk  # the skipped one comes back last
    assert shown_task(client.get(url("judge"))) == first.pk


def test_undo_takes_back_my_last_vote_and_shows_its_photo(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(quorum=3, photos=3)
    first, second, _third = my_tasks(juror)
    client = juror_client(juror)
    client.post(url("vote", first.pk), {"version": 0, "value": 1})
    client.post(url("vote", second.pk), {"version": 0, "value": 0})
    response = client.post(url("undo"), {"current": _third.pk}, **HTMX)
    assert shown_task(response) == second.pk
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.state, second.value) == ("open", None)
    assert first.state == "done"
    # Without JavaScript: a redirect to the photo whose vote was taken back.
    response = client.post(url("undo"))
    assert response["Location"] == url("task", first.pk)


def test_the_favourite_star_goes_on_and_off(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(quorum=3, photos=2)
    first = my_tasks(juror)[0]
    client = juror_client(juror)
    response = client.post(url("favourite", first.pk), HTTP_ACCEPT_LANGUAGE="fr", **HTMX)
    assert shown_task(response) == first.pk
    assert fr("Favourite: remove (F)") in response.content.decode()
    first.refresh_from_db()
    assert first.favourite
    client.post(url("favourite", first.pk))
    first.refresh_from_db()
    assert not first.favourite


def test_a_note_is_kept_for_the_jury_and_shown_again(
    active_round: Callable[..., Round], juror: object, other_juror: object
) -> None:
    active_round(quorum=3, photos=2)
    first = my_tasks(juror)[0]
    client = juror_client(juror)
    response = client.post(
        url("note", first.pk), {"text": "Cadrage audacieux.", "for_report": "on"}, **HTMX
    )
    assert "Cadrage audacieux." in response.content.decode()
    note = Note.objects.get(round_entry=first.round_entry, juror=seat(juror))
    assert note.for_report
    # Private to its author among jurors: the colleague's page on the same photo lacks it.
    theirs = Task.objects.get(round_entry=first.round_entry, juror=seat(other_juror))
    other_page = juror_client(other_juror).get(url("task", theirs.pk)).content.decode()
    assert "Cadrage audacieux." not in other_page
    client.post(url("note", first.pk), {"text": ""})
    assert not Note.objects.filter(pk=note.pk).exists()


def test_recusing_hands_the_photo_to_another_juror(
    active_round: Callable[..., Round], juror: object
) -> None:
    active_round(quorum=2, photos=3)
    mine = my_tasks(juror)
    task = mine[0]
    before = set(
        Task.objects.filter(round_entry=task.round_entry)
        .exclude(state=Task.State.CANCELLED)
        .values_list("juror_id", flat=True)
    )
    client = juror_client(juror)
    refused = client.post(url("recuse", task.pk), {"reason": ""}, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 302
    task.refresh_from_db()
    assert task.state == Task.State.OPEN  # a reason is needed

    response = client.post(url("recuse", task.pk), {"reason": "Ma voisine."}, **HTMX)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.state == Task.State.CANCELLED
    assert Recusal.objects.filter(juror=seat(juror), entry=task.round_entry.entry).exists()
    after = set(
        Task.objects.filter(round_entry=task.round_entry)
        .exclude(state=Task.State.CANCELLED)
        .values_list("juror_id", flat=True)
    )
    assert len(after) == 2 and seat(juror).pk not in after and after != before


@pytest.mark.parametrize(
    ("paused", "message"),
    [
        (True, "This round is paused: try again later."),
        (False, "This round is closed: votes can no longer change."),
    ],
)
def test_a_paused_or_closed_round_refuses_votes_and_shows_no_vote_buttons(
    active_round: Callable[..., Round],
    juror: object,
    chair: object,
    paused: bool,
    message: str,
) -> None:
    round = active_round(quorum=3, photos=2)
    first = my_tasks(juror)[0]
    if paused:
        services.round_set_paused(round_id=round.pk, chair=chair, paused=True)  # type: ignore[arg-type]
    else:
        services.round_close(round_id=round.pk, chair=chair, cut=1.0)  # type: ignore[arg-type]
    client = juror_client(juror)
    response = client.post(
        url("vote", first.pk), {"version": 0, "value": 1}, HTTP_ACCEPT_LANGUAGE="fr", **HTMX
    )
    html = response.content.decode()
    assert fr(message) in html
    assert 'name="value"' not in html
    first.refresh_from_db()
    assert first.value is None
    page = client.get(url("task", first.pk), HTTP_ACCEPT_LANGUAGE="fr")
    if paused:
        assert (
            fr(
                "The chair has paused this round: votes are closed for now. "
                "Your notes and stars still work."
            )
            in page.content.decode()
        )
        assert 'name="value"' not in page.content.decode()
    else:
        assert page.status_code == 404  # its task was cancelled at the closing
        home = client.get(url("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert fr("This round is closed: votes can no longer change. Thank you!") in home


# --- compare -------------------------------------------------------------------------------


def test_compare_shows_two_of_my_photos_with_their_codes_and_votes(
    active_round: Callable[..., Round], juror: object, other_juror: object
) -> None:
    active_round(quorum=2, photos=4)
    first, second, *_ = my_tasks(juror)
    client = juror_client(juror)
    picker = client.get(url("compare") + f"?a={first.pk}").content.decode()
    assert url("compare") + f"?a={first.pk}&amp;b={second.pk}" in picker
    pair = client.get(url("compare") + f"?a={first.pk}&b={second.pk}")
    html = pair.content.decode()
    assert first.round_entry.code in html and second.round_entry.code in html
    assert html.count('name="value"') == 4  # yes and no under each
    # A vote from there comes back there.
    back = url("compare") + f"?a={first.pk}&b={second.pk}"
    response = client.post(url("vote", second.pk), {"version": 0, "value": 1, "next": back})
    assert response["Location"] == back
    # Elsewhere than the juror's own pages, "next" is ignored.
    response = client.post(
        url("vote", first.pk), {"version": 0, "value": 1, "next": "https://evil.example/"}
    )
    assert response["Location"] != "https://evil.example/"
    # Not a photo of this juror: not found.
    theirs = next(t for t in my_tasks(other_juror) if t.round_entry_id != first.round_entry_id)
    assert client.get(url("compare") + f"?a={first.pk}&b={theirs.pk}").status_code == 404


# --- ranking -------------------------------------------------------------------------------


def test_the_ranking_form_with_ties_makes_the_right_ballot(
    active_round: Callable[..., Round], juror: object
) -> None:
    round = active_round(kind=Round.Kind.RANKING, photos=4)
    a, b, c, d = (t.round_entry_id for t in my_tasks(juror))
    client = juror_client(juror)
    page = client.get(url("ranking"))
    assert page.status_code == 200
    assert page.content.decode().count('type="number"') == 4
    assert client.get(url("judge"))["Location"] == url("ranking")

    ranks = {f"rank-{a}": 2, f"rank-{b}": 1, f"rank-{c}": 2, f"rank-{d}": 4}
    response = client.post(url("ranking"), ranks)
    assert response.status_code == 302
    ballot = Ballot.objects.get(round=round, juror=seat(juror))
    assert ballot.groups == [[b], sorted([a, c]), [d]]

    # Coming back shows the saved ballot: best first, ties sharing a number.
    html = client.get(url("ranking"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert fr("Your saved ranking is shown. You may change it until the round closes.") in html
    order = [html.index(f'name="rank-{pk}"') for pk in (b, a, c, d)]
    assert order == sorted(order)
    for pk, rank in ((b, 1), (a, 2), (c, 2), (d, 4)):
        assert f'name="rank-{pk}" id="id_rank-{pk}" min="1" max="4" value="{rank}"' in html


def test_an_incomplete_ranking_is_refused_and_kept_as_typed(
    active_round: Callable[..., Round], juror: object
) -> None:
    round = active_round(kind=Round.Kind.RANKING, photos=3)
    a, b, c = (t.round_entry_id for t in my_tasks(juror))
    response = juror_client(juror).post(
        url("ranking"), {f"rank-{a}": 1, f"rank-{b}": "", f"rank-{c}": 9}
    )
    assert response.status_code == 400
    assert not Ballot.objects.filter(round=round).exists()
    assert f'name="rank-{a}" id="id_rank-{a}" min="1" max="3" value="1"' in (
        response.content.decode()
    )


# --- pictures ------------------------------------------------------------------------------


def test_the_full_resolution_and_renditions_open_only_for_my_own_photos(
    active_round: Callable[..., Round], juror: object, other_juror: object
) -> None:
    active_round(quorum=2, photos=4)
    mine = my_tasks(juror)
    mine_entries = {t.round_entry_id for t in mine}
    theirs = next(t for t in my_tasks(other_juror) if t.round_entry_id not in mine_entries)
    client = juror_client(juror)

    full = client.get(url("full", mine[0].pk))
    assert full.status_code == 200
    assert full["Content-Type"] == "image/jpeg"
    assert full["Cache-Control"] == "private, no-store"
    assert "sandbox" in full["Content-Security-Policy"]
    assert b"".join(full.streaming_content)[:2] == b"\xff\xd8"  # type: ignore[attr-defined]

    image = client.get(url("image", mine[0].pk, "display", "webp"))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"

    assert client.get(url("full", theirs.pk)).status_code == 404
    assert client.get(url("image", theirs.pk, "display", "webp")).status_code == 404
    assert client.get(url("image", mine[0].pk, "original", "webp")).status_code == 404
    assert client.get(url("task", theirs.pk)).status_code == 404


def test_progress_leaves_out_disqualified_photos(
    active_round: Callable[..., Round], juror: object, chair: object
) -> None:
    round = active_round(quorum=3, photos=3)
    first, second, third = my_tasks(juror)
    services.round_entry_disqualify(
        round_entry_id=third.round_entry_id,
        chair=chair,  # type: ignore[arg-type]
        reason="Photo retouchée",
    )
    for task in (first, second):
        services.task_vote(task_id=task.pk, juror=seat(juror), version=0, value=1)
    progress = selectors.juror_progress(juror=seat(juror), round=round)
    assert (progress.done, progress.total) == (2, 2)
    assert RoundEntry.objects.get(pk=third.round_entry_id).disqualified
