"""Legibility of the cover title over the photo: a measured rule, not a designer's eye.

The rule: the title band is composited over the photo first (sRGB values mixed with the band's
opacity, as the mock-up and the print file draw it). Over that region we measure

* **contrast**: the WCAG 2 contrast ratio between the text colour and each pixel (relative
  luminance of linearised sRGB), taken at the 10th percentile, so the worst tenth of the
  region decides: a bright patch under white text counts even when the mean is dark;
* **busyness**: the share of edge pixels, a pixel being an edge where the Sobel gradient of
  CIE lightness L* is a step of at least 10 L* (a clearly visible one), measured with the
  region scaled to 96 pixels high so a thumbnail and the original give the same figure.

The level is **good** at a contrast of 4.5:1 or more (WCAG AA for normal text), **warning**
from 3:1 to 4.5:1 (WCAG AA for large text, which a cover title is), **poor** under 3:1.
A busy region (more than 15 % edge pixels) turns *good* into *warning*. Each shortfall is
named in `reasons`: `low_contrast` (under 4.5:1) and `busy`.

Checked by hand: white (#FFFFFF, Y = 1) on #767676 (118/255 = 0.4627, linearised
((0.4627 + 0.055) / 1.055) ** 2.4 = 0.1812) gives (1 + 0.05) / (0.1812 + 0.05) = 4.54:1,
the darkest grey that passes AA under white text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL import Image

FloatArray = NDArray[np.float32]
RGB = tuple[int, int, int]

CONTRAST_GOOD = 4.5
"""WCAG 2 AA (success criterion 1.4.3) for normal-size text."""
CONTRAST_MIN = 3.0
"""WCAG 2 AA for large text (18 pt, or 14 pt bold): a cover title is at least that, so
under this even a large title fails."""
CONTRAST_PERCENTILE = 10.0
"""The worst tenth of the region decides: a patch that small already swallows letters."""
EDGE_STEP = 0.10
"""A gradient of 10 L* (of 100) across a pixel: an edge anyone sees, above JPEG noise and
the gentle shading of sky or a wall."""
BUSY_SHARE = 0.15
"""Share of edge pixels over which the region reads as busy. Measured on full-width bands
(a fifth of the height) of the real sample photos: sky, sea and a plain wall 0 to 5 %,
clouds or lined paper 10 to 13 %, a skyline over water 16 %, foliage, a kitchen, gravel
23 to 74 %. Clouds still carry a title; foliage does not."""
ANALYSIS_HEIGHT = 96
"""The region is measured at this height (keeping its aspect), so busyness does not depend
on the resolution it is cut from."""

_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
"""Rec. 709 / sRGB weights of linear R, G, B in relative luminance (WCAG 2)."""


class Level(StrEnum):
    GOOD = "good"
    WARNING = "warning"
    POOR = "poor"


class Reason(StrEnum):
    LOW_CONTRAST = "low_contrast"
    BUSY = "busy"


@dataclass(frozen=True, slots=True)
class Legibility:
    """How well the title reads over its band and the photo under it."""

    contrast: float
    """WCAG contrast ratio (1 to 21) of the text against the worst tenth of the region."""
    busyness: float
    """Share (0 to 1) of edge pixels in the region."""
    level: Level
    reasons: tuple[str, ...]
    mean_luminance: float
    """Mean WCAG relative luminance (0 to 1) of the composited region."""


def linearise(srgb: FloatArray) -> FloatArray:
    """sRGB-encoded values (0 to 1) to linear light, the IEC 61966-2-1 curve."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4).astype(
        np.float32
    )


def relative_luminance(srgb: FloatArray) -> FloatArray:
    """WCAG relative luminance (0 to 1) of sRGB-encoded pixels (..., 3) in 0 to 1."""
    return np.asarray(linearise(srgb) @ _LUMA, dtype=np.float32)


def colour_luminance(rgb: RGB) -> float:
    """WCAG relative luminance of one 8-bit sRGB colour."""
    return float(relative_luminance(np.array(rgb, dtype=np.float32) / 255.0))


def contrast_ratio(first: float | FloatArray, second: float | FloatArray) -> FloatArray:
    """WCAG contrast ratio (1 to 21) between relative luminances, element-wise."""
    high = np.maximum(first, second)
    low = np.minimum(first, second)
    return np.asarray((high + 0.05) / (low + 0.05), dtype=np.float32)


def lightness(luminance: FloatArray) -> FloatArray:
    """CIE L* (0 to 100) of relative luminance Y (white Y = 1)."""
    # Below (6/29)^3 the cube root is replaced by a line (CIE 1976), so near-black is stable.
    cube = np.cbrt(luminance)
    linear = luminance * (841.0 / 108.0) + 4.0 / 29.0
    f = np.where(luminance > (6.0 / 29.0) ** 3, cube, linear)
    return np.asarray(116.0 * f - 16.0, dtype=np.float32)


def sobel(channel: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The 3x3 Sobel gradients (Gx, Gy) of a 2-D array; the border repeats the edge pixels,
    so the frame itself is no edge."""
    p = np.pad(channel, 1, mode="edge")
    gx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])
    gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
    return gx, gy


def sobel_magnitude(channel: FloatArray) -> FloatArray:
    """Sobel gradient magnitude, divided by 4 so that a step of 1 between neighbours reads 1."""
    gx, gy = sobel(channel)
    return np.asarray(np.hypot(gx, gy) / 4.0, dtype=np.float32)


def composite(region: Image.Image, band_rgb: RGB, band_opacity: float) -> FloatArray:
    """The region (H, W, 3; sRGB-encoded 0 to 1) with the band laid over it at `band_opacity`.

    Mixed in sRGB-encoded values, as Pillow's `Image.blend` does in the mock-up: the figure
    describes the picture that is drawn.
    """
    if not 0.0 <= band_opacity <= 1.0:
        raise ValueError(f"band opacity must be between 0 and 1, not {band_opacity}")
    pixels = np.asarray(region.convert("RGB"), dtype=np.float32) / 255.0
    band = np.array(band_rgb, dtype=np.float32) / 255.0
    return np.asarray(pixels * (1.0 - band_opacity) + band * band_opacity, dtype=np.float32)


def measure_legibility(
    region: Image.Image, *, text_rgb: RGB, band_rgb: RGB, band_opacity: float
) -> Legibility:
    """The legibility of `text_rgb` over the photo `region` under a band (module docstring)."""
    if region.width < 1 or region.height < 1:
        raise ValueError("the region under the title is empty")
    mixed = composite(_at_analysis_scale(region), band_rgb, band_opacity)
    luminance = relative_luminance(mixed)
    per_pixel = contrast_ratio(colour_luminance(text_rgb), luminance)
    contrast = float(np.percentile(per_pixel, CONTRAST_PERCENTILE))
    busyness = float(np.mean(sobel_magnitude(lightness(luminance) / 100.0) >= EDGE_STEP))
    level, reasons = judge(contrast, busyness)
    return Legibility(
        contrast=round(contrast, 2),
        busyness=round(busyness, 3),
        level=level,
        reasons=reasons,
        mean_luminance=round(float(luminance.mean()), 4),
    )


def judge(contrast: float, busyness: float) -> tuple[Level, tuple[str, ...]]:
    """The level and its reasons for measured contrast and busyness (the rule above)."""
    reasons: list[str] = []
    if contrast < CONTRAST_GOOD:
        reasons.append(Reason.LOW_CONTRAST)
    if busyness > BUSY_SHARE:
        reasons.append(Reason.BUSY)
    if contrast < CONTRAST_MIN:
        return Level.POOR, tuple(reasons)
    return (Level.WARNING if reasons else Level.GOOD), tuple(reasons)


def page_rule() -> str:
    """The rule's constants as the crop editor hands them to covers-legibility.js (its
    `parseRule`), so the page measures with the numbers this module defines."""
    values = (
        CONTRAST_GOOD,
        CONTRAST_MIN,
        CONTRAST_PERCENTILE,
        EDGE_STEP,
        BUSY_SHARE,
        ANALYSIS_HEIGHT,
    )
    return " ".join(repr(v) for v in values)


def _at_analysis_scale(region: Image.Image) -> Image.Image:
    height = ANALYSIS_HEIGHT
    width = max(1, round(region.width * height / region.height))
    if region.size == (width, height):
        return region
    # BOX averages when shrinking and repeats pixels when enlarging: a hard edge stays one
    # edge wide either way instead of being smeared over several pixels.
    return region.resize((width, height), Image.Resampling.BOX)
