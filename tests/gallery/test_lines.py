"""The gallery by transit line, on the real Nantes network: the line filter, the line
pages, the badges in the lines' own colours, and the line in the feed and share texts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import unquote_plus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contest.models import Contest, Entry
from gallery.services import social_caption
from tests.networks import line, nantes_network
from transit.models import Line, Network, Stop

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def nantes(contest: Contest) -> Network:
    return nantes_network(contest=contest)


def _station(network: Network, name: str) -> Stop:
    return Stop.objects.get(network=network, name=name, location_type=Stop.LocationType.STATION)


def _get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _grid(client: Client, url: str) -> str:
    """The photos' grid of the page (the share tags name photos too)."""
    return _get(client, url).split('id="grid"')[1].split("</ul>")[0]


def test_it_filters_the_gallery_by_line_and_never_mixes_the_lines_cached_pages(
    contest: Contest, nantes: Network, approved: Callable[..., Entry]
) -> None:
    tram_1, tram_2 = line(nantes, "1"), line(nantes, "2")
    approved(seed=1, title="Sur la 1", line=tram_1)
    approved(seed=2, title="Sur la 2", line=tram_2)
    approved(seed=3, title="Sans ligne")
    gallery = reverse("gallery:gallery", args=[contest.slug])
    page = _get(Client(), gallery)
    # The filter offers the lines that have photos, and only those.
    options = re.findall(
        r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.split('id="f-line"')[1]
    )
    assert [int(pk) for pk, _name in options[:2]] == [tram_1.pk, tram_2.pk]
    assert line(nantes, "3").pk not in [int(pk) for pk, _name in options]
    # Each line's page is cached whole for anonymous visitors: each under its own key.
    for _round in range(2):
        one = _grid(Client(), f"{gallery}?ligne={tram_1.pk}")
        assert "Sur la 1" in one and "Sur la 2" not in one and "Sans ligne" not in one
        two = _grid(Client(), f"{gallery}?ligne={tram_2.pk}")
        assert "Sur la 2" in two and "Sur la 1" not in two
    # The line pages share the grid cache with the filter: still one line each.
    assert "Sur la 2" not in _grid(
        Client(), reverse("gallery:line", args=[contest.slug, tram_1.pk])
    )
    assert "Sur la 1" not in _grid(
        Client(), reverse("gallery:line", args=[contest.slug, tram_2.pk])
    )


def test_it_filters_by_line_in_a_fixed_number_of_queries(
    contest: Contest,
    nantes: Network,
    approved: Callable[..., Entry],
    django_assert_num_queries: Callable[..., object],
) -> None:
    tram_2 = line(nantes, "2")
    url = reverse("gallery:gallery", args=[contest.slug]) + f"?ligne={tram_2.pk}"
    approved(seed=1, line=tram_2)
    with CaptureQueriesContext(connection) as few:
        _get(Client(), url)
    for seed, number in enumerate(["1", "2", "3", "C1", "2", "4", "2"], start=2):
        approved(seed=seed, line=line(nantes, number), stop=_station(nantes, "Commerce"))
    cache.clear()
    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        assert _grid(Client(), url).count('class="tile"') == 4
    with django_assert_num_queries(1):  # type: ignore[operator]
        _get(Client(), url)  # the whole page from the cache: the contest's state only


def test_it_shows_an_empty_grid_for_a_line_without_photos_and_all_for_a_foreign_one(
    contest: Contest, nantes: Network, approved: Callable[..., Entry]
) -> None:
    approved(seed=1, title="Sur la 1", line=line(nantes, "1"))
    gallery = reverse("gallery:gallery", args=[contest.slug])
    quiet = _grid(Client(), f"{gallery}?ligne={line(nantes, '3').pk}")
    assert "Sur la 1" not in quiet and "Aucune photo" in quiet
    assert "Sur la 1" in _grid(Client(), f"{gallery}?ligne=999999")
    assert "Sur la 1" in _grid(Client(), f"{gallery}?ligne=abc")


def test_it_renders_the_line_page_in_a_fixed_number_of_queries(
    contest: Contest,
    nantes: Network,
    approved: Callable[..., Entry],
    django_assert_num_queries: Callable[..., object],
) -> None:
    tram_2 = line(nantes, "2")
    url = reverse("gallery:line", args=[contest.slug, tram_2.pk])
    approved(seed=1, title="Au Commerce", line=tram_2, stop=_station(nantes, "Commerce"))
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        _get(Client(), url)
    names = ["Commerce", "Place du Cirque", "Orvault-Grand Val", "Médiathèque"]
    for seed in range(2, 10):
        approved(seed=seed, line=tram_2, stop=_station(nantes, names[seed % len(names)]))
    cache.clear()
    # The contest, the line, the stops, the colours, the share image's photos, the grid's
    # photos and their renditions: the same whatever the photos and stops.
    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        page = _get(Client(), url)
    assert len(few) <= 9
    assert "Orvault Grand Val - Gare de Pont Rousseau" in page
    stops = page.split('id="stops-title"')[1].split("</ul>")[0]
    assert "Commerce" in stops and "Médiathèque" in stops
    assert "Gare Maritime" not in stops  # a stop of the line with no photo
    assert "3 photos" in stops  # Commerce: seeds 1, 4 and 8


def test_it_refuses_a_line_of_another_network(
    contest: Contest, nantes: Network, approved: Callable[..., Entry]
) -> None:
    other = Network.objects.create(name="Ailleurs", slug="ailleurs")
    foreign = Line.objects.create(
        network=other,
        agency=line(nantes, "1").agency,
        gtfs_id="X",
        short_name="X",
        route_type=3,
        colour="#000000",
        text_colour="#ffffff",
    )
    assert Client().get(reverse("gallery:line", args=[contest.slug, foreign.pk])).status_code == 404


def test_it_draws_badges_in_the_lines_colours_from_a_versioned_stylesheet(
    contest: Contest, nantes: Network, approved: Callable[..., Entry]
) -> None:
    tram_2 = line(nantes, "2")
    entry = approved(seed=1, title="Au Commerce", line=tram_2, stop=_station(nantes, "Commerce"))
    page = _get(Client(), reverse("gallery:photo", args=[entry.photo.public_id]))
    assert f'<span class="line-badge line-{tram_2.pk}">' in page
    assert "Arrêt : Commerce" in page
    assert 'style="' not in page  # the CSP allows no inline style
    href = re.search(
        r'<link rel="stylesheet" href="(/reseau/naolib-nantes/lignes\.css\?v=\w+)"', page
    )
    assert href
    css = Client().get(href.group(1))
    assert css["Content-Type"].startswith("text/css")
    assert "immutable" in css["Cache-Control"]
    # Nantes gives line 2 white on red (3.9:1, under AA): black it is; line 1's white on
    # green reads and stays.
    assert f".line-{tram_2.pk} {{ --line: #e53138; --line-ink: #000000; }}" in css.content.decode()
    tram_1 = line(nantes, "1")
    assert f".line-{tram_1.pk} {{ --line: #007a45; --line-ink: #ffffff; }}" in css.content.decode()
    # A newer feed's colours: a new stylesheet URL, with white on blue kept.
    Line.objects.filter(pk=tram_2.pk).update(colour="#0079bc", text_colour="#ffffff")
    # An anonymous visitor's photo page is cached (gallery/page_cache.py): a new feed's
    # colours show on it when it expires (GALLERY_CACHE_SECONDS), as on the gallery.
    cache.clear()
    again = _get(Client(), reverse("gallery:photo", args=[entry.photo.public_id]))
    new_href = re.search(r'href="(/reseau/naolib-nantes/lignes\.css\?v=\w+)"', again)
    assert new_href and new_href.group(1) != href.group(1)  # a new colour, a new URL
    css = Client().get(new_href.group(1)).content.decode()
    assert f".line-{tram_2.pk} {{ --line: #0079bc; --line-ink: #ffffff; }}" in css
    assert Client().get("/reseau/nulle-part/lignes.css").status_code == 404


def test_it_puts_the_badge_on_the_gallery_tiles(
    contest: Contest, nantes: Network, approved: Callable[..., Entry]
) -> None:
    approved(seed=1, title="Sur la C1", line=line(nantes, "C1"))
    page = _get(Client(), reverse("gallery:gallery", args=[contest.slug]))
    tile = page.split('class="tile"')[1]
    assert (
        f'line-{line(nantes, "C1").pk}"><span class="visually-hidden">Ligne </span>C1</span>'
        in tile
    )
    assert "/reseau/naolib-nantes/lignes.css?v=" in page


def test_it_names_the_line_and_stop_in_the_feed_and_the_share_texts(
    contest: Contest, nantes: Network, approved: Callable[..., Entry]
) -> None:
    entry = approved(
        seed=1, title="Au Commerce", line=line(nantes, "2"), stop=_station(nantes, "Commerce")
    )
    feed = ET.fromstring(Client().get(reverse("gallery:feed", args=[contest.slug])).content)  # noqa: S314
    [item] = feed.findall(f"{ATOM}entry")
    assert [c.get("term") for c in item.findall(f"{ATOM}category")] == ["Ligne 2"]
    assert "Ligne 2 · Commerce" in item.findtext(f"{ATOM}content", "")
    page = _get(Client(), reverse("gallery:photo", args=[entry.photo.public_id]))
    share = Client().get(reverse("gallery:share", args=[entry.photo.public_id, "whatsapp"]))
    whatsapp = re.match(r"https://wa.me/\?text=(.+)", share["Location"])
    assert whatsapp
    assert unquote_plus(whatsapp.group(1)).startswith(
        "Au Commerce — Ligne 2 · Commerce — Photo : Camille D."
    )
    assert re.search(r'<meta property="og:description" content="[^"]*Ligne 2 · Commerce', page)


def test_it_names_the_line_in_the_social_kits_caption() -> None:
    text = social_caption(
        title="Au Commerce",
        caption="Le tram à l'aube.",
        credit="Camille D.",
        contest_title="Couvertures 2027",
        url="https://example.org/photo/1/",
        slug="couvertures-2027",
        place="Ligne 2 · Commerce",
    )
    assert text.splitlines()[:3] == ["Au Commerce", "Le tram à l'aube.", "Ligne 2 · Commerce"]


def test_it_counts_entries_approved_photos_and_votes_per_line_for_marketing(
    contest: Contest,
    nantes: Network,
    approved: Callable[..., Entry],
    ready_entry: Callable[..., Entry],
    persona_client: Callable[[str], Client],
    django_assert_num_queries: Callable[..., object],
) -> None:
    tram_1, tram_2 = line(nantes, "1"), line(nantes, "2")
    first = approved(seed=1, line=tram_2)
    approved(seed=2, line=tram_2)
    ready_entry(seed=3, line=tram_2)  # waits for moderation: an entry, not approved
    ready_entry(seed=4, line=tram_1)
    Entry.objects.filter(pk=first.pk).update(vote_count=7)
    client = persona_client("marketing")
    url = reverse("gallery:relay", args=[contest.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        page = _get(client, url)
    table = page.split('class="stats line-stats"')[1].split("</table>")[0]
    rows = [
        re.sub(r"<[^>]+>", " ", row).split()
        for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)
    ]
    # Line 2 first (most entries): 3 entries, 2 approved, 7 votes; then line 1.
    assert rows[0][:2] == ["Ligne", "2"] and rows[0][-3:] == ["3", "2", "7"]
    assert rows[1][:2] == ["Ligne", "1"] and rows[1][-3:] == ["1", "0", "0"]
    assert len(rows) == 2
    empty = page.split('id="lines-empty-title"')[1].split("</ul>")[0]
    assert "73 lignes sans photo pour l’instant" in empty
    assert f'line-{line(nantes, "C1").pk}"' in empty and f'line-{tram_2.pk}"' not in empty
    # More lines with photos: the same queries.
    for seed, number in enumerate(["C1", "3", "4", "10"], start=5):
        approved(seed=seed, line=line(nantes, number))
    with django_assert_num_queries(len(before)):  # type: ignore[operator]
        _get(client, url)
