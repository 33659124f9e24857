"""Cover geometry (covers/geometry.py): pure code, no database.

Known sizes are worked by hand in the docstrings (1 inch = 25.4 mm), so a failure can be
checked against paper.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covers.geometry import (
    PRESETS,
    Box,
    FracBox,
    PrintFormat,
    Readiness,
    Rect,
    best_ppi,
    effective_ppi,
    fit_box,
    largest_box,
    move_box,
    readiness,
    resize_box,
    zone_box,
    zone_on_cover,
)

DL = PrintFormat(*PRESETS["DL"])
A5 = PrintFormat(*PRESETS["A5"])
A6 = PrintFormat(*PRESETS["A6"])
LANDSCAPE = (4000, 3000)
PORTRAIT = (2000, 6000)


def assert_box(box: Box, left: float, top: float, width: float, height: float) -> None:
    """`box` is (left, top, width, height) up to float rounding."""
    assert (box.left, box.top, box.width, box.height) == pytest.approx((left, top, width, height))


def test_it_adds_the_bleed_to_the_trim() -> None:
    """DL is 99 x 210 mm; 3 mm of bleed each side makes 105 x 216, aspect 105/216."""
    assert (DL.bleed_width_mm, DL.bleed_height_mm) == (105.0, 216.0)
    assert DL.aspect == pytest.approx(105 / 216)
    assert A5.aspect == pytest.approx(154 / 216)
    assert A6.aspect == pytest.approx(111 / 154)


def test_it_sizes_the_cover_in_pixels() -> None:
    """At 300 ppi: 105 / 25.4 x 300 = 1240.16 -> 1240, 216 / 25.4 x 300 = 2551.18 -> 2551;
    A5 at 300 ppi: 154 / 25.4 x 300 = 1818.9 -> 1819."""
    assert DL.pixels_at(300) == (1240, 2551)
    assert A5.pixels_at(300) == (1819, 2551)


@pytest.mark.parametrize(
    ("fmt", "crop_width", "ppi", "verdict"),
    [
        (DL, 1050.0, 254.0, Readiness.WARNING),  # 1050 / (105 / 25.4) = 10 x 25.4
        (A5, 2310.0, 381.0, Readiness.GOOD),  # 2310 / (154 / 25.4) = 15 x 25.4
        (A6, 555.0, 127.0, Readiness.REFUSED),  # 555 / (111 / 25.4) = 5 x 25.4
    ],
)
def test_it_computes_the_effective_ppi_of_a_crop(
    fmt: PrintFormat, crop_width: float, ppi: float, verdict: Readiness
) -> None:
    assert effective_ppi(crop_width, fmt) == pytest.approx(ppi)
    assert readiness(effective_ppi(crop_width, fmt)) == verdict


@pytest.mark.parametrize(
    ("ppi", "verdict"),
    [
        (300.0, Readiness.GOOD),
        (299.5, Readiness.GOOD),  # shown as "300 ppi": graded as shown
        (299.49, Readiness.WARNING),
        (200.0, Readiness.WARNING),
        (199.49, Readiness.REFUSED),
        (0.0, Readiness.REFUSED),
    ],
)
def test_it_grades_readiness_at_the_thresholds(ppi: float, verdict: Readiness) -> None:
    assert readiness(ppi) == verdict


def test_it_counts_the_pixels_it_asks_for_at_300_ppi_as_good() -> None:
    """DL at 300 ppi asks for 1240 px (pixels_at), which measure 299.96 ppi."""
    assert readiness(effective_ppi(DL.pixels_at(300)[0], DL)) == Readiness.GOOD


def test_it_counts_a_crop_of_exactly_300_ppi_as_good_despite_rounding() -> None:
    """300 ppi on DL is 105 / 25.4 x 300 = 1240.157... px, which float division may turn
    into 299.99999999999994 ppi."""
    assert readiness(effective_ppi(105 / 25.4 * 300, DL)) == Readiness.GOOD
    assert readiness(effective_ppi(105 / 25.4 * 200, DL)) == Readiness.WARNING


def test_it_finds_the_best_ppi_of_a_photo() -> None:
    """A 4000 x 3000 photo on DL: the crop is 3000 px high, 3000 x 105/216 = 1458.3 px wide,
    so 1458.3 / (105 / 25.4) = 3000 x 25.4 / 216 = 352.78 ppi."""
    assert best_ppi(LANDSCAPE, DL) == pytest.approx(3000 * 25.4 / 216)


def test_it_finds_the_largest_box_of_a_landscape_photo() -> None:
    """4000 x 3000 is wider than 105/216: full height, 3000 x 105/216 = 1458.33 wide,
    centred at (4000 - 1458.33) / 2 = 1270.83."""
    assert_box(largest_box(LANDSCAPE, DL.aspect), 1270.8333, 0, 1458.3333, 3000)


def test_it_finds_the_largest_box_of_a_portrait_photo() -> None:
    """2000 x 6000 (1/3) is narrower than 105/216: full width, 2000 x 216/105 = 4114.29
    high, centred at (6000 - 4114.29) / 2 = 942.86."""
    assert_box(largest_box(PORTRAIT, DL.aspect), 0, 942.8571, 2000, 4114.2857)


def test_it_takes_the_whole_photo_when_it_has_the_aspect() -> None:
    assert_box(largest_box((1050, 2160), DL.aspect), 0, 0, 1050, 2160)


def test_it_fits_a_box_to_the_aspect_keeping_its_centre_and_area() -> None:
    """400 x 600 at (1000, 500): area 240000, centre (1200, 800). With aspect a = 105/216
    the width is sqrt(240000 a) = 341.57 and the height 341.57 / a = 702.65."""
    fitted = fit_box(Box(1000, 500, 400, 600), LANDSCAPE, DL.aspect)
    assert fitted.width / fitted.height == pytest.approx(DL.aspect)
    assert fitted.width * fitted.height == pytest.approx(240000)
    assert fitted.centre == pytest.approx((1200, 800))
    assert_box(fitted, 1200 - 341.565 / 2, 800 - 702.648 / 2, 341.565, 702.648)


def test_it_moves_a_fitted_box_inside_the_photo_without_shrinking_it() -> None:
    """A box hanging over the bottom-right corner keeps its size and touches both edges."""
    fitted = fit_box(Box(3900, 2900, 400, 822.857), LANDSCAPE, DL.aspect)
    assert fitted.width == pytest.approx(400)
    assert (fitted.right, fitted.bottom) == pytest.approx(LANDSCAPE)


def test_it_shrinks_a_box_larger_than_the_photo_to_the_largest_box() -> None:
    """5000 x 5000 centred on (2400, 2400) becomes 1458.33 x 3000: still centred on x = 2400
    (left 2400 - 729.17 = 1670.83), moved up to top = 0."""
    fitted = fit_box(Box(-100, -100, 5000, 5000), LANDSCAPE, DL.aspect)
    assert_box(fitted, 1670.8333, 0, 1458.3333, 3000)


def test_it_grows_an_empty_box_to_one_pixel_of_area() -> None:
    fitted = fit_box(Box(10, 10, 0, 0), LANDSCAPE, DL.aspect)
    assert fitted.width * fitted.height == pytest.approx(1)


def test_it_moves_a_box() -> None:
    assert_box(move_box(Box(100, 100, 500, 1000), 50, 20, LANDSCAPE), 150, 120, 500, 1000)


def test_it_stops_a_moved_box_at_the_edges() -> None:
    """500 x 1000 in 4000 x 3000: left stops at 0, top at 3000 - 1000 = 2000."""
    box = Box(100, 100, 500, 1000)
    assert_box(move_box(box, -500, 5000, LANDSCAPE), 0, 2000, 500, 1000)
    assert_box(move_box(box, 9000, -9000, LANDSCAPE), 3500, 0, 500, 1000)


def test_it_resizes_a_box_about_its_centre() -> None:
    box = Box(1000, 500, 400, 400 / DL.aspect)
    resized = resize_box(box, 0.5, LANDSCAPE, DL.aspect)
    assert resized.width == pytest.approx(200)
    assert resized.centre == pytest.approx(box.centre)
    assert resized.width / resized.height == pytest.approx(DL.aspect)


def test_it_resizes_no_larger_than_the_largest_box() -> None:
    """Centred on x = 1200, the largest box (1458.33 x 3000) starts at 1200 - 729.17."""
    resized = resize_box(Box(1000, 500, 400, 400 / DL.aspect), 100, LANDSCAPE, DL.aspect)
    assert_box(resized, 470.8333, 0, 1458.3333, 3000)


def test_it_resizes_no_smaller_than_the_minimum_width() -> None:
    box = Box(1000, 500, 400, 400 / DL.aspect)
    assert resize_box(box, 0.001, LANDSCAPE, DL.aspect).width == pytest.approx(16)
    assert resize_box(box, 0.001, LANDSCAPE, DL.aspect, min_width=50).width == pytest.approx(50)


def test_it_resizes_a_tiny_photo_to_its_whole_width() -> None:
    """A 10 x 40 photo is narrower than 16 px: the smallest box is its largest, 10 wide."""
    box = largest_box((10, 40), DL.aspect)
    assert resize_box(box, 0.1, (10, 40), DL.aspect).width == pytest.approx(10)


def test_it_maps_a_title_zone_into_the_photo() -> None:
    """The crop (100, 200) 1050 x 2160 spans 105 mm: 10 px/mm. The zone at (5, 10) mm from
    the trim is (8, 13) mm from the bleed edge: (100 + 80, 200 + 130), 890 x 400 px."""
    title = Rect(x_mm=5, y_mm=10, width_mm=89, height_mm=40)
    assert_box(zone_box(title, DL, Box(100, 200, 1050, 2160)), 180, 330, 890, 400)


def test_it_maps_a_title_zone_onto_the_cover() -> None:
    """On a 1050 x 2160 picture of the cover the zone is at (80, 130); on the 300 ppi file
    (1240 px for 105 mm: 11.81 px/mm) at (8 x 11.81, 13 x 11.81) = (94.48, 153.52)."""
    title = Rect(x_mm=5, y_mm=10, width_mm=89, height_mm=40)
    assert_box(zone_on_cover(title, DL, (1050, 2160)), 80, 130, 890, 400)
    scale = 1240 / 105
    assert_box(
        zone_on_cover(title, DL, DL.pixels_at(300)), 8 * scale, 13 * scale, 89 * scale, 40 * scale
    )


def test_it_stores_a_crop_as_fractions_and_back() -> None:
    """(1270.5, 0) 1458.25 x 3000 of 4000 x 3000 is (0.317625, 0) 0.3645625 x 1: on the
    1000 x 750 rendition that is (317.625, 0) 364.5625 x 750."""
    box = Box(1270.5, 0, 1458.25, 3000)
    frac = box.to_fractions(LANDSCAPE)
    assert frac.as_dict() == pytest.approx(
        {"left": 0.317625, "top": 0.0, "width": 0.3645625, "height": 1.0}
    )
    assert_box(frac.to_box(LANDSCAPE), 1270.5, 0, 1458.25, 3000)
    assert_box(frac.to_box((1000, 750)), 317.625, 0, 364.5625, 750)
    assert FracBox(**frac.as_dict()) == frac


def test_it_rounds_a_box_to_whole_pixels_never_empty() -> None:
    assert Box(10.4, 20.6, 99.2, 0.2).as_tuple() == pytest.approx((10.4, 20.6, 109.6, 20.8))
    assert Box(10.4, 20.6, 99.2, 0.2).rounded() == (10, 21, 110, 22)


# --- properties --------------------------------------------------------------------------

sizes = st.tuples(st.integers(1, 8000), st.integers(1, 8000))
aspects = st.one_of(
    st.sampled_from([PrintFormat(*trim).aspect for trim in PRESETS.values()]),
    st.floats(0.1, 10),
)
coords = st.floats(-10_000, 10_000)
lengths = st.floats(0, 20_000)
boxes = st.builds(Box, coords, coords, lengths, lengths)


def assert_inside(box: Box, size: tuple[int, int]) -> None:
    """`box` lies inside the picture, up to float rounding."""
    slack = 1e-9 * max(size)
    assert box.left >= -slack
    assert box.top >= -slack
    assert box.right <= size[0] + slack
    assert box.bottom <= size[1] + slack


@settings(max_examples=300, deadline=None)
@given(boxes, sizes, aspects)
def test_it_always_fits_a_box_inside_the_picture_with_the_aspect(
    box: Box, size: tuple[int, int], aspect: float
) -> None:
    fitted = fit_box(box, size, aspect)
    assert_inside(fitted, size)
    assert fitted.width / fitted.height == pytest.approx(aspect, rel=1e-6)
    assert fitted.width <= largest_box(size, aspect).width * (1 + 1e-12)


@settings(max_examples=300, deadline=None)
@given(boxes, sizes, aspects, st.floats(0.01, 100), coords, coords)
def test_it_keeps_a_resized_or_moved_box_inside_the_picture(
    box: Box, size: tuple[int, int], aspect: float, factor: float, dx: float, dy: float
) -> None:
    resized = resize_box(fit_box(box, size, aspect), factor, size, aspect)
    assert_inside(resized, size)
    assert resized.width / resized.height == pytest.approx(aspect, rel=1e-6)
    moved = move_box(resized, dx, dy, size)
    assert_inside(moved, size)
    assert (moved.width, moved.height) == (resized.width, resized.height)


@settings(max_examples=200, deadline=None)
@given(boxes, sizes)
def test_it_round_trips_a_box_through_fractions(box: Box, size: tuple[int, int]) -> None:
    back = box.to_fractions(size).to_box(size)
    assert (back.left, back.top, back.width, back.height) == pytest.approx(
        (box.left, box.top, box.width, box.height), rel=1e-12, abs=1e-9
    )


def test_it_steps_the_crop_like_the_editor_buttons_and_stops_at_the_edges() -> None:
    """A 100 x 200 box at (100, 100) in a 1000 x 1000 photo: an arrow moves it by 5 % of
    its own size (5 px across, 10 px down); "in" shrinks it to 1/1.1, "out" grows it by 1.1
    about its centre; at the left edge "left" does nothing."""
    from covers.geometry import step_box

    size, box = (1000, 1000), Box(100.0, 100.0, 100.0, 200.0)
    assert step_box(box, "right", size, 0.5) == Box(105.0, 100.0, 100.0, 200.0)
    assert step_box(box, "down", size, 0.5) == Box(100.0, 110.0, 100.0, 200.0)
    smaller = step_box(box, "in", size, 0.5)
    assert smaller.width == pytest.approx(100 / 1.1) and smaller.centre == pytest.approx(box.centre)
    assert step_box(box, "out", size, 0.5).width == pytest.approx(110.0)
    at_edge = Box(0.0, 100.0, 100.0, 200.0)
    assert step_box(at_edge, "left", size, 0.5) == at_edge
    assert step_box(box, "", size, 0.5) == box
