"""Guides tied to the real Nantes network's lines: chosen in the guide form, narrowing the
candidates, and giving the mock-up the line's number and colour (checked on the image)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from contest.models import Contest, Entry, Participant
from covers import services
from covers.models import Guide, Mockup
from photos.services import originals_storage
from tests.networks import line, nantes_network
from transit.models import Line, Network

pytestmark = pytest.mark.django_db

BIG = (2600, 1800)
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def nantes(contest: Contest) -> Network:
    return nantes_network(contest=contest)


@pytest.fixture
def staff_client(marketing_user: object) -> Client:
    client = Client()
    client.force_login(marketing_user, backend=PASSWORD_BACKEND)  # type: ignore[arg-type]
    return client


def _guide_data(**extra: object) -> dict[str, object]:
    return {
        "name": "Ligne 2 — Orvault ⇄ Rezé",
        "line_label": "",
        "lines": "",
        "period": "Été",
        "format": "DL",
        "trim_width_mm": 99,
        "trim_height_mm": 210,
        "bleed_mm": 3,
        "safe_mm": 5,
        "title_x_mm": 0,
        "title_y_mm": 12,
        "title_width_mm": 99,
        "title_height_mm": 30,
        "band_colour": "#003A70",
        "band_opacity": 100,
        "text_colour": "#FFFFFF",
        "needs": 1,
        "position": 0,
        **extra,
    }


def test_it_links_a_guide_to_lines_of_the_contests_network_only(
    contest: Contest, nantes: Network, staff_client: Client
) -> None:
    tram_2, c1 = line(nantes, "2"), line(nantes, "C1")
    url = reverse("covers:guide_new", args=[contest.slug])
    form = staff_client.get(url).content.decode()
    assert 'name="transit_lines"' in form
    assert form.count('name="transit_lines"') == Line.objects.filter(network=nantes).count()
    saved = staff_client.post(url, _guide_data(transit_lines=[tram_2.pk, c1.pk]))
    assert saved.status_code == 302
    guide = Guide.objects.get(contest=contest)
    assert set(guide.transit_lines.all()) == {tram_2, c1}
    # A line of another network is not a choice: a clear error, nothing saved.
    other = Network.objects.create(name="Ailleurs", slug="ailleurs")
    foreign = Line.objects.create(
        network=other, agency=tram_2.agency, gtfs_id="X", route_type=3,
        colour="#000000", text_colour="#ffffff",
    )  # fmt: skip
    edit = reverse("covers:guide", args=[contest.slug, guide.pk])
    refused = staff_client.post(edit, _guide_data(transit_lines=[foreign.pk]))
    assert refused.status_code == 400
    assert "Sélectionnez un choix valide" in refused.content.decode()
    assert set(guide.transit_lines.all()) == {tram_2, c1}


def test_it_narrows_the_candidates_to_the_guides_lines(
    contest: Contest,
    nantes: Network,
    staff_client: Client,
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
) -> None:
    on_2, on_1, nowhere = shortlist([(entrant, BIG), (entrant, BIG), (entrant, BIG)])
    Entry.objects.filter(pk=on_2.pk).update(line=line(nantes, "2"), title="Au Commerce")
    Entry.objects.filter(pk=on_1.pk).update(line=line(nantes, "1"), title="Sur la 1")
    Entry.objects.filter(pk=nowhere.pk).update(title="Sans ligne")
    guide = Guide.objects.create(contest=contest, name="Ligne 2", format="DL")
    guide.transit_lines.set([line(nantes, "2")])
    url = reverse("covers:candidates", args=[contest.slug, guide.pk])

    def titles(query: str) -> list[str]:
        page = staff_client.get(url + query).content.decode()
        return re.findall(r"<strong>\d+\. ([^<]+)</strong>", page)

    assert titles("") == ["Au Commerce", "Sur la 1", "Sans ligne"]
    assert titles("?ses-lignes=1") == ["Au Commerce"]


def _band_pixel(mockup: Mockup) -> tuple[int, int, int]:
    """A pixel of the title band in its bleed (beside the text area, which stays in the
    safe area): the band's own colour, whatever the title and the badge."""
    with originals_storage().open(mockup.file) as fp, Image.open(fp) as im:
        px_per_mm = im.width / 105  # DL with 3 mm of bleed on each side
        return im.convert("RGB").getpixel((2, round((3 + 12 + 15) * px_per_mm)))  # type: ignore[return-value]


def _close(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(pixel, colour, strict=True))  # JPEG


def test_it_draws_the_band_in_the_colour_of_the_guides_single_line(
    contest: Contest,
    nantes: Network,
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    guide = Guide.objects.create(
        contest=contest, name="Orvault ⇄ Rezé", format="DL", band_opacity=100,
        band_colour="#003A70",
    )  # fmt: skip
    tram_2 = line(nantes, "2")
    guide.transit_lines.set([tram_2])
    red = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert red is not None and red.state == Mockup.State.READY
    assert _close(_band_pixel(red), (0xE5, 0x31, 0x38))  # line 2's red, not the guide's blue

    # A newer feed recolours the line: the mock-up's key changes, a new one is drawn.
    Line.objects.filter(pk=tram_2.pk).update(colour="#0079bc")
    blue = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert blue is not None and blue.pk != red.pk and blue.key != red.key
    assert _close(_band_pixel(blue), (0x00, 0x79, 0xBC))

    # Two lines: no single colour to take; the guide's own band colour.
    guide.transit_lines.add(line(nantes, "3"))
    both = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert both is not None and both.pk != blue.pk
    assert _close(_band_pixel(both), (0x00, 0x3A, 0x70))
