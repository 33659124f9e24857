"""A tus upload taken up again after the page is reloaded: the page remembers it, says so,
and when the rider picks the same photo again and presses Send it goes on from where the
server stands and makes one entry; one the server no longer has starts anew, one a busy
server cannot speak of is kept for the next Send. Signing out forgets them all."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from playwright.sync_api import BrowserContext, CDPSession, Page, Request, Route, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant, TusUpload
from tests.browser.conftest import checked_page_except, watch_errors
from tests.browser.test_entry_flow import (
    SLOW_MS,
    add_photos,
    assert_accessible,
    fill_card,
    in_french,
    sign_in,
    throttle_upload,
)
from tests.images import SHARED_PHOTOS

pytestmark = pytest.mark.browser

PHOTO = SHARED_PHOTOS / "jpeg_nokia8.3-5g_gps.jpg"  # 2.2 MB: several pieces of 512 KiB
BYTES_PER_SECOND = 400_000
MEMORY_KEYS = "() => Object.keys(localStorage).filter(k => k.startsWith('coverline.upload:'))"
READY = _("Ready to resume: press Send to go on from where the upload stopped.")
GONE = re.compile(r"console: Failed to load resource: .* 404 .*/envoi/[0-9a-f-]{36}/\)$")


@pytest.fixture
def page_of_expiry(context: BrowserContext) -> Iterator[Page]:
    """A checked page, except for the browser's note of the 404 that says an upload expired
    (once: the page asks only once)."""
    errors = watch_errors(context)
    yield context.new_page()
    gone = [error for error in errors if GONE.match(error)]
    others = [error for error in errors if not GONE.match(error)]
    assert len(gone) == 1 and not others, "the browser reported errors:\n" + "\n".join(errors)


def _requests(page: Page) -> list[tuple[str, int]]:
    """(method, Upload-Offset) of each POST and PATCH the page sends, as it goes."""
    seen: list[tuple[str, int]] = []

    def on_request(request: Request) -> None:
        if request.method in ("POST", "PATCH") and "/envoi/" in request.url:
            seen.append((request.method, int(request.headers.get("upload-offset", "-1"))))

    page.on("request", on_request)
    return seen


def _send_until_part_arrived(page: Page, live_server: LiveServer, contest: Contest) -> CDPSession:
    """Starts sending the photo, slowly, and waits until the server holds a part of it.

    Returns the session that slows the uploads, to lift it."""
    add_photos(page, PHOTO)
    fill_card(page, 0, "Le quai", "Un quai de gare au petit matin.", "Saisons")
    throttle = throttle_upload(page, BYTES_PER_SECOND)
    page.locator("#upload-form button[type=submit]").click()
    for _attempt in range(SLOW_MS // 100):
        if TusUpload.objects.filter(offset__gt=0).exists():
            break
        page.wait_for_timeout(100)
    assert TusUpload.objects.filter(offset__gt=0).exists()
    # Only the photo's memory is in the page: nothing of a piece or of the rider's session.
    assert len(page.evaluate(MEMORY_KEYS)) == 1
    return throttle


def _reload_and_see_the_notice(page: Page) -> None:
    page.reload()
    notice = page.locator("#upload-form .resume-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(
        in_french(_("{n} interrupted upload: choose the file again to resume it.")).replace(
            "{n}", "1"
        )
    )
    expect(notice.locator("li")).to_have_text(f"{PHOTO.name} (Le quai)")
    assert_accessible(page, "upload page with an interrupted upload")


def test_it_takes_an_upload_up_again_after_a_reload_from_where_the_server_stands(
    page: Page, live_server: LiveServer, contest: Contest, entrant: Participant
) -> None:
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    requests = _requests(page)
    _send_until_part_arrived(page, live_server, contest)
    _reload_and_see_the_notice(page)
    before = len(requests)

    # The same photo again: what was typed comes back, and Send takes the upload up again;
    # nothing goes before it is pressed (the rider may add other photos first).
    add_photos(page, PHOTO)
    expect(page.locator("#upload-form .picker-status")).to_have_text(in_french(READY))
    expect(page.locator("#id_photos-0-title")).to_have_value("Le quai")
    assert_accessible(page, "upload page ready to resume an upload")
    page.wait_for_timeout(1000)
    assert requests[before:] == []
    page.locator("#upload-form button[type=submit]").click()
    note = page.locator("#upload-form .progress-note")
    resuming = in_french(_("Resuming the upload at {pct}"))
    pattern = re.escape(resuming).replace(re.escape("{pct}"), r"(\d+) %")
    expect(note).to_have_text(re.compile(pattern))
    shown = int(re.fullmatch(pattern, note.inner_text()).group(1))  # type: ignore[union-attr]
    expect(page.locator("#id_photos-0-title")).to_have_value("Le quai")
    expect(page.locator("#upload-form .resume-notice")).to_be_hidden()
    assert_accessible(page, "upload page resuming an upload")

    my_entries = live_server.url + reverse("contest:my_entries", args=[contest.slug])
    expect(page).to_have_url(my_entries, timeout=SLOW_MS * 2)
    after = requests[before:]
    assert after, requests
    # No new upload was opened, and the pieces go on past the beginning.
    assert [method for method, _offset in after] == ["PATCH"] * len(after)
    assert after[0][1] > 0
    assert shown == math.floor(after[0][1] * 100 / PHOTO.stat().st_size)
    entry = Entry.objects.get()
    assert (entry.title, entry.photo.original_bytes) == ("Le quai", PHOTO.stat().st_size)
    assert TusUpload.objects.get().state == TusUpload.State.DONE
    assert page.evaluate(MEMORY_KEYS) == []
    expect(page.locator("#entries .entry")).to_have_count(1)


def test_it_forgets_an_upload_the_server_let_expire_and_sends_the_photo_anew(
    page_of_expiry: Page, live_server: LiveServer, contest: Contest, entrant: Participant
) -> None:
    page = page_of_expiry
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    requests = _requests(page)
    _send_until_part_arrived(page, live_server, contest)
    expired = TusUpload.objects.get()
    _reload_and_see_the_notice(page)
    TusUpload.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    before = len(requests)

    add_photos(page, PHOTO)
    page.locator("#upload-form button[type=submit]").click()

    my_entries = live_server.url + reverse("contest:my_entries", args=[contest.slug])
    expect(page).to_have_url(my_entries, timeout=SLOW_MS * 2)
    after = requests[before:]
    # A new upload, sent from its first byte.
    assert after[0] == ("POST", -1) and after[1] == ("PATCH", 0), after
    assert Entry.objects.get().title == "Le quai"
    assert not TusUpload.objects.filter(pk=expired.pk).exists()
    assert page.evaluate(MEMORY_KEYS) == []


def test_it_forgets_an_upload_the_rider_cancels(
    page: Page, live_server: LiveServer, contest: Contest, entrant: Participant
) -> None:
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    _send_until_part_arrived(page, live_server, contest)

    with page.expect_response(lambda response: response.request.method == "DELETE") as ended:
        page.get_by_role("button", name=in_french(_("Cancel sending"))).click()

    assert ended.value.status == 204
    assert not TusUpload.objects.exists()
    assert page.evaluate(MEMORY_KEYS) == []
    page.reload()
    expect(page.get_by_role("button", name=in_french(_("Add photos")))).to_be_visible()
    expect(page.locator("#upload-form .resume-notice")).to_be_hidden()


def test_it_remembers_the_fields_the_upload_was_opened_with_not_those_typed_since(
    page: Page, live_server: LiveServer, contest: Contest, entrant: Participant
) -> None:
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    _send_until_part_arrived(page, live_server, contest)

    # The title changed while the photo goes: the server keeps the one it was opened with,
    # and the pieces that arrive next (each pushing the expiry back) do not change that.
    page.fill("#id_photos-0-title", "Le quai, corrigé")
    for _piece in range(2):
        with page.expect_response(lambda r: r.request.method == "PATCH", timeout=SLOW_MS):
            pass

    _reload_and_see_the_notice(page)  # "(Le quai)", the server's title
    add_photos(page, PHOTO)
    expect(page.locator("#id_photos-0-title")).to_have_value("Le quai")


@pytest.fixture
def page_turned_away(context: BrowserContext) -> Iterator[Page]:
    """A checked page, except for the browser's note of the 429 the test answers."""
    yield from checked_page_except(context, "status of 429")


def test_it_keeps_an_upload_a_busy_server_cannot_speak_of_and_resumes_it_at_the_next_send(
    page_turned_away: Page, live_server: LiveServer, contest: Contest, entrant: Participant
) -> None:
    page = page_turned_away
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    requests = _requests(page)
    throttle = _send_until_part_arrived(page, live_server, contest)
    _reload_and_see_the_notice(page)
    held = TusUpload.objects.get()
    before = len(requests)
    add_photos(page, PHOTO)

    def too_many(route: Route) -> None:
        if route.request.method == "HEAD":
            route.fulfill(status=429, headers={"Retry-After": "1"}, body="")
        else:
            route.continue_()

    def one_upload(url: str) -> bool:
        return re.search(r"/envoi/[0-9a-f-]{36}/$", url) is not None

    page.route(one_upload, too_many)
    send = page.locator("#upload-form button[type=submit]")
    send.click()
    expect(page.locator("#upload-form .upload-status")).to_have_text(
        in_french(_("The site is very busy. Nothing was lost: press Send again in a few seconds."))
    )
    # Nothing forgotten, nothing opened anew: the half-sent upload waits for the next Send.
    expect(send).to_be_enabled()
    assert len(page.evaluate(MEMORY_KEYS)) == 1
    assert TusUpload.objects.get().pk == held.pk
    assert requests[before:] == []

    page.unroute(one_upload, too_many)
    throttle.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    send.click()
    my_entries = live_server.url + reverse("contest:my_entries", args=[contest.slug])
    expect(page).to_have_url(my_entries, timeout=SLOW_MS)
    after = requests[before:]
    assert after and all(method == "PATCH" for method, _offset in after), after
    assert after[0][1] > 0
    assert Entry.objects.get().title == "Le quai"
    assert page.evaluate(MEMORY_KEYS) == []


def test_it_forgets_what_was_typed_for_unfinished_uploads_when_the_rider_signs_out(
    page: Page, live_server: LiveServer, contest: Contest, entrant: Participant
) -> None:
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    # What the upload page keeps of an upload cut short (see the tests above), and a key of
    # someone else's that stays.
    page.evaluate(
        """([key]) => {
            localStorage.setItem(key, JSON.stringify({
                url: "/envoi/x/", details: {title: "Le quai"}, name: "quai.jpg", expires: 0,
            }));
            localStorage.setItem("other-site-key", "kept");
        }""",
        [f"coverline.upload:{contest.slug}:{entrant.user.pk}:quai.jpg/2/3/image/jpeg"],
    )
    page.reload()
    expect(page.locator("#upload-form .resume-notice")).to_contain_text("quai.jpg (Le quai)")

    with page.expect_navigation():
        page.get_by_role("button", name=in_french(_("Sign out"))).click()

    assert page.evaluate(MEMORY_KEYS) == []
    assert page.evaluate("() => localStorage.getItem('other-site-key')") == "kept"
