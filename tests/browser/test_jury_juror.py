"""A juror's pages in Chromium at phone size (390x844), driven by the keyboard alone, with
axe-core scans; the `page` fixture fails on any console error (a CSP refusal among them).

The juror signs in by link, as jurors do: the session cookie comes from a login through
django-sesame's backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from jury.models import Ballot, Juror, Round, Task
from tests.browser.conftest import PHONE
from tests.browser.test_entry_flow import assert_accessible

# The jury's personas and rounds (tests/jury/conftest.py), for this folder too.
from tests.jury.conftest import (  # noqa: F401
    active_round,
    approved_photos,
    chair,
    juror,
    other_juror,
    third_juror,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("screen", [pytest.param(PHONE, id="phone")], indirect=True),
]

CRITERIA = [
    {"code": "fit", "label": "Respect du thème", "weight": 2},
    {"code": "light", "label": "Lumière", "weight": 1},
]


def log_in_by_link(context: BrowserContext, live_server: LiveServer, user: object) -> None:
    client = Client()
    client.force_login(user, backend="sesame.backends.ModelBackend")  # type: ignore[arg-type]
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )


def tasks_of(user: object) -> list[Task]:
    return list(Task.objects.filter(juror__user=user).select_related("round_entry").order_by("pk"))


def expect_photo(page: Page, task: Task) -> None:
    """The swap is done: the task's photo is in, live, and its title has the focus."""
    expect(page.locator("#judge")).to_have_attribute("data-task", str(task.pk))
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    title = page.locator("#judge-title")
    expect(title).to_contain_text(task.round_entry.code)
    expect(title).to_be_focused()


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_juror_scores_a_rating_round_by_keyboard_on_a_phone(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    active_round: Callable[..., Round],  # noqa: F811 - the fixture imported above
    juror: object,  # noqa: F811
) -> None:
    active_round(kind=Round.Kind.RATING, quorum=3, photos=3, criteria=CRITERIA)
    first, second, third = tasks_of(juror)
    log_in_by_link(context, live_server, juror)

    page.goto(live_server.url + reverse("jury:judge", args=["couvertures-2027"]))
    expect(page.locator("#judge")).to_have_attribute("data-task", str(first.pk))
    expect(page.locator(".progress-text")).to_have_text("0 sur 3 · 6 jours restants")
    expect(page.locator(".judge-photo img")).to_have_js_property("complete", True)
    assert no_sideways_scroll(page), "the judging screen scrolls sideways"
    assert_accessible(page, "judging screen")
    page.evaluate("() => { window.sameDocument = true; }")

    # ? shows the keys, Esc hides them.
    page.keyboard.press("?")
    expect(page.locator("#keys")).to_be_visible()
    assert_accessible(page, "judging screen with the keys shown")
    page.keyboard.press("Escape")
    expect(page.locator("#keys")).to_be_hidden()

    # 4 scores the first criterion and moves on; 5 the second; Enter sends.
    page.keyboard.press("4")
    expect(page.locator("#judge-" + str(first.pk) + "-fit-4")).to_be_checked()
    expect(page.locator("#judge-" + str(first.pk) + "-light-1")).to_be_focused()
    page.keyboard.press("5")
    expect(page.get_by_role("button", name=re.compile("Envoyer mes notes"))).to_be_focused()
    page.keyboard.press("Enter")
    expect_photo(page, second)
    expect(page.locator(".progress-text")).to_have_text("1 sur 3 · 6 jours restants")
    expect(page.locator("#status")).to_contain_text(first.round_entry.code)
    first.refresh_from_db()
    assert (first.state, first.scores) == ("done", {"fit": 4.0, "light": 5.0})
    assert_accessible(page, "judging screen after a vote")

    # Enter with a criterion left unscored sends nothing: the missing one gets the focus.
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.locator("#judge-" + str(second.pk) + "-light-1")).to_be_focused()
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    expect_photo(page, third)
    expect(page.locator(".progress-text")).to_have_text("2 sur 3 · 6 jours restants")

    # U takes the last vote back: its photo comes again, unscored.
    page.keyboard.press("u")
    expect_photo(page, second)
    expect(page.locator(".progress-text")).to_have_text("1 sur 3 · 6 jours restants")
    second.refresh_from_db()
    assert second.state == "open"

    # S puts it aside; F stars the next one.
    page.keyboard.press("s")
    expect_photo(page, third)
    page.keyboard.press("f")
    expect_photo(page, third)
    expect(page.locator('[data-key="f"]')).to_contain_text("retirer")
    third.refresh_from_db()
    assert third.favourite
    page.keyboard.press("1")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect_photo(page, second)  # the skipped one, last
    assert no_sideways_scroll(page), "the judging screen scrolls sideways after swaps"
    assert page.evaluate("() => window.sameDocument === true"), "the page was reloaded"


def test_a_juror_orders_a_ranking_round_by_keyboard_on_a_phone(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    active_round: Callable[..., Round],  # noqa: F811 - the fixture imported above
    juror: object,  # noqa: F811
) -> None:
    round = active_round(kind=Round.Kind.RANKING, photos=3)
    first, second, third = tasks_of(juror)
    log_in_by_link(context, live_server, juror)

    page.goto(live_server.url + reverse("jury:ranking", args=["couvertures-2027"]))
    items = page.locator(".rank-item")
    expect(items).to_have_count(3)
    expect(page.locator(".rank-moves").first).to_be_visible()  # jury.js is in charge
    assert no_sideways_scroll(page), "the ranking page scrolls sideways"
    assert_accessible(page, "ranking page")

    # Alt+↓ twice takes the first photo to the end; the rank numbers follow.
    moved = items.first
    moved.focus()
    page.keyboard.press("Alt+ArrowDown")
    page.keyboard.press("Alt+ArrowDown")
    codes = [t.round_entry.code for t in (second, third, first)]
    for position, code in enumerate(codes):
        expect(items.nth(position)).to_have_attribute("data-code", code)
        expect(items.nth(position).locator("input[type=number]")).to_have_value(str(position + 1))
    expect(page.locator(f'.rank-item[data-code="{first.round_entry.code}"]')).to_be_focused()
    expect(page.locator("#ranking-live")).to_have_text(
        f"{first.round_entry.code} : position 3 sur 3."
    )
    # The "move up" button does the same, for touch and screen readers.
    up = page.locator(f'.rank-item[data-code="{first.round_entry.code}"] [data-move="up"]')
    up.focus()
    page.keyboard.press("Enter")
    expect(items.nth(1)).to_have_attribute("data-code", first.round_entry.code)
    expect(up).to_be_focused()
    assert_accessible(page, "ranking page after moves")

    save = page.get_by_role("button", name="Enregistrer mon classement")
    save.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Votre classement est enregistré.")
    ballot = Ballot.objects.get(round=round, juror=Juror.objects.get(user=juror))
    assert ballot.groups == [
        [second.round_entry_id],
        [first.round_entry_id],
        [third.round_entry_id],
    ]
    # Coming back shows the saved order.
    expect(items.nth(1)).to_have_attribute("data-code", first.round_entry.code)
    assert_accessible(page, "ranking page with the saved ballot")
