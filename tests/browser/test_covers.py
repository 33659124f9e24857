"""Marketing compares the candidates as covers, moves a crop by keyboard, picks a cover;
the chair locks the allocation. In Chromium at phone and desktop sizes, axe-core on every
page, and any console error (a CSP refusal included) fails the test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from covers import services
from covers.models import CoverEvent, CoverSettings, Crop, Guide, Pick
from tests.browser.test_entry_flow import assert_accessible
from tests.browser.test_jury_chair import assert_fits_the_screen, log_in

# The covers' fixtures (tests/covers/conftest.py), for this folder too.
from tests.covers.conftest import (  # noqa: F401
    chair,
    guide,
    juror,
    marketing_user,
    other_juror,
    rider,
    shortlist,
    third_juror,
)

pytestmark = pytest.mark.browser


def test_marketing_compares_covers_crops_by_keyboard_and_the_chair_locks(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    other_entrant: Participant,
    guide: Guide,  # noqa: F811
    chair: object,  # noqa: F811
    marketing_user: object,  # noqa: F811
    shortlist: Callable[..., list[Entry]],  # noqa: F811
) -> None:
    best, second = shortlist([(entrant, (2600, 1800)), (other_entrant, (900, 600))])
    for entry in (best, second):
        services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    log_in(context, live_server, marketing_user)

    page.goto(live_server.url + reverse("covers:candidates", args=[contest.slug, guide.pk]))
    covers = page.locator(".cover-candidate")
    expect(covers).to_have_count(2)
    expect(covers.nth(0).locator("img")).to_be_visible()
    expect(covers.nth(0).locator(".badge.ppi-warning")).to_contain_text("212 ppi")
    # The small photo is shown greyed, with why.
    expect(covers.nth(1)).to_have_class("cover-candidate ineligible")
    expect(covers.nth(1).locator(".reason")).to_contain_text("71 ppi")
    assert_fits_the_screen(page, "covers page")
    assert_accessible(page, "candidates as covers")
    # The print lines, on demand.
    page.goto(page.url + "?lignes=1")
    assert "lignes=1" in (page.locator(".cover-candidate img").first.get_attribute("src") or "")

    # The crop: focus the photo, move the frame with the keyboard.
    page.goto(live_server.url + reverse("covers:crop", args=[contest.slug, guide.pk, best.pk]))
    before = Crop.objects.get(guide=guide, entry=best)
    frame = page.locator("#crop-svg")
    left, width = page.locator('input[name="left"]'), page.locator('input[name="width"]')
    start_left = left.input_value()
    frame.focus()
    page.keyboard.press("ArrowRight")
    # The answer swaps the editor in, with the frame moved and the photo focused again.
    expect(left).not_to_have_value(start_left)
    expect(frame).to_be_focused()
    # "-" makes the frame a tenth smaller (the move alone changes the width by rounding
    # only): wait for the answer, then check what was saved and what the page shows.
    moved_width = width.input_value()
    page.keyboard.press("-")
    expect(width).not_to_have_value(moved_width)
    after = Crop.objects.get(guide=guide, entry=best)
    assert not after.suggested
    assert after.left != before.left
    assert after.width == pytest.approx(before.width / 1.1, rel=1e-3)
    # 212 ppi / 1.1, live: now under 200, so shown as not allowed.
    expect(page.locator("#crop-ppi")).to_have_text("192 ppi")
    expect(page.locator("#crop-ppi")).to_have_class("badge ppi-refused")
    assert CoverEvent.objects.filter(action=CoverEvent.Action.CROP).count() == 2
    assert_fits_the_screen(page, "covers page")
    assert_accessible(page, "crop editor")

    # Back to the suggestion, then choose the photo for the cover.
    page.locator('button[name="step"][value="reset"]').click()
    page.wait_for_timeout(300)
    services.cover_prepare(guide_id=guide.pk, entry_id=best.pk)
    page.goto(live_server.url + reverse("covers:candidates", args=[contest.slug, guide.pk]))
    page.locator(".cover-candidate").nth(0).locator('form button[type="submit"]').click()
    expect(page.locator(".cover-candidate.picked")).to_have_count(1)
    assert Pick.objects.get(guide=guide).entry_id == best.pk

    # The chair locks the allocation from the overview.
    context.clear_cookies()
    log_in(context, live_server, chair)
    page.goto(live_server.url + reverse("covers:overview", args=[contest.slug]))
    assert_accessible(page, "covers overview")
    page.locator(f'form[action="{reverse("covers:lock", args=[contest.slug])}"] button').click()
    expect(page.locator(".messages")).to_be_visible()
    assert CoverSettings.objects.get(contest=contest).locked_at is not None
    expect(page.locator("progress, a[download]")).to_have_count(1)
    assert_fits_the_screen(page, "covers page")
    assert_accessible(page, "locked allocation")


def test_the_winner_confirms_their_credit_and_the_public_sees_the_winners(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    guide: Guide,  # noqa: F811
    chair: object,  # noqa: F811
    shortlist: Callable[..., list[Entry]],  # noqa: F811
) -> None:
    from covers.models import CreditProof

    [entry] = shortlist([(entrant, (2600, 1800))])
    services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url=live_server.url)  # type: ignore[arg-type]
    proof = CreditProof.objects.get(entry=entry)

    # The winner follows the e-mailed link (no sign-in), sees the cover, corrects the credit.
    page.goto(live_server.url + reverse("covers:proof", args=[proof.token]))
    cover = page.locator(".proof-cover img")
    expect(cover).to_be_visible()
    cover.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 900", arg=cover.element_handle()
    )
    assert_fits_the_screen(page, "covers page")
    assert_accessible(page, "winner's proof")
    page.get_by_label("Mention du crédit photo", exact=False).fill("Photo : Camille Dupont")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".messages")).to_be_visible()
    proof.refresh_from_db()
    assert proof.credit_line == "Photo : Camille Dupont" and proof.confirmed_at is not None

    services.results_publish(contest=contest, actor=chair, base_url=live_server.url)  # type: ignore[arg-type]
    page.goto(live_server.url + reverse("covers:winners", args=[contest.slug]))
    winner = page.locator(".winners li")
    expect(winner).to_have_count(1)
    expect(winner).to_contain_text("Ligne 2")
    expect(winner).to_contain_text(entry.title)
    expect(winner).to_contain_text("Photo : Camille Dupont")  # the credit as the winner set it
    # The cover is lazy-loaded: below the fold on a phone until scrolled to.
    image = winner.locator("img")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 900", arg=image.element_handle()
    )
    assert_fits_the_screen(page, "covers page")
    assert_accessible(page, "winners page")
