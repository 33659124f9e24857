"""The gallery by line in Chromium, at phone and desktop sizes: a line's page with its
badge in the line's own colours (the network's stylesheet, under the strict CSP), the stops
in its photos, the line filter, and an axe-core scan of each page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry
from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen
from tests.networks import line, nantes_network
from transit.models import Stop

pytestmark = pytest.mark.browser


def _station(name: str) -> Stop:
    return Stop.objects.get(name=name, location_type=Stop.LocationType.STATION)


def test_a_visitor_browses_the_photos_of_line_2(
    page: Page, live_server: LiveServer, contest: Contest, approved: Callable[..., Entry]
) -> None:
    network = nantes_network(contest=contest)
    tram_2 = line(network, "2")
    approved(seed=1, title="Matin au Commerce", line=tram_2, stop=_station("Commerce"))
    approved(seed=2, title="Soir à la Médiathèque", line=tram_2, stop=_station("Médiathèque"))
    approved(seed=3, title="Sur la ligne 1", line=line(network, "1"))

    page.goto(f"{live_server.url}/concours/{contest.slug}/ligne/{tram_2.pk}/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Ligne 2")
    expect(heading).to_contain_text("Orvault Grand Val - Gare de Pont Rousseau")
    badge = heading.locator(".line-badge")
    # The line's red from the feed; its white text fails AA there, so black is drawn.
    expect(badge).to_have_css("background-color", "rgb(229, 49, 56)")
    expect(badge).to_have_css("color", "rgb(0, 0, 0)")
    stops = page.get_by_role("region", name="Les arrêts en photo")
    expect(stops.get_by_role("listitem")).to_have_count(2)
    expect(stops).to_contain_text("Commerce")
    tiles = page.locator("#grid > li.tile")
    expect(tiles).to_have_count(2)
    expect(page.locator("#grid")).not_to_contain_text("Sur la ligne 1")
    assert_fits_the_screen(page, "line page")
    assert_accessible(page, "line page")

    # A photo of the line: its badge and its stop.
    tiles.filter(has_text="Matin au Commerce").get_by_role("link").click()
    place = page.locator(".photo-place")
    expect(place).to_contain_text("Arrêt : Commerce")
    expect(place.locator(".line-badge")).to_have_css("background-color", "rgb(229, 49, 56)")
    assert_fits_the_screen(page, "photo page")
    assert_accessible(page, "photo page")

    # The gallery's line filter.
    page.goto(f"{live_server.url}/concours/{contest.slug}/galerie/")
    expect(tiles).to_have_count(3)
    page.get_by_label("Ligne", exact=True).select_option(str(line(network, "1").pk))
    page.get_by_role("button", name="Afficher").click()
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_contain_text("Sur la ligne 1")
    assert_fits_the_screen(page, "gallery filtered by line")
    assert_accessible(page, "gallery filtered by line")
