"""The 404 page in Chromium, at phone and desktop sizes, with an axe-core scan."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import watch_errors
from tests.browser.test_entry_flow import assert_accessible, in_french

pytestmark = pytest.mark.browser


def test_it_shows_a_missing_page_in_the_site_look_with_nothing_refused(
    context: BrowserContext, live_server: LiveServer, settings: Any
) -> None:
    # The site's URLs with the handlers of config/urls.py, as in production.
    settings.ROOT_URLCONF = "tests.core.error_urls"
    page = context.new_page()
    errors = watch_errors(page)
    missing = f"{live_server.url}/pas-une-page/"

    response = page.goto(missing)

    assert response is not None
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator(".site-header .brand")).to_be_visible()
    expect(page.locator("h1")).to_have_text(in_french(_("This page does not exist")))
    home = page.get_by_role("link", name=in_french(_("Back to the home page")))
    expect(home).to_have_attribute("href", reverse("contest:home"))
    assert_accessible(page, "404 page")
    # Chromium may report the document's own 404 as a failed load, located at the page: only
    # that is let through, and no Content-Security-Policy refusal, wherever it is located.
    assert [error for error in errors if f"({missing})" not in error] == []
    assert not [error for error in errors if "Content Security Policy" in error]

    home.click()
    expect(page).to_have_url(f"{live_server.url}{reverse('contest:home')}")
