"""A recipient stops one kind of e-mail from the link in its footer, then changes their mind."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from notifications import services
from notifications.models import OptOut
from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen

pytestmark = pytest.mark.browser


def test_a_recipient_stops_news_of_their_photos_and_asks_for_it_again(
    page: Page, live_server: LiveServer
) -> None:
    link = services.optout_url(email="sam@example.org", kind="decision")
    page.goto(live_server.url + urlsplit(link).path)  # the link names SITE_URL's host
    expect(page.get_by_role("heading", name="Ne plus recevoir ces e-mails")).to_be_visible()
    expect(page.get_by_text("sam@example.org")).to_be_visible()
    assert not OptOut.objects.exists()  # opening the link asks, it does not decide
    assert_accessible(page, "opt-out question")
    assert_fits_the_screen(page, "opt-out question")

    page.get_by_role("button", name="Ne plus recevoir ces e-mails").click()
    expect(page.get_by_role("status")).to_contain_text("ne recevra plus")
    assert OptOut.objects.filter(email="sam@example.org", kind="decision").exists()
    assert_accessible(page, "opt-out done")

    page.get_by_role("button", name="Recevoir à nouveau ces e-mails").click()
    expect(page.get_by_role("status")).to_contain_text("recevra à nouveau")
    assert not OptOut.objects.exists()
    assert_accessible(page, "opt-out undone")
    assert_fits_the_screen(page, "opt-out undone")
