"""An upload past the rate limit in Chromium: the wait is said in the form, which keeps the
chosen photo and the typed title, and Send works once the limit allows it again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from tests.browser.conftest import checked_page_except
from tests.browser.test_entry_flow import add_photos, assert_accessible, fill_card, sign_in
from tests.images import photo_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def page_refused(context: BrowserContext) -> Iterator[Page]:
    """A page whose only console error may be the browser's note of the 429 itself."""
    yield from checked_page_except(context, "status of 429")


def test_it_says_how_long_to_wait_and_keeps_the_photos_chosen(
    page_refused: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    settings: Any,
    tmp_path: Path,
) -> None:
    page = page_refused
    settings.UPLOADS_PER_HOUR = 0
    photo = tmp_path / "tram.jpg"
    photo.write_bytes(photo_bytes(1200, 900, seed=3))
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    add_photos(page, photo)
    fill_card(page, 0, "Le tram", "Un tram au lever du jour.", "Saisons")
    page.locator("#upload-form button[type=submit]").click()

    status = page.locator("#upload-form .upload-status")
    expect(status).to_be_visible()
    expect(status).to_have_attribute("role", "alert")
    expect(status).to_contain_text("Trop d'envois en peu de temps. Vous pourrez réessayer dans")
    expect(page.locator("#upload-form .progress-wrap")).to_be_hidden()
    # Nothing was lost: the title and the photo are still in the form.
    expect(page.locator("#id_photos-0-title")).to_have_value("Le tram")
    assert page.locator("#id_photos-0-photo").evaluate("input => input.files.length") == 1
    assert_accessible(page, "upload page refused for too many uploads")
    assert not Entry.objects.exists()

    settings.UPLOADS_PER_HOUR = 5
    page.locator("#upload-form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + reverse("contest:my_entries", args=[contest.slug]))
    assert Entry.objects.get().title == "Le tram"
