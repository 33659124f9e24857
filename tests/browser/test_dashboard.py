"""Marketing's dashboard in Chromium at phone and desktop sizes, with axe-core: the charts,
their tables, and the figures refreshing themselves."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen
from tests.browser.test_jury_chair import log_in
from tests.dashboard.conftest import Campaign, campaign, summarise  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_marketing_reads_the_campaign_figures_and_they_refresh_themselves(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    campaign: Campaign,  # noqa: F811 - the fixture imported above
    marketing: object,
) -> None:
    log_in(context, live_server, marketing)
    url = live_server.url + reverse("dashboard:dashboard", args=[campaign.contest.slug])
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    themes = page.get_by_role("img", name="Participations par thème")
    expect(themes).to_be_visible()
    assert page.locator("svg[role=img]").count() == 8
    assert_fits_the_screen(page, "dashboard")
    assert_accessible(page, "dashboard")

    # The table behind a chart.
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Participations par thème")
    )
    section.get_by_text("Les chiffres en tableau").click()
    expect(section.get_by_role("row", name="Lumières de la ville 2")).to_be_visible()
    assert_fits_the_screen(page, "dashboard with a table open")
    assert_accessible(page, "dashboard with a table open")

    # The refresh (every 30 s, here at once): new figures, and the open table stays open.
    page.locator("body").click(position={"x": 1, "y": 1})  # the focus leaves the figures
    campaign.entries[3].delete()
    summarise(campaign.contest)  # the beat job's next run
    with page.expect_response(
        lambda r: r.url == url and r.request.headers.get("hx-request") == "true"
    ):
        page.evaluate("() => htmx.trigger('#figures', 'dashboard-refresh')")
    expect(page.locator(".dashboard-totals dd").first).to_have_text("3")
    expect(section.locator("details")).to_have_attribute("open", "")

    # Forced colours (Windows high contrast): still readable, still no violation.
    page.emulate_media(forced_colors="active")
    assert_accessible(page, "dashboard in forced colours")
