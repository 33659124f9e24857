"""The legibility rule on regions whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from covers.legibility import (
    BUSY_SHARE,
    Level,
    colour_luminance,
    composite,
    contrast_ratio,
    judge,
    measure_legibility,
)

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)


def checkerboard(
    size: tuple[int, int], square: int, dark: tuple[int, int, int], light: tuple[int, int, int]
) -> Image.Image:
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    checks = ((xx // square + yy // square) % 2).astype(bool)
    return Image.fromarray(np.where(checks[..., None], light, dark).astype(np.uint8))


def test_the_hand_computed_contrast_of_white_on_767676() -> None:
    """#76 = 118 -> 118 / 255 = 0.46275; linearised ((0.46275 + 0.055) / 1.055) ** 2.4 =
    0.18116; white's Y is 1; (1 + 0.05) / (0.18116 + 0.05) = 4.542."""
    assert colour_luminance((0x76, 0x76, 0x76)) == pytest.approx(0.18116, abs=1e-4)
    ratio = float(contrast_ratio(1.0, colour_luminance((0x76, 0x76, 0x76))))
    assert ratio == pytest.approx(4.54, abs=0.005)
    assert float(contrast_ratio(colour_luminance(WHITE), colour_luminance(BLACK))) == pytest.approx(
        21.0
    )


def test_white_text_over_a_dark_plain_region_is_good() -> None:
    result = measure_legibility(
        Image.new("RGB", (400, 80), (20, 30, 50)), text_rgb=WHITE, band_rgb=BLACK, band_opacity=0.0
    )
    assert result.level == Level.GOOD
    assert result.reasons == ()
    assert result.contrast > 14
    assert result.busyness == 0


def test_white_text_over_a_near_white_region_is_poor() -> None:
    result = measure_legibility(
        Image.new("RGB", (400, 80), (235, 235, 230)),
        text_rgb=WHITE,
        band_rgb=BLACK,
        band_opacity=0.0,
    )
    assert result.level == Level.POOR
    assert result.reasons == ("low_contrast",)
    assert result.mean_luminance > 0.75


def test_a_fine_checkerboard_is_busy_even_with_enough_contrast() -> None:
    region = checkerboard((480, 96), 8, (0, 0, 0), (60, 60, 60))
    result = measure_legibility(region, text_rgb=WHITE, band_rgb=BLACK, band_opacity=0.0)
    assert result.busyness > BUSY_SHARE
    assert result.level == Level.WARNING
    assert result.reasons == ("busy",)


def test_busyness_does_not_depend_on_the_resolution_of_the_region() -> None:
    small = checkerboard((480, 96), 8, (0, 0, 0), (60, 60, 60))
    large = checkerboard((1920, 384), 32, (0, 0, 0), (60, 60, 60))
    measure = {
        name: measure_legibility(im, text_rgb=WHITE, band_rgb=BLACK, band_opacity=0.0).busyness
        for name, im in (("small", small), ("large", large))
    }
    assert measure["small"] == pytest.approx(measure["large"], abs=0.02)


def test_an_opaque_band_leaves_only_the_text_against_the_band() -> None:
    rng = np.random.default_rng(1)
    busy_and_bright = Image.fromarray(rng.integers(0, 256, (80, 400, 3), dtype=np.uint8))
    result = measure_legibility(
        busy_and_bright, text_rgb=WHITE, band_rgb=(0x76, 0x76, 0x76), band_opacity=1.0
    )
    assert result.contrast == pytest.approx(4.54, abs=0.01)
    assert result.busyness == 0
    assert result.level == Level.GOOD


def test_a_half_opaque_band_is_mixed_with_the_photo() -> None:
    mixed = composite(Image.new("RGB", (4, 4), (200, 100, 0)), (0, 0, 200), 0.5)
    assert mixed[0, 0] * 255 == pytest.approx([100, 50, 100])


def test_a_bright_patch_under_white_text_counts_though_the_region_is_dark_on_average() -> None:
    region = Image.new("RGB", (400, 100), (10, 10, 10))
    region.paste((250, 250, 250), (0, 0, 80, 100))  # a fifth of the region
    result = measure_legibility(region, text_rgb=WHITE, band_rgb=BLACK, band_opacity=0.0)
    assert result.mean_luminance < 0.25
    assert result.level == Level.POOR


def test_a_speck_smaller_than_a_tenth_does_not_decide() -> None:
    region = Image.new("RGB", (400, 100), (10, 10, 10))
    region.paste((250, 250, 250), (0, 0, 20, 100))  # a twentieth
    result = measure_legibility(region, text_rgb=WHITE, band_rgb=BLACK, band_opacity=0.0)
    assert "low_contrast" not in result.reasons


@pytest.mark.parametrize(
    ("contrast", "busyness", "level", "reasons"),
    [
        (4.5, 0.0, Level.GOOD, ()),
        (4.49, 0.0, Level.WARNING, ("low_contrast",)),
        (3.0, 0.0, Level.WARNING, ("low_contrast",)),
        (2.99, 0.0, Level.POOR, ("low_contrast",)),
        (12.0, BUSY_SHARE, Level.GOOD, ()),
        (12.0, BUSY_SHARE + 0.01, Level.WARNING, ("busy",)),
        (2.0, 0.5, Level.POOR, ("low_contrast", "busy")),
    ],
)
def test_the_rule_at_its_thresholds(
    contrast: float, busyness: float, level: Level, reasons: tuple[str, ...]
) -> None:
    assert judge(contrast, busyness) == (level, reasons)


def test_it_refuses_an_opacity_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="opacity"):
        measure_legibility(
            Image.new("RGB", (4, 4)), text_rgb=WHITE, band_rgb=BLACK, band_opacity=1.5
        )


def test_it_refuses_an_empty_region() -> None:
    with pytest.raises(ValueError, match="empty"):
        measure_legibility(
            Image.new("RGB", (0, 4)), text_rgb=WHITE, band_rgb=BLACK, band_opacity=0.5
        )
