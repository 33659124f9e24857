"""The chair closes a round from a phone in Chromium: threshold preview, confirmation, axe.

The page fixture fails the test on any script error or console error (a CSP refusal
included); every page on the way is scanned by axe-core.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest
from jury import services
from jury.models import Round, RoundEntry, Task
from tests.browser.conftest import PHONE
from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen

# The jury's personas and rounds (tests/jury/conftest.py), for this folder too.
from tests.jury.conftest import (  # noqa: F401
    active_round,
    approved_photos,
    chair,
    juror,
    other_juror,
    third_juror,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def screen() -> dict[str, Any]:
    """The chair checks and closes a round from a phone, between two meetings."""
    return dict(PHONE)


def log_in(context: BrowserContext, live_server: LiveServer, user: object) -> None:
    """The session cookie of a password login, set in the browser."""
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )


def test_the_chair_previews_the_cuts_and_closes_the_round_from_a_phone(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    contest: Contest,
    chair: object,  # noqa: F811 - the fixture imported above
    active_round: Callable[..., Round],  # noqa: F811
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=4)
    # Photos 1 and 2 get two yes, photo 3 one, photo 4 none: cuts 100 %, 50 % and 0 %.
    yes = {"Photo 1": 2, "Photo 2": 2, "Photo 3": 1, "Photo 4": 0}
    for task in Task.objects.filter(round=round).select_related("juror", "round_entry__entry"):
        title = task.round_entry.entry.title
        value = 1 if yes[title] > 0 else 0
        yes[title] -= value
        services.task_vote(task_id=task.pk, juror=task.juror, version=task.version, value=value)
    log_in(context, live_server, chair)

    page.goto(live_server.url + reverse("jury:round", args=[contest.slug, round.pk]))
    expect(page.locator("h1")).to_contain_text("Tour 1")
    preview = page.locator(".jury-preview")
    expect(preview.locator('input[name="cut"]')).to_have_count(4)  # three cuts and "another"
    expect(preview.locator("tbody tr").nth(1)).to_contain_text("3")
    assert_fits_the_screen(page, "jury chair's page")
    assert_accessible(page, "chair's round page")

    # At least 50 % yes: three photos advance.
    preview.get_by_label("au moins 50 % de oui").check()
    preview.get_by_role("button", name="Clôturer avec ce seuil…").click()
    expect(page.locator("h1")).to_have_text("Clôturer le tour 1 ?")
    expect(page.locator(".jury-shortlist li")).to_have_count(3)
    assert_fits_the_screen(page, "jury chair's page")
    assert_accessible(page, "closing confirmation")

    page.locator("#confirm-close").click()
    expect(page.locator(".messages")).to_contain_text("3 photos sont retenues")
    round.refresh_from_db()
    assert round.state == Round.State.CLOSED and round.cut == 0.5
    assert RoundEntry.objects.filter(round=round, advanced=True).count() == 3
    expect(page.locator(".jury-preview")).to_have_count(0)
    assert_accessible(page, "closed round page")


def test_the_chair_starts_a_round_and_follows_its_progress_until_it_is_active(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    contest: Contest,
    chair: object,  # noqa: F811 - the fixture imported above
    juror: object,  # noqa: F811
    other_juror: object,  # noqa: F811
    third_juror: object,  # noqa: F811
    approved_photos: Callable[[int], list[Any]],  # noqa: F811
) -> None:
    approved_photos(4)
    round = services.round_create(
        contest=contest,
        kind=Round.Kind.YESNO,
        quorum=2,
        deadline=timezone.now() + timedelta(days=7),
        chair=chair,  # type: ignore[arg-type]
    )
    log_in(context, live_server, chair)
    page.goto(live_server.url + reverse("jury:round", args=[contest.slug, round.pk]))

    page.get_by_role("button", name="Lancer le tour 1").click()
    status = page.get_by_role("status").filter(has_text="Étape")
    expect(status).to_contain_text("Étape 1 sur 3")
    assert_fits_the_screen(page, "round starting")
    assert_accessible(page, "round starting")

    # The worker's job (its service, as the worker runs it); the page, polling, then shows
    # the round active by itself.
    services.round_start_run(round_id=round.pk)
    expect(page.get_by_role("button", name="Mettre en pause le tour 1")).to_be_visible(
        timeout=15_000
    )
    expect(page.locator(".badge")).to_have_text("En cours")
    assert_accessible(page, "round started")
