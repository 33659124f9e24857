"""The rider's entry flow in Chromium, at phone and desktop sizes, with an axe-core scan."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
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
from playwright.sync_api import BrowserContext, CDPSession, Page, expect
from pytest_django.live_server_helper import LiveServer
from sesame.utils import get_query_string

from contest.forms import REJECTION_MESSAGES
from contest.models import Contest, Entry, Participant
from photos.models import Photo
from photos.services import photo_process
from tests.browser.conftest import watch_errors
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


def assert_fits_the_screen(page: Page, where: str) -> None:
    """Nothing sticks out sideways: else the page scrolls sideways, or a phone zooms it out."""
    wider = page.evaluate(
        """() => {
            const root = document.documentElement;
            if (root.scrollWidth <= root.clientWidth + 1) return [];
            return [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
                .slice(0, 5).map(e => e.outerHTML.slice(0, 120));
        }"""
    )
    assert not wider, f"the {where} is wider than the screen: {wider}"


def in_french(message: Any) -> str:
    with translation.override("fr"):
        return str(message)


def signin_link(live_server: LiveServer) -> str:
    """The link from the last mail, for this live server rather than SITE_URL."""
    deliver_mail()
    match = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body)
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


def add_photos(page: Page, *files: Path) -> None:
    """Chooses photos with the one "Add photos" button, as from a phone's camera or library."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=in_french(_("Add photos"))).click()
    assert chooser.value.is_multiple()
    chooser.value.set_files(list(files))


def fill_card(page: Page, index: int, title: str, caption: str, theme: str) -> None:
    prefix = f"#id_photos-{index}"
    page.fill(f"{prefix}-title", title)
    page.fill(f"{prefix}-caption", caption)
    page.select_option(f"{prefix}-theme", label=theme)


def fill_slot(page: Page, index: int, file: Path, title: str, caption: str, theme: str) -> None:
    """Fills a block of the plain form (no JavaScript), its file input included."""
    prefix = f"#id_photos-{index}"
    page.set_input_files(f"{prefix}-photo", file)
    page.fill(f"{prefix}-title", title)
    page.fill(f"{prefix}-caption", caption)
    page.select_option(f"{prefix}-theme", label=theme)


def throttle_upload(page: Page, bytes_per_second: int) -> CDPSession:
    """Slows the page's uploads; the returned session lifts it (-1) or changes it."""
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
    return cdp


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
          // upload.js's own events, by tus or by htmx, sent once it has drawn the bar.
          document.addEventListener('upload:start', record);
          document.addEventListener('upload:progress', record);
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
    box = page.locator("#id_accept_rules").bounding_box()
    label = page.locator("label[for=id_accept_rules]").bounding_box()
    assert box and label
    # The box sits beside its label, on its first line, not alone on a line above it.
    assert box["x"] + box["width"] <= label["x"]
    assert box["y"] < label["y"] + label["height"]
    assert label["y"] < box["y"] + box["height"]
    page.check("#id_allows_gallery")
    page.check("#id_allows_print")
    page.check("#id_accept_rules")
    page.locator("main button[type=submit]").click()

    expect(page).to_have_url(live_server.url + reverse("contest:upload", args=[contest.slug]))
    # One button to start from, no empty blocks of fields.
    expect(page.locator(".photo-slot")).to_have_count(3)
    expect(page.locator(".photo-slot:visible")).to_have_count(0)
    assert_accessible(page, "upload page")
    add_photos(page, photo_files.noise_jpeg, photo_files.heic)
    cards = page.locator(".photo-slot:visible")
    expect(cards).to_have_count(2)
    # The fields of a chosen photo are all needed: each card marks them.
    expect(cards.nth(1).locator(".req:visible")).to_have_count(4)
    expect(page.locator("#id_photos-0-title")).to_be_focused()
    fill_card(
        page,
        0,
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

    fill_card(
        page,
        1,
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
    assert_fits_the_screen(page, "upload page with two photo cards")
    assert_accessible(page, "upload page with two photo cards")

    progress = record_progress(page)
    throttle_upload(page, UPLOAD_BYTES_PER_SECOND)
    page.locator("#upload-form button[type=submit]").click()
    my_entries_url = live_server.url + reverse("contest:my_entries", args=[contest.slug])
    expect(page).to_have_url(my_entries_url, timeout=SLOW_MS)

    assert progress[0] == {"event": "upload:start", "shown": True, "value": 0, "label": "0 %"}
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
    header = page.locator(".site-header")
    expect(header.get_by_role("link", name=in_french(_("My photos")))).to_have_attribute(
        "href", reverse("contest:my_entries", args=[contest.slug])
    )
    expect(header.get_by_role("link", name=in_french(_("My profile")))).to_have_attribute(
        "href", reverse("contest:profile")
    )
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
    add_photos(page, getattr(photo_files, bad_file))
    fill_card(page, 0, "Mon bus", "Un bus articulé au terminus.", "Saisons")
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
    slots = page.locator(".photo-slot")
    expect(slots).to_have_count(3)
    expect(page.get_by_role("button", name=in_french(_("Add photos")))).to_be_hidden()
    # The first block is the photo to send; the optional ones mark no field as required.
    expect(slots.nth(0).locator(".req:visible")).to_have_count(4)
    expect(slots.nth(1).locator(".req:visible")).to_have_count(0)
    expect(slots.nth(2).locator(".req:visible")).to_have_count(0)
    assert_fits_the_screen(page, "upload page without JavaScript")
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


def test_it_makes_a_card_per_chosen_photo_and_lets_the_rider_remove_one(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    photo_files: PhotoFiles,
) -> None:
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    add_photos(page, photo_files.small_jpeg, photo_files.noise_jpeg)
    cards = page.locator(".photo-slot:visible")
    expect(cards).to_have_count(2)
    expect(cards.locator(".preview figcaption")).to_have_text(["tram.jpg", "IMG_2041.jpg"])

    cards.nth(0).get_by_role("button", name=in_french(_("Remove this photo"))).click()
    expect(cards).to_have_count(1)
    expect(cards.locator(".preview figcaption")).to_have_text(["IMG_2041.jpg"])
    add_photo = page.get_by_role("button", name=in_french(_("Add photos")))
    expect(add_photo).to_be_focused()

    # Two places are left: of three photos chosen, the third is left out, and said so.
    add_photos(page, photo_files.small_jpeg, photo_files.heic, photo_files.gif)
    expect(cards).to_have_count(3)
    expect(page.locator(".picker-status")).to_have_text(
        re.compile(r"^Seules 3 photos peuvent être envoyées")
    )
    expect(add_photo).to_be_hidden()
    assert_fits_the_screen(page, "upload page with three photo cards")
    assert_accessible(page, "upload page with three photo cards")

    cards.nth(2).get_by_role("button", name=in_french(_("Remove this photo"))).click()
    for index, title in ((0, "Le tram"), (1, "Le bruit")):
        fill_card(page, index, title, "Une photo du réseau.", "Saisons")
    page.locator("#upload-form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + reverse("contest:my_entries", args=[contest.slug]))
    expect(page.locator("#entries .entry-title")).to_have_count(2)
    names = sorted(Entry.objects.values_list("photo__original_name", flat=True))
    assert names == ["IMG_2041.jpg", "tram.jpg"]


@pytest.fixture
def page_that_cancels(context: BrowserContext) -> Iterator[Page]:
    """A checked page, except for the two errors htmx logs for an aborted request.

    htmx reports every abort with console.error (htmx:sendAbort, htmx:afterRequest), even
    one the rider asked for; any other error still fails the test.
    """
    page = context.new_page()
    errors = watch_errors(page)
    yield page
    aborts = re.compile(r"console: htmx:(sendAbort|afterRequest), \[object HTMLFormElement\] ")
    others = [error for error in errors if not aborts.match(error)]
    assert not others, "the browser reported errors:\n" + "\n".join(others)


def test_it_shows_the_upload_under_way_refuses_a_second_submit_and_can_cancel_it(
    page_that_cancels: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    photo_files: PhotoFiles,
) -> None:
    page = page_that_cancels
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    add_photos(page, photo_files.noise_jpeg)
    fill_card(page, 0, "Le tram", "Un tram sous la pluie.", "Saisons")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    network = throttle_upload(page, 100_000)  # half a minute for this photo: time to cancel

    send = page.locator("#upload-form button[type=submit]")
    send.click()
    expect(page.locator(".progress-wrap")).to_be_visible()
    expect(send).to_have_text(in_french(_("Sending…")))
    expect(send).to_be_disabled()
    # Enter in a field would post again: it is dropped while the first post is under way.
    page.locator("#id_photos-0-title").press("Enter")
    page.wait_for_timeout(300)
    assert len(posts) == 1, posts

    page.get_by_role("button", name=in_french(_("Cancel sending"))).click()
    expect(page.locator(".upload-status")).to_have_text(
        in_french(_("Sending cancelled: nothing was sent."))
    )
    expect(page.locator(".progress-wrap")).to_be_hidden()
    expect(send).to_have_text(in_french(_("Send")))
    expect(send).to_be_enabled()
    expect(page.locator("#id_photos-0-title")).to_have_value("Le tram")
    assert_accessible(page, "upload page after a cancelled upload")
    assert not Entry.objects.exists()

    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    send.click()
    expect(page).to_have_url(
        live_server.url + reverse("contest:my_entries", args=[contest.slug]), timeout=SLOW_MS
    )
    assert Entry.objects.count() == 1
