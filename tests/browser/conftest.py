"""Debian's Chromium, driven by Playwright, against Django's live server at two screen sizes.

No worker runs here: a test that needs a processed photo calls the service itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.conftest import service_missing

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Riders' browsers ask for French, the site's first language.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 768}, "locale": "fr-FR"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).is_file():
        service_missing(f"Chromium ({CHROMIUM})")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
        ],
    }


@pytest.fixture(params=[pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def screen(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Context options of one screen size; every browser test runs at both."""
    return dict(request.param)


@pytest.fixture(autouse=True)
def _site(settings: Any, live_server: LiveServer) -> None:
    # The live server serves /static/ itself (from the finders); renditions come from the
    # test URLconf, as in the dev run.
    settings.ROOT_URLCONF = "tests.browser.urls"


# Every CSP refusal also reported by the page itself, with its directive and where it came
# from: the console line alone does not say which element or script did it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.effectiveDirective} refused `
    + `${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def context(new_context: CreateContextCallback, screen: dict[str, Any]) -> BrowserContext:
    context = new_context(**screen)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    return context


def watch_errors(target: Page | BrowserContext) -> list[str]:
    """Collects script errors and console errors (CSP refusals, failed loads).

    Given a context, of every page in it, tabs opened by a link (target=_blank) included.
    """
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        # The site has no icon: the browser's own guess at /favicon.ico is not the page's.
        if message.type != "error" or url.endswith("/favicon.ico"):
            return
        # REPORT_CSP_VIOLATIONS itself, refused in a sandboxed document where no script runs
        # (the full-resolution photo).
        if message.text.startswith("Blocked script execution") and "sandboxed" in message.text:
            return
        errors.append(f"console: {message.text} ({url})")

    target.on("console", on_console)
    if isinstance(target, BrowserContext):
        target.on("weberror", lambda error: errors.append(f"script: {error.error}"))
    else:
        target.on("pageerror", lambda error: errors.append(f"script: {error}"))
    return errors


def checked_page_except(context: BrowserContext, note: str) -> Iterator[Page]:
    """A new checked page whose only console errors may be the browser's `note` of an answer
    the test provokes on purpose ("status of 429", "net::ERR_INTERNET_DISCONNECTED"...)."""
    errors = watch_errors(context)
    yield context.new_page()
    others = [error for error in errors if note not in error]
    assert not others, "the browser reported errors:\n" + "\n".join(others)


def _checked(context: BrowserContext, page: Page) -> Iterator[Page]:
    errors = watch_errors(context)
    yield page
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails its test if a script fails or the browser refuses something, in it
    or in any tab it opens."""
    yield from _checked(context, context.new_page())


@pytest.fixture
def page_without_js(new_context: CreateContextCallback, screen: dict[str, Any]) -> Iterator[Page]:
    context = new_context(**screen, java_script_enabled=False)
    yield from _checked(context, context.new_page())
