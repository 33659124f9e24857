"""An upload nginx turns away in a burst (its 503 with Retry-After, deploy/nginx/errors/) in
Chromium: the form says so in the rider's language, keeps the chosen photo and the typed
title, and Send comes back once the wait is over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from tests.browser.conftest import checked_page_except
from tests.browser.test_entry_flow import add_photos, fill_card, sign_in
from tests.images import photo_bytes

pytestmark = pytest.mark.browser

OVERLOADED = settings.BASE_DIR / "deploy" / "nginx" / "errors" / "503-overloaded.html"


def shed(route: Route, *, retry_after: int = 1) -> None:
    """What nginx answers when gunicorn's places are all taken (max_conns)."""
    route.fulfill(
        status=503,
        headers={"Retry-After": str(retry_after), "Content-Type": "text/html; charset=utf-8"},
        body=OVERLOADED.read_text(),
    )


@pytest.fixture
def page_refused(context: BrowserContext) -> Iterator[Page]:
    """A page whose only console error may be the browser's note of the 503 itself."""
    yield from checked_page_except(context, "status of 503")


def test_it_asks_to_send_again_after_the_wait_and_keeps_the_photos_chosen(
    page_refused: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    tmp_path: Path,
) -> None:
    page = page_refused
    photo = tmp_path / "tram.jpg"
    photo.write_bytes(photo_bytes(1200, 900, seed=3))
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    add_photos(page, photo)
    fill_card(page, 0, "Le tram", "Un tram au lever du jour.", "Saisons")

    page.route(live_server.url + upload_url, lambda route: shed(route, retry_after=2))
    # The one-post way (htmx), as where tus-js-client cannot run; tus retries a 5xx itself.
    page.locator("#upload-form").evaluate("form => { delete form.dataset.tusEndpoint; }")
    send = page.locator("#upload-form button[type=submit]")
    send.click()
    status = page.locator("#upload-form .upload-status")
    expect(status).to_have_text(
        "Beaucoup de photos arrivent en même temps. Rien n’a été enregistré : renvoyez la "
        "vôtre dans quelques secondes."
    )
    expect(send).to_be_disabled()
    expect(page.locator("#id_photos-0-title")).to_have_value("Le tram")
    assert page.locator("#id_photos-0-photo").evaluate("input => input.files.length") == 1
    assert not Entry.objects.exists()

    page.unroute(live_server.url + upload_url)
    expect(send).to_be_enabled(timeout=5000)
    send.click()
    expect(page).to_have_url(live_server.url + reverse("contest:my_entries", args=[contest.slug]))
    assert Entry.objects.get().title == "Le tram"


def test_it_says_the_site_is_busy_by_tus_and_waits_out_a_busy_answer_on_the_photos_fate(
    page_refused: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    tmp_path: Path,
) -> None:
    page = page_refused
    photo = tmp_path / "quai.jpg"
    photo.write_bytes(photo_bytes(1200, 900, seed=4))
    upload_url = reverse("contest:upload", args=[contest.slug])
    sign_in(page, live_server, entrant, upload_url)
    add_photos(page, photo)
    fill_card(page, 0, "Le quai", "Un quai au petit matin.", "Saisons")
    endpoint = page.locator("#upload-form").evaluate("form => form.dataset.tusEndpoint")
    assert endpoint

    # The opening (POST to the tus endpoint) turned away: the proxy's words, nothing opened.
    def opening(url: str) -> bool:
        return url.endswith(endpoint)

    page.route(opening, shed)
    send = page.locator("#upload-form button[type=submit]")
    send.click()
    expect(page.locator("#upload-form .upload-status")).to_contain_text(
        "Beaucoup de photos arrivent en même temps."
    )
    expect(page.locator("#id_photos-0-title")).to_have_value("Le quai")
    assert not Entry.objects.exists()
    page.unroute(opening, shed)

    # Once sent, the first question on the photo's fate is met by a busy proxy: no verdict,
    # the page asks again and goes on to "my photos" when the answer comes.
    busy_once: list[str] = []

    def busy_then_through(route: Route) -> None:
        if route.request.method == "GET" and not busy_once:
            busy_once.append(route.request.url)
            shed(route, retry_after=1)
        else:
            route.continue_()

    def one_upload(url: str) -> bool:
        return url.startswith(live_server.url + endpoint) and not url.endswith(endpoint)

    page.route(one_upload, busy_then_through)
    expect(send).to_be_enabled()
    send.click()
    expect(page).to_have_url(
        live_server.url + reverse("contest:my_entries", args=[contest.slug]), timeout=20_000
    )
    assert busy_once, "the page never asked for the photo's fate"
    assert Entry.objects.get().title == "Le quai"
