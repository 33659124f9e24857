"""A photo sent by tus from Chromium: the connection drops mid-upload, the bar stays where it
was and says so, and once back online the upload resumes from where the server stands and
the photo arrives once."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from PIL import Image
from playwright.sync_api import BrowserContext, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from contest.forms import REJECTION_MESSAGES
from contest.models import Contest, Entry, Participant, TusUpload
from tests.browser.conftest import checked_page_except
from tests.browser.test_entry_flow import (
    SLOW_MS,
    add_photos,
    assert_accessible,
    fill_card,
    in_french,
    record_progress,
    sign_in,
    throttle_upload,
)
from tests.images import SHARED_PHOTOS, photo_bytes

pytestmark = pytest.mark.browser

PHOTO = SHARED_PHOTOS / "jpeg_nokia8.3-5g_gps.jpg"  # 2.2 MB: several pieces of 512 KiB
BYTES_PER_SECOND = 400_000
CONDITIONS = {
    "offline": False,
    "latency": 0,
    "downloadThroughput": -1,
    "uploadThroughput": BYTES_PER_SECOND,
}


@pytest.fixture
def page_offline(context: BrowserContext) -> Iterator[Page]:
    """A checked page, except for the browser's notes of the requests the drop cut off."""
    yield from checked_page_except(context, "net::ERR_INTERNET_DISCONNECTED")


def test_it_resumes_an_upload_after_the_connection_drops_and_enters_the_photo_once(
    page_offline: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    tmp_path: Path,
) -> None:
    page = page_offline
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    add_photos(page, PHOTO)
    fill_card(page, 0, "Le quai", "Un quai de gare au petit matin.", "Saisons")
    pieces: list[int] = []

    def on_request(request: Request) -> None:
        if request.method == "PATCH":
            pieces.append(int(request.headers["upload-offset"]))

    page.on("request", on_request)
    progress = record_progress(page)
    network = throttle_upload(page, BYTES_PER_SECOND)
    page.locator("#upload-form button[type=submit]").click()

    bar = page.locator("#upload-progress")
    page.wait_for_function("() => document.getElementById('upload-progress').value >= 30")
    # The throttling session's own conditions would keep the page online: both go offline.
    page.context.set_offline(True)
    network.send("Network.emulateNetworkConditions", {**CONDITIONS, "offline": True})
    note = page.locator("#upload-form .progress-note")
    expect(note).to_have_text(
        in_french(_("The connection is lost. Sending will resume by itself as soon as it is back."))
    )
    expect(note).to_have_attribute("role", "status")
    # The bar stays where it was, with its label: nothing starts again from zero.
    expect(page.locator("#upload-form .progress-wrap")).to_be_visible()
    dropped_at = bar.evaluate("bar => bar.value")
    assert dropped_at >= 30
    page.wait_for_timeout(1500)
    assert bar.evaluate("bar => bar.value") == dropped_at
    assert not Entry.objects.exists()
    assert_accessible(page, "upload page, connection lost")
    sent_before = len(pieces)

    network.send("Network.emulateNetworkConditions", CONDITIONS)
    page.context.set_offline(False)
    my_entries = live_server.url + reverse("contest:my_entries", args=[contest.slug])
    expect(page).to_have_url(my_entries, timeout=SLOW_MS * 2)

    entry = Entry.objects.get()
    assert entry.title == "Le quai"
    assert entry.photo.original_name == PHOTO.name
    assert entry.photo.original_bytes == PHOTO.stat().st_size
    # Resumed, not restarted: the first piece after the drop starts past the beginning.
    assert pieces[sent_before] > 0, pieces
    moves = [record["value"] for record in progress]
    assert moves == sorted(moves), moves
    assert moves[-1] == 100
    assert TusUpload.objects.get().state == TusUpload.State.DONE
    assert not [path for path in (tmp_path / "originals/uploads").rglob("*") if path.is_file()]
    expect(page.locator("#entries .entry")).to_have_count(1)
    expect(page.locator(".messages")).to_contain_text("Votre photo « Le quai » est reçue.")
    assert_accessible(page, "My photos page after a resumed upload")


def test_it_enters_the_good_photo_and_keeps_the_refused_one_with_its_error(
    page: Page, live_server: LiveServer, contest: Contest, entrant: Participant, tmp_path: Path
) -> None:
    good = tmp_path / "tram.jpg"
    good.write_bytes(photo_bytes(1200, 900, seed=3))
    bad = tmp_path / "animation.gif"
    gif = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gif, "GIF")
    bad.write_bytes(gif.getvalue())
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    add_photos(page, good, bad)
    fill_card(page, 0, "Le tram", "Un tram au lever du jour.", "Saisons")
    fill_card(page, 1, "Le bus", "Un bus articulé.", "Saisons")
    page.locator("#upload-form button[type=submit]").click()

    error = page.locator("#id_photos-1-photo_error")
    expect(error).to_have_text(in_french(REJECTION_MESSAGES["unsupported_format"]))
    photo_input = page.locator("#id_photos-1-photo")
    expect(photo_input).to_have_attribute("aria-invalid", "true")
    expect(photo_input).to_be_focused()
    expect(page.locator("#upload-form .upload-status")).to_have_text(
        in_french(_("Some photos were received. The others need your attention below."))
    )
    # The photo received is an entry: its card went. The refused one keeps what was typed;
    # only its photo is to be chosen again, as in the plain form.
    expect(page.locator(".photo-slot:visible")).to_have_count(1)
    expect(page.locator("#id_photos-1-title")).to_have_value("Le bus")
    assert photo_input.evaluate("input => input.files.length") == 0
    assert list(Entry.objects.values_list("title", flat=True)) == ["Le tram"]
    assert_accessible(page, "upload page with one photo refused")

    # Another photo in its place goes in too, with the title typed for the first.
    add_photos(page, PHOTO)
    assert photo_input.evaluate("input => input.files[0].name") == PHOTO.name
    page.locator("#upload-form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + reverse("contest:my_entries", args=[contest.slug]))
    assert sorted(Entry.objects.values_list("title", flat=True)) == ["Le bus", "Le tram"]
