"""Marketing compares the candidates as covers, moves a crop by keyboard, picks a cover;
the chair locks the allocation. In Chromium at phone and desktop sizes, axe-core on every
page, and any console error (a CSP refusal included) fails the test."""

from __future__ import annotations

from base64 import b64decode, b64encode
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from covers import legibility, services
from covers.legibility import RGB
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
    expect(page.locator("#crop-editor:not([aria-busy])")).to_have_count(1)
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


LEGIBILITY_JS = (Path(__file__).resolve().parents[2] / "static/js/covers-legibility.js").read_text()


def generated_regions() -> list[tuple[Image.Image, RGB, RGB, float]]:
    """Regions under a title, with text and band colours: plain, noisy, checked, striped,
    shaded and drawn, from smaller than the analysis height to several times it."""
    rng = np.random.default_rng(9)
    regions: list[tuple[Image.Image, RGB, RGB, float]] = []
    sizes = [(300, 80), (420, 96), (510, 130), (260, 57), (640, 200), (97, 33), (380, 301)]
    for k in range(21):
        width, height = sizes[k % len(sizes)]
        kind = k % 6
        yy, xx = np.mgrid[0:height, 0:width]
        base = rng.integers(0, 256, 3)
        if kind == 0:
            pixels = np.broadcast_to(base, (height, width, 3))
        elif kind == 1:
            pixels = np.clip(base + rng.normal(0, 12 + 10 * k, (height, width, 3)), 0, 255)
        elif kind == 2:
            cell = 2 + k % 9
            checks = ((xx // cell + yy // cell) % 2)[..., None]
            pixels = np.where(checks, base, 255 - base)
        elif kind == 3:
            pixels = np.where(((xx // (1 + k % 5)) % 2)[..., None], base, base // 3)
        elif kind == 4:
            pixels = (xx / width * 255)[..., None] * np.array([1.0, 0.6, 0.2]) + base * 0.3
        else:
            image = Image.new("RGB", (width, height), tuple(int(v) for v in base))
            draw = ImageDraw.Draw(image)
            for _ in range(12):
                x, y = rng.integers(0, width), rng.integers(0, height)
                r = int(rng.integers(3, 30))
                fill = tuple(int(v) for v in rng.integers(0, 256, 3))
                draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
            pixels = np.asarray(image)
        region = Image.fromarray(np.asarray(pixels, dtype=np.float64).round().astype(np.uint8))
        # White on navy and black on cream as guides have them, and any colours.
        text, band = [((255, 255, 255), (0, 58, 112)), ((0, 0, 0), (250, 245, 230))][k % 2]
        if k % 3 == 2:
            text = tuple(int(v) for v in rng.integers(0, 256, 3))  # type: ignore[assignment]
            band = tuple(int(v) for v in rng.integers(0, 256, 3))  # type: ignore[assignment]
        regions.append((region, text, band, float(rng.choice([0.0, 0.3, 0.6, 0.85]))))
    return regions


def test_the_page_measures_legibility_as_the_python_rule_does(page: Page) -> None:
    page.goto("about:blank")
    page.evaluate("() => {\n" + LEGIBILITY_JS + "\n}")
    rule = legibility.page_rule()
    levels = set()
    for region, text, band, opacity in generated_regions():
        width, height = region.size
        expected = legibility.measure_legibility(
            region, text_rgb=text, band_rgb=band, band_opacity=opacity
        )
        scaled = legibility._at_analysis_scale(region)
        got = page.evaluate(
            """([b64, w, h, text, band, opacity, rule, sw, sh]) => {
              const L = window.CoverLegibility;
              const px = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
              const r = L.measure(px, w, h, 3, text, band, opacity, L.parseRule(rule));
              const scaled = L.resizeBox(px, w, h, 3, sw, sh);
              r.scaled = btoa(Array.from(scaled, (v) => String.fromCharCode(v)).join(""));
              return r;
            }""",
            [
                b64encode(region.tobytes()).decode(),
                width,
                height,
                text,
                band,
                opacity,
                rule,
                *scaled.size,
            ],
        )
        where = f"{width}x{height} text {text} band {band} at {opacity}"
        # The same pixels after Pillow's BOX filter, byte for byte.
        assert b64decode(got["scaled"]) == scaled.tobytes(), where
        assert got["contrast"] == pytest.approx(expected.contrast, abs=0.006), where
        # A pixel whose gradient is the threshold to float32's precision may fall either way.
        pixels = scaled.width * scaled.height
        assert got["busyness"] == pytest.approx(expected.busyness, abs=0.0006 + 2 / pixels), where
        assert got["level"] == expected.level, where
        assert got["reasons"] == list(expected.reasons), where
        levels.add(got["level"])
    assert levels == {"good", "warning", "poor"}, "the images reach every level"


def test_the_crop_editor_says_live_how_the_title_reads_as_the_frame_moves(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
    contest: Contest,
    entrant: Participant,
    guide: Guide,  # noqa: F811
    marketing_user: object,  # noqa: F811
    shortlist: Callable[..., list[Entry]],  # noqa: F811
) -> None:
    from tests.covers.test_crop_legibility import title_test_photo

    # Plain grey, with a coarse checkerboard over the top right: busy under the title there.
    monkeypatch.setattr("tests.covers.conftest.photo_bytes", title_test_photo)
    (entry,) = shortlist([(entrant, (2600, 1800))])
    services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    log_in(context, live_server, marketing_user)
    page.goto(live_server.url + reverse("covers:crop", args=[contest.slug, guide.pk, entry.pk]))

    status = page.locator("#crop-status")
    verdict = page.locator("#crop-legibility")
    expect(status).to_have_attribute("aria-live", "polite")
    # The suggestion goes to the busy corner; the page's figure is the server's.
    expect(verdict).to_have_text("Titre difficile à lire. Trop chargé sous le titre.")
    expect(status).to_contain_text("212 ppi")
    assert_fits_the_screen(page, "crop editor")
    assert_accessible(page, "crop editor with legibility")

    # Dragged to the plain left: said while the frame moves, before it is sent.
    frame = page.locator("#crop-svg")
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    assert box is not None
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.98, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, middle, steps=4)
    page.mouse.move(box["x"] + 1, middle, steps=4)
    expect(verdict).to_have_text("Titre facile à lire.")
    expect(verdict).to_have_class("legibility legibility-good")
    assert Crop.objects.get(guide=guide, entry=entry).suggested  # nothing sent yet
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.mouse.up()
    # The editor the server answers with says the same.
    expect(status).to_contain_text("Modifié par")
    expect(verdict).to_have_text("Titre facile à lire.")
    assert Crop.objects.get(guide=guide, entry=entry).left == pytest.approx(0, abs=1e-3)

    # By keyboard, step by step to the right until the checkerboard comes under the title.
    settled = page.locator("#crop-editor:not([aria-busy])")
    expect(settled).to_have_count(1)
    frame.focus()
    busy = "Titre difficile à lire. Trop chargé sous le titre."
    for _ in range(20):
        before = page.locator('input[name="left"]').input_value()
        page.keyboard.press("ArrowRight")
        expect(page.locator('input[name="left"]')).not_to_have_value(before)
        expect(settled).to_have_count(1)  # keys wait for htmx to wire the new form
        if verdict.text_content() == busy:
            break
    expect(verdict).to_have_text(busy)
    # Each step by 5 % of the frame: the checkerboard starts 35 % into the photo.
    assert 0.1 < Crop.objects.get(guide=guide, entry=entry).left < 0.35
    expect(frame).to_be_focused()
    assert_accessible(page, "crop editor moved by keyboard")


def test_the_overview_shows_why_better_ranked_photos_are_not_the_covers(
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
    second = Guide.objects.create(contest=contest, name="Ligne 5", line_label="5", format="DL")
    big = (2600, 1800)
    shortlist([(entrant, (900, 600)), (entrant, big), (entrant, big), (other_entrant, big)])
    services.allocation_suggest(contest=contest, actor=chair)  # type: ignore[arg-type]
    log_in(context, live_server, marketing_user)
    page.goto(live_server.url + reverse("covers:overview", args=[contest.slug]))

    table = page.locator(f"#guide-{second.pk} ~ .why-not table")
    expect(table.locator("tbody tr")).to_have_count(3)
    rows = table.locator("tbody tr")
    expect(rows.nth(0)).to_contain_text("Non éligible : Trop petite pour ce format")
    expect(rows.nth(1)).to_contain_text("Déjà la couverture du guide « Ligne 2 »")
    expect(rows.nth(2)).to_contain_text("une couverture par participant")
    assert_fits_the_screen(page, "covers overview")
    assert_accessible(page, "covers overview with why not")
