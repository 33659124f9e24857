"""The mock-up draws the cover where the design says, at any width."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from PIL import Image, ImageFont

from covers.geometry import PRESETS, Box, PrintFormat, Rect, largest_box, zone_on_cover
from covers.mockup import (
    FONT_PATH,
    CoverDesign,
    FontMissingError,
    default_logo_zone,
    find_font,
    fit_title,
    guide_width,
    overlay_lines,
    render_mockup,
)

FORMATS = {name: PrintFormat(*size) for name, size in PRESETS.items()}
DL = FORMATS["DL"]
GREY = (128, 128, 128)
WHITE = (255, 255, 255)
NAVY = (0, 56, 110)
TITLE = "Ligne 2 — Gare Sud ⇄ Campus"


def plain_photo(
    size: tuple[int, int] = (900, 600), rgb: tuple[int, int, int] = GREY
) -> Image.Image:
    return Image.new("RGB", size, rgb)


def full_crop(photo: Image.Image, fmt: PrintFormat) -> Box:
    return largest_box(photo.size, fmt.aspect)


def design(fmt: PrintFormat = DL, **changes: object) -> CoverDesign:
    values: dict[str, object] = {
        "fmt": fmt,
        "title": TITLE,
        "line_label": "2",
        "title_zone": Rect(0.0, 14.0, fmt.trim_width_mm, 26.0),
        "band_rgb": NAVY,
        "band_opacity": 1.0,
        "text_rgb": WHITE,
    }
    values.update(changes)
    return CoverDesign(**values)  # type: ignore[arg-type]


def render(
    d: CoverDesign, width: int = 600, photo: Image.Image | None = None, **kw: bool
) -> np.ndarray:
    photo = photo or plain_photo()
    return np.asarray(render_mockup(photo, full_crop(photo, d.fmt), d, width_px=width, **kw))


def zone_pixels(zone: Rect, fmt: PrintFormat, size: tuple[int, int]) -> tuple[int, int, int, int]:
    return zone_on_cover(zone, fmt, size).rounded()


def near(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> np.ndarray:
    return np.all(np.abs(pixels.astype(int) - rgb) <= tolerance, axis=-1)


def outside(mask: np.ndarray, box: tuple[int, int, int, int], margin: int) -> np.ndarray:
    """`mask` with `box` (grown by `margin`) cleared: what lies outside it."""
    left, top, right, bottom = box
    out = mask.copy()
    out[max(0, top - margin) : bottom + margin, max(0, left - margin) : right + margin] = False
    return out


@pytest.mark.parametrize("name", ["DL", "A5", "A6"])
@pytest.mark.parametrize("width", [300, 1200])
def test_it_has_the_width_asked_and_the_trim_plus_bleed_aspect(name: str, width: int) -> None:
    fmt = FORMATS[name]
    photo = plain_photo((4000, 3000))
    out = render_mockup(photo, full_crop(photo, fmt), design(fmt), width_px=width)
    assert out.mode == "RGB"
    assert out.width == width
    assert out.height == round(width / fmt.aspect)
    assert out.width / out.height == pytest.approx(fmt.aspect, rel=2 / out.height)


def test_an_opaque_band_has_the_band_colour_and_runs_into_the_bleed() -> None:
    d = design()
    pixels = render(d)
    left, top, right, bottom = zone_pixels(d.title_zone, DL, (pixels.shape[1], pixels.shape[0]))
    assert tuple(pixels[top + 2, right - 3]) == NAVY
    assert tuple(pixels[bottom - 2, (left + right) // 2]) == NAVY
    # The zone touches both trim edges: the band goes on to the edges of the bleed.
    assert tuple(pixels[top + 2, 0]) == NAVY
    assert tuple(pixels[top + 2, -1]) == NAVY
    assert tuple(pixels[top - 2, right - 3]) == GREY


def test_a_half_opaque_band_blends_with_the_photo() -> None:
    d = design(band_opacity=0.5)
    pixels = render(d)
    _, top, right, _ = zone_pixels(d.title_zone, DL, (pixels.shape[1], pixels.shape[0]))
    expected = [(g + n) / 2 for g, n in zip(GREY, NAVY, strict=True)]
    assert pixels[top + 2, right - 3] == pytest.approx(expected, abs=1)


def test_a_band_inside_the_trim_stays_in_its_zone() -> None:
    zone = Rect(20.0, 60.0, 50.0, 20.0)
    d = design(title_zone=zone, line_label="", title="")
    pixels = render(d)
    box = zone_pixels(zone, DL, (pixels.shape[1], pixels.shape[0]))
    band = near(pixels, NAVY, 2)
    assert band[box[1] : box[3], box[0] : box[2]].all()
    assert not outside(band, box, 1).any()


def test_the_title_is_drawn_inside_its_zone_only() -> None:
    zone = Rect(10.0, 50.0, 70.0, 24.0)
    d = design(title_zone=zone, band_opacity=0.0)
    pixels = render(d)
    box = zone_pixels(zone, DL, (pixels.shape[1], pixels.shape[0]))
    text = near(pixels, WHITE, 60)
    assert text[box[1] : box[3], box[0] : box[2]].sum() > 500
    assert not outside(text, box, 1).any()


def test_a_very_long_title_still_stays_in_its_zone() -> None:
    zone = Rect(10.0, 50.0, 70.0, 24.0)
    long_title = " ".join(["Correspondance Saint-Jean-de-Luz Gare Routière"] * 12)
    d = design(title_zone=zone, band_opacity=0.0, title=long_title, line_label="N12A")
    for width in (300, 1200):
        pixels = render(d, width)
        box = zone_pixels(zone, DL, (pixels.shape[1], pixels.shape[0]))
        text = near(pixels, WHITE, 60)
        assert text[box[1] : box[3], box[0] : box[2]].any()
        assert not outside(text, box, 1).any()


def test_a_long_title_is_cut_with_an_ellipsis_rather_than_made_unreadable() -> None:
    layout = fit_title("Gare " * 80, 400, 60, min_px=14)
    assert layout is not None
    assert layout.size >= 14
    assert len(layout.lines) <= 2
    assert layout.lines[-1].endswith("…")


def test_the_example_title_breaks_after_its_dash() -> None:
    layout = fit_title(TITLE, 500, 120)
    assert layout is not None
    assert layout.lines == ("Ligne 2 —", "Gare Sud ⇄ Campus")


def test_a_short_title_stays_on_one_line() -> None:
    layout = fit_title("Ligne 7", 500, 120)
    assert layout is not None
    assert layout.lines == ("Ligne 7",)


@pytest.mark.parametrize("width", [120, 250, 400, 900])
@pytest.mark.parametrize("height", [20, 60, 140])
def test_the_fitted_title_never_exceeds_its_box(width: int, height: int) -> None:
    layout = fit_title(TITLE + " via Hôtel de Ville", width, height)
    assert layout is not None
    font = ImageFont.truetype(FONT_PATH, layout.size)
    ascent, descent = font.getmetrics()
    assert len(layout.lines) * (ascent + descent) <= height
    for line in layout.lines:
        left, _, right, _ = font.getbbox(line, anchor="la")
        assert max(right, font.getlength(line)) - min(0, left) <= width


def test_the_badge_has_the_line_colour() -> None:
    magenta = (230, 0, 126)
    d = design(line_rgb=magenta)
    pixels = render(d)
    box = zone_pixels(d.title_zone, DL, (pixels.shape[1], pixels.shape[0]))
    badge = near(pixels, magenta, 2)
    assert badge[box[1] : box[3], box[0] : box[2]].sum() > 200
    assert not outside(badge, box, 0).any()


def test_without_a_line_colour_the_badge_is_the_text_colour() -> None:
    d = design(title="")
    pixels = render(d)
    box = zone_pixels(d.title_zone, DL, (pixels.shape[1], pixels.shape[0]))
    zone = pixels[box[1] : box[3], box[0] : box[2]]
    assert near(zone, WHITE, 2).sum() > 200
    assert near(zone, NAVY, 2).sum() > 200


def test_the_logo_appears_contained_in_its_default_zone() -> None:
    logo = Image.new("RGBA", (200, 100), (255, 0, 0, 255))
    d = design(logo=logo, band_opacity=0.0, title="", line_label="")
    pixels = render(d, 900)
    size = (pixels.shape[1], pixels.shape[0])
    zone = default_logo_zone(DL, logo.size)
    assert zone.x_mm + zone.width_mm == pytest.approx(DL.trim_width_mm - DL.safe_mm)
    assert zone.y_mm + zone.height_mm == pytest.approx(DL.trim_height_mm - DL.safe_mm)
    assert zone.width_mm == pytest.approx(0.22 * DL.trim_width_mm)
    box = zone_pixels(zone, DL, size)
    red = near(pixels, (255, 0, 0), 10)
    assert red[box[1] : box[3], box[0] : box[2]].mean() > 0.9
    assert not outside(red, box, 1).any()


def test_a_logo_keeps_its_aspect_in_a_zone_of_another_shape() -> None:
    logo = Image.new("RGBA", (200, 100), (255, 0, 0, 255))
    zone = Rect(10.0, 100.0, 60.0, 60.0)
    d = design(logo=logo, logo_zone=zone, band_opacity=0.0, title="", line_label="")
    pixels = render(d, 900)
    red = near(pixels, (255, 0, 0), 10)
    rows, cols = np.nonzero(red)
    assert (cols.max() - cols.min() + 1) / (rows.max() - rows.min() + 1) == pytest.approx(
        2, rel=0.03
    )
    assert not outside(red, zone_pixels(zone, DL, (pixels.shape[1], pixels.shape[0])), 1).any()


def test_a_transparent_logo_lets_the_photo_through() -> None:
    logo = Image.new("RGBA", (200, 100), (255, 0, 0, 0))
    d = design(logo=logo, band_opacity=0.0, title="", line_label="")
    assert not near(render(d), (255, 0, 0), 10).any()


@pytest.mark.parametrize("width", [600, 1200])
def test_the_guide_lines_are_where_the_format_puts_them(width: int) -> None:
    d = design(band_opacity=0.0, title="", line_label="")
    pixels = render(d, width, overlay=True)
    height = pixels.shape[0]
    line = guide_width(width)
    assert line == (1 if width < 1000 else 2)
    row = height // 2
    # The bleed edge: the picture's own edge, in red.
    assert near(pixels[row, :line], (230, 0, 0), 2).all()
    assert near(pixels[row, -line:], (230, 0, 0), 2).all()
    assert tuple(pixels[row, line]) == GREY
    # The trim line: at bleed / (trim + 2 bleed) of the width, black and white dashes.
    trim = DL.bleed_mm / DL.bleed_width_mm * width
    column = math.floor(trim)
    dashes = pixels[:, column]
    inner = dashes[math.ceil(trim) + 1 : height - math.ceil(trim) - 1]
    assert (near(inner, WHITE, 2) | near(inner, (0, 0, 0), 2)).all()
    assert near(inner, WHITE, 2).any() and near(inner, (0, 0, 0), 2).any()
    assert tuple(pixels[row, column + line]) == GREY
    assert tuple(pixels[row, column - 1]) == GREY
    right = math.ceil(width - trim) - 1
    assert near(pixels[row, right], WHITE, 2) or near(pixels[row, right], (0, 0, 0), 2)
    # The safe area, in cyan.
    safe = math.floor((DL.bleed_mm + DL.safe_mm) / DL.bleed_width_mm * width)
    assert near(pixels[row, safe : safe + line], (0, 200, 230), 2).all()
    assert tuple(pixels[row, safe + line]) == GREY


def test_overlay_lines_draws_on_a_copy() -> None:
    cover = Image.new("RGB", (600, 1273), GREY)
    lined = overlay_lines(cover, DL)
    assert cover.getpixel((0, 600)) == GREY
    assert lined.getpixel((0, 600)) == (230, 0, 0)


def test_it_renders_from_a_12_megapixel_photo_quickly() -> None:
    photo = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    crop = Box(1000.0, 0.0, 3000 * DL.aspect, 3000.0)
    render_mockup(photo, crop, design(), width_px=1200)  # fonts loaded, caches warm
    started = time.perf_counter()
    out = render_mockup(photo, crop, design(), width_px=1200, overlay=True)
    elapsed = time.perf_counter() - started
    assert out.size == (1200, round(1200 / DL.aspect))
    # About 0.1 s on the CI machine; the bound leaves room for a busy one.
    assert elapsed < 1.5


def test_it_takes_the_crop_from_the_photo() -> None:
    photo = plain_photo((900, 600))
    photo.paste((255, 0, 0), (0, 0, 450, 600))
    d = design(band_opacity=0.0, title="", line_label="")
    left_half = render_mockup(photo, Box(0.0, 0.0, 600 * DL.aspect, 600.0), d, width_px=200)
    right_half = render_mockup(photo, Box(600.0, 0.0, 600 * DL.aspect, 600.0), d, width_px=200)
    assert left_half.getpixel((100, 200)) == (255, 0, 0)
    assert right_half.getpixel((100, 200)) == GREY


def test_a_missing_font_is_a_clear_error() -> None:
    with pytest.raises(FontMissingError, match="fonts-dejavu-core"):
        find_font(("/nonexistent/DejaVuSans-Bold.ttf",))
    assert find_font() == FONT_PATH


def test_a_band_opacity_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="opacity"):
        design(band_opacity=1.2)


def test_a_crop_a_hair_outside_the_photo_is_clamped() -> None:
    photo = plain_photo((900, 600))
    crop = Box(900 - 600 * DL.aspect, 0.0, 600 * DL.aspect + 1e-6, 600.0 + 1e-6)
    assert render_mockup(photo, crop, design(), width_px=100).width == 100


def test_a_crop_outside_the_photo_is_refused() -> None:
    photo = plain_photo((900, 600))
    with pytest.raises(ValueError, match="not inside the photo"):
        render_mockup(photo, Box(800.0, 0.0, 600 * DL.aspect, 600.0), design(), width_px=100)


def test_a_single_word_wider_than_the_zone_is_cut_not_overflowed() -> None:
    layout = fit_title("Saint-Jean-de-Luz-Ciboure-Hendaye-Irun-Donostia", 120, 40, min_px=12)
    assert layout is not None
    assert layout.lines[-1].endswith("…")
    font = ImageFont.truetype(FONT_PATH, layout.size)
    assert all(font.getlength(line) <= 120 for line in layout.lines)
