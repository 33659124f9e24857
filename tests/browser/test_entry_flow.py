"""The rider's entry flow in Chromium, at phone and desktop sizes, with an axe-core scan."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from PIL import Image
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from sesame.utils import get_query_string

from contest.forms import REJECTION_MESSAGES
from contest.models import Contest, Entry, Participant
from photos.models import Photo
from photos.services import photo_process
from tests.images import SHARED_PHOTOS, photo_bytes
from tests.mail import deliver_mail

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).resolve().parents[2] / "static/vendor/axe-4.14.1.min.js").read_text()
# Slow enough that the bar moves through several values, fast enough to keep the suite short.
UPLOAD_BYTES_PER_SECOND = 2_000_000
# Generous: the other waits are short, and a busy CI machine is slow to decode a HEIC.
SLOW_MS = 15_000
AXE_REVIEW_IS_FAILURE = {"aria-valid-attr-value"}


@dataclass(frozen=True)
class PhotoFiles:
    noise_jpeg: Path  # large and incompressible: the upload takes a visible while
    small_jpeg: Path
    heic: Path
    gif: Path
    text_as_jpeg: Path


@pytest.fixture(scope="session")
def photo_files(tmp_path_factory: pytest.TempPathFactory) -> PhotoFiles:
    folder = tmp_path_factory.mktemp("photos")
    noise = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    noise.save(folder / "IMG_2041.jpg", "JPEG", quality=90)
    (folder / "tram.jpg").write_bytes(photo_bytes(1200, 900, seed=3))
    shared_heic = SHARED_PHOTOS / "heic_iphone11promax_gps.heic"
    if shared_heic.is_file():
        (folder / "IMG_0042.heic").write_bytes(shared_heic.read_bytes())
    else:
        import pillow_heif

        pillow_heif.register_heif_opener()
        (folder / "IMG_0042.heic").write_bytes(photo_bytes(1200, 900, fmt="HEIF", seed=5))
    gif = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gif, "GIF")
    (folder / "animation.gif").write_bytes(gif.getvalue())
    (folder / "notes.jpg").write_text("Ceci n'est pas une photo.\n")
    return PhotoFiles(
        noise_jpeg=folder / "IMG_2041.jpg",
        small_jpeg=folder / "tram.jpg",
        heic=folder / "IMG_0042.heic",
        gif=folder / "animation.gif",
        text_as_jpeg=folder / "notes.jpg",
    )


def assert_accessible(page: Page, where: str) -> None:
    """Runs axe-core in the page and fails with each violation's id, targets and help."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Called as a function by the DevTools protocol, which the page's CSP does not
        # govern: the pages keep their real policy (a <script> tag would be refused).
        page.evaluate("() => {\n" + AXE_SOURCE + "\n}")
    results: dict[str, list[dict[str, Any]]] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    # axe only asks for a review of ARIA references to missing ids; such a reference means a
    # help text or an error message that is never read out with its field.
    violations = results["violations"] + [
        v for v in results["incomplete"] if v["id"] in AXE_REVIEW_IS_FAILURE
    ]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in violations
    )
    assert not violations, f"axe found violations on the {where}:\n{report}"


def in_french(message: Any) -> str:
    with translation.override("fr"):
        return str(message)


def signin_link(live_server: LiveServer) -> str:
    """The link from the last mail, for this live server rather than SITE_URL."""
    deliver_mail()
    match = re.search(r"http://testserver(/\S+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return live_server.url + match.group(1)


def press_continue(page: Page) -> None:
    """Signs in from a sign-in link's page: opening the link alone does not."""
    page.get_by_role("button", name=in_french(_("Continue"))).click()


def sign_in(page: Page, live_server: LiveServer, participant: Participant, url: str) -> None:
    """Opens a sign-in link as if read from the mail, landing on url."""
    link = reverse("contest:signin_link") + get_query_string(participant.user)
    page.goto(f"{live_server.url}{link}&{urlencode({'suite': url})}")
    press_continue(page)
    expect(page).to_have_url(live_server.url + url)


def fill_slot(page: Page, index: int, file: Path, title: str, caption: str, theme: str) -> None:
    prefix = f"#id_photos-{index}"
    page.set_input_files(f"{prefix}-photo", file)
    page.fill(f"{prefix}-title", title)
    page.fill(f"{prefix}-caption", caption)
    page.select_option(f"{prefix}-theme", label=theme)


def throttle_upload(page: Page, bytes_per_second: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def record_progress(page: Page) -> list[dict[str, Any]]:
    """What the progress bar shows at the start of the upload and at each progress event.

    Read in Python as it happens: the page is gone once htmx follows the redirect.
    """
    seen: list[dict[str, Any]] = []
    page.expose_function("coverlineRecordProgress", lambda record: seen.append(record))
    page.evaluate(
        """() => {
          const record = (event) => {
            const form = document.getElementById('upload-form');
            window.coverlineRecordProgress({
              event: event.type,
              shown: !form.querySelector('.progress-wrap').hidden,
              value: form.querySelector('progress').value,
              label: form.querySelector('.progress-pct').textContent,
            });
          };
          // Registered after upload.js's own listeners, so they see what it drew.
          document.addEventListener('htmx:beforeRequest', record);
          document.addEventListener('htmx:xhr:progress', record);
        }"""
    )
    return seen


def test_it_takes_a_new_rider_from_the_emailed_link_to_a_prepared_photo(
    page: Page, live_server: LiveServer, contest: Contest, photo_files: PhotoFiles
) -> None:
    enter_url = reverse("contest:enter", args=[contest.slug])
    page.goto(live_server.url + enter_url)
    expect(page.locator("#id_email")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_accessible(page, "sign-in page")

    page.fill("#id_email", "Lea@Example.org")
    page.locator("main button[type=submit]").click()
    expect(page.locator("main strong")).to_have_text("Lea@Example.org")
    assert_accessible(page, "check-your-mail page")
    deliver_mail()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lea@example.org"]

    page.goto(signin_link(live_server))
    assert_accessible(page, "sign-in link page")
    press_continue(page)
    expect(page).to_have_url(re.compile(r"/profil/\?next="))
    assert_accessible(page, "profile page")
    page.fill("#id_credit_name", "Léa  M.")
    page.check(f"input[name=age_bracket][value={Participant.AgeBracket.ADULT}]")
    page.locator("main button[type=submit]").click()

    expect(page).to_have_url(live_server.url + reverse("contest:rules", args=[contest.slug]))
    assert_accessible(page, "rules page")
    page.check("#id_allows_gallery")
    page.check("#id_allows_print")
    page.check("#id_accept_rules")
    page.locator("main button[type=submit]").click()

    expect(page).to_have_url(live_server.url + reverse("contest:upload", args=[contest.slug]))
    assert_accessible(page, "upload page")
    fill_slot(
        page,
        0,
        photo_files.noise_jpeg,
        "Le tram sous la pluie",
        "Un tram blanc, des reflets sur les rails mouillés.",
        "Saisons",
    )
    jpeg_preview = page.locator(".photo-slot").nth(0).locator(".preview")
    expect(jpeg_preview).to_be_visible()
    expect(jpeg_preview.locator("figcaption")).to_have_text("IMG_2041.jpg")
    expect(jpeg_preview.locator("img")).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 1600",
        arg=jpeg_preview.locator("img").element_handle(),
    )

    fill_slot(
        page,
        1,
        photo_files.heic,
        "Gare de nuit",
        "La gare éclairée, un bus attend devant.",
        "Lumières de la ville",
    )
    heic_preview = page.locator(".photo-slot").nth(1).locator(".preview")
    heic_label = page.locator("#upload-form").get_attribute("data-heic-label")
    assert heic_label
    # Chromium cannot draw HEIC: the rider is told so rather than shown a broken image.
    expect(heic_preview).to_have_class(re.compile(r"\bno-preview\b"))
    expect(heic_preview.locator("img")).to_be_hidden()
    expect(heic_preview.locator("figcaption")).to_have_text(f"IMG_0042.heic — {heic_label}")

    progress = record_progress(page)
    throttle_upload(page, UPLOAD_BYTES_PER_SECOND)
    page.locator("#upload-form button[type=submit]").click()
    my_entries_url = live_server.url + reverse("contest:my_entries", args=[contest.slug])
    expect(page).to_have_url(my_entries_url, timeout=SLOW_MS)

    assert progress[0] == {"event": "htmx:beforeRequest", "shown": True, "value": 0, "label": "0 %"}
    moves = [record["value"] for record in progress[1:]]
    assert all(record["shown"] for record in progress)
    assert all(record["label"] == f"{record['value']} %" for record in progress)
    assert moves == sorted(moves), moves
    assert len({value for value in moves if 0 < value < 100}) >= 3, moves
    assert moves[-1] == 100

    entries = page.locator("#entries .entry")
    expect(entries).to_have_count(2)
    expect(page.locator("#entries .entry.state-received")).to_have_count(2)
    expect(entries.locator(".badge")).to_have_text([in_french(_("Received"))] * 2)
    # Newest first: both were sent in one post, the HEIC second.
    expect(entries.locator(".entry-title")).to_have_text(["Gare de nuit", "Le tram sous la pluie"])
    expect(page.locator(".messages")).to_be_visible()
    assert_accessible(page, "My photos page, photos received")
    photos = list(Photo.objects.select_related("entry").order_by("-entry__pk"))
    assert [photo.original_format for photo in photos] == ["HEIF", "JPEG"]

    page.evaluate("() => { window.coverlineSameDocument = true; }")
    for photo in photos:
        photo_process(photo_id=photo.pk)
    expect(page.locator("#entries .entry.state-pending")).to_have_count(2, timeout=SLOW_MS)
    expect(entries.locator(".badge")).to_have_text([in_french(_("Waiting for moderation"))] * 2)
    assert page.evaluate("() => window.coverlineSameDocument === true"), "the page was reloaded"
    thumbs = page.locator("#entries .entry .thumb img")
    expect(thumbs).to_have_count(2)
    for index, photo in enumerate(photos):
        thumb = thumbs.nth(index)
        expect(thumb).to_have_attribute("alt", photo.entry.caption)
        thumb.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )
        assert "/media/renditions/" in thumb.evaluate("img => img.currentSrc")
    assert_accessible(page, "My photos page, photos prepared")


@pytest.mark.parametrize("bad_file", ["gif", "text_as_jpeg"])
def test_it_shows_the_error_next_to_the_photo_field_and_stores_nothing_for_a_non_photo(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    photo_files: PhotoFiles,
    bad_file: str,
) -> None:
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    fill_slot(
        page,
        0,
        getattr(photo_files, bad_file),
        "Mon bus",
        "Un bus articulé au terminus.",
        "Saisons",
    )
    page.locator("#upload-form button[type=submit]").click()

    error = page.locator("#id_photos-0-photo_error")
    expect(error).to_have_text(in_french(REJECTION_MESSAGES["unsupported_format"]))
    field = page.locator(".field", has=page.locator("#id_photos-0-photo"))
    expect(field.locator(".error")).to_have_count(1)
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    photo_input = page.locator("#id_photos-0-photo")
    expect(photo_input).to_have_attribute("aria-invalid", "true")
    expect(photo_input).to_have_attribute(
        "aria-describedby", re.compile(r"\bid_photos-0-photo_error\b")
    )
    # The form was replaced: focus goes to the field in error rather than back to <body>.
    expect(photo_input).to_be_focused()
    # What the rider typed is kept; only the file has to be chosen again.
    expect(page.locator("#id_photos-0-title")).to_have_value("Mon bus")
    expect(page).to_have_url(live_server.url + upload_url)
    assert_accessible(page, "upload page with an error")
    assert not Entry.objects.exists()
    assert not Photo.objects.exists()


def test_it_sends_the_form_as_a_plain_post_without_javascript(
    page_without_js: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    photo_files: PhotoFiles,
) -> None:
    page = page_without_js
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    fill_slot(
        page,
        0,
        photo_files.small_jpeg,
        "Le tram au lever du jour",
        "Un tramway traverse un pont, le ciel est orange.",
        "Lumières de la ville",
    )
    page.locator("#upload-form button[type=submit]").click()

    expect(page).to_have_url(live_server.url + reverse("contest:my_entries", args=[contest.slug]))
    expect(page.locator("#entries .entry.state-received")).to_have_count(1)
    expect(page.locator("#entries .entry-title")).to_have_text("Le tram au lever du jour")
    entry = Entry.objects.get()
    assert entry.participant == entrant
    assert entry.photo.original_name == "tram.jpg"
