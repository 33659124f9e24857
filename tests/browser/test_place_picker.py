"""The line and stop pickers in Chromium: keyboard only, announced, accessible, both sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from tests.browser.test_entry_flow import (
    add_photos,
    assert_accessible,
    assert_fits_the_screen,
    fill_card,
    sign_in,
)
from tests.images import photo_bytes
from tests.transit.networks import google_demo, line, stop

pytestmark = pytest.mark.browser


def test_it_picks_a_line_and_a_stop_served_by_it_with_the_keyboard_only(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    tmp_path: Path,
) -> None:
    demo = google_demo()
    contest.network = demo
    contest.save(update_fields=["network"])
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    photo = tmp_path / "aeroport.jpg"
    photo.write_bytes(photo_bytes(1200, 900, seed=4))
    add_photos(page, photo)
    fill_card(page, 0, "Le bus de l'aéroport", "Un bus blanc devant le terminal.", "Saisons")

    page.locator("#id_photos-0-theme").focus()
    page.keyboard.press("Tab")
    line_box = page.get_by_role("combobox", name="Ligne")
    expect(line_box).to_be_focused()
    expect(line_box).to_have_attribute("aria-expanded", "false")
    page.keyboard.type("10")
    listbox = page.locator("#id_photos-0-line_text-list")
    expect(listbox).to_be_visible()
    expect(line_box).to_have_attribute("aria-expanded", "true")
    expect(line_box).to_have_attribute("aria-controls", "id_photos-0-line_text-list")
    expect(listbox.get_by_role("option")).to_have_text(["10 – Airport - Bullfrog"])
    status = page.locator(".combobox:has(#id_photos-0-line_text) [role=status]")
    expect(status).to_have_text("1 suggestion. Utilisez les flèches haut et bas pour choisir.")
    page.keyboard.press("ArrowDown")
    expect(line_box).to_have_attribute("aria-activedescendant", "id_photos-0-line_text-list-0")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    assert_accessible(page, "upload page with the line suggestions open")
    page.keyboard.press("Enter")
    expect(line_box).to_have_value("10 – Airport - Bullfrog")
    expect(line_box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    # The select sent with the form, hidden behind the picker, holds the line.
    expect(page.locator("#id_photos-0-line")).to_have_value(str(line(demo, "10").pk))

    page.keyboard.press("Tab")
    stop_box = page.get_by_role("combobox", name="Arrêt")
    expect(stop_box).to_be_focused()
    page.keyboard.type("DEMO")
    stops = page.locator("#id_photos-0-stop-list").get_by_role("option")
    # Only the two stops line 10 serves, of the feed's nine "(Demo)" stops.
    expect(stops).to_have_text(["Bullfrog (Demo)", "Nye County Airport (Demo)"])
    stop_status = page.locator(".combobox:has(#id_photos-0-stop) [role=status]")
    expect(stop_status).to_have_text(
        "2 suggestions. Utilisez les flèches haut et bas pour choisir."
    )
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # past the last: back to the first
    page.keyboard.press("ArrowUp")
    expect(stop_box).to_have_attribute("aria-activedescendant", "id_photos-0-stop-list-1")
    page.keyboard.press("Escape")
    expect(stop_box).to_have_attribute("aria-expanded", "false")
    expect(stop_box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(stop_box).to_have_value("DEMO")
    page.keyboard.press("ArrowDown")  # opens the list again, on its first suggestion
    page.keyboard.press("ArrowDown")
    assert_accessible(page, "upload page with the stop suggestions open")
    assert_fits_the_screen(page, "upload page with the stop suggestions open")
    page.keyboard.press("Enter")
    expect(stop_box).to_have_value("Nye County Airport (Demo)")
    expect(page.locator("#id_photos-0-stop_id")).to_have_value(
        str(stop(demo, "Nye County Airport (Demo)").pk)
    )

    page.keyboard.press("Enter")  # the list is shut: Enter sends the form
    my_entries = reverse("contest:my_entries", args=[contest.slug])
    expect(page).to_have_url(live_server.url + my_entries)
    entry = Entry.objects.get()
    assert (entry.line, entry.stop) == (line(demo, "10"), stop(demo, "Nye County Airport (Demo)"))
    expect(page.locator(".entry-place")).to_have_text(
        "Ligne 10 – Airport - Bullfrog · Arrêt Nye County Airport (Demo)"
    )
    assert_accessible(page, "My photos page with a tagged photo")

    page.get_by_role("link", name="Changer la ligne et l'arrêt de « Le bus de l'aéroport »").click()
    stop_box = page.get_by_role("combobox", name="Arrêt")
    expect(stop_box).to_have_value("Nye County Airport (Demo)")
    stop_box.focus()
    page.keyboard.press("Escape")  # the list is shut: Escape empties the field
    expect(stop_box).to_have_value("")
    page.keyboard.type("bullfrog")
    expect(page.locator("#id_stop-list").get_by_role("option")).to_have_text(["Bullfrog (Demo)"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert_accessible(page, "line and stop page")
    assert_fits_the_screen(page, "line and stop page")
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + my_entries)
    entry.refresh_from_db()
    assert entry.stop == stop(demo, "Bullfrog (Demo)")
