"""The browser tests' error watcher: a page the CSP refuses something on fails its test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import watch_errors

pytestmark = pytest.mark.browser


def _wait_until(page: Page, condition: Callable[[], bool]) -> None:
    """Console messages arrive a little after the page says it is loaded."""
    for _attempt in range(40):
        if condition():
            return
        page.wait_for_timeout(50)


def test_it_catches_an_inline_style_the_csp_refuses_in_a_page_and_in_a_tab_it_opens(
    context: BrowserContext, live_server: LiveServer
) -> None:
    errors = watch_errors(context)
    page = context.new_page()
    page.goto(live_server.url + "/test/style-en-ligne/")
    expect(page.locator("p")).to_have_text("Style en ligne")

    def refused(where: str) -> list[str]:
        return [e for e in errors if "Content Security Policy" in e and where in e]

    # The style element and the style attribute, each told by Chromium and by the page.
    _wait_until(page, lambda: len(refused("")) >= 4)
    assert any("refused inline" in error for error in refused("style-src")), errors
    in_page = len(refused(""))
    assert in_page >= 4, errors

    with context.expect_page() as opened:
        page.get_by_role("link").click()
    tab = opened.value
    tab.wait_for_load_state()
    _wait_until(page, lambda: len(refused("")) >= 2 * in_page)
    assert len(refused("")) >= 2 * in_page, errors
