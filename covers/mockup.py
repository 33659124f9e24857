"""A cover mock-up: the cropped photo with the title band, the line badge, the title and the
logo, as the printer will receive it (trim plus bleed), optionally with the guide lines.

Sizes on the cover are in trim millimetres (`Rect`), turned into pixels of the picture with
`zone_on_cover`, so a mock-up of any width is the same cover.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from covers.geometry import Box, PrintFormat, Rect, zone_on_cover
from covers.legibility import CONTRAST_MIN, RGB, colour_luminance, contrast_ratio

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
"""DejaVu Sans Bold from Debian's fonts-dejavu-core: it has the French accents, the dash
and the arrows (⇄) titles use."""
FONT_CANDIDATES: tuple[str, ...] = (
    FONT_PATH,
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",  # Fedora, Alpine
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",  # Arch
    "/usr/share/fonts/truetype/DejaVuSans-Bold.ttf",
    "/usr/local/share/fonts/DejaVuSans-Bold.ttf",
    "/Library/Fonts/DejaVuSans-Bold.ttf",  # macOS, installed by hand
    os.path.expanduser("~/Library/Fonts/DejaVuSans-Bold.ttf"),  # macOS, Homebrew cask
)

LOGO_WIDTH_SHARE = 0.22
"""Default logo width: 22 % of the trim width, in the bottom-right corner of the safe area."""
PADDING_SHARE = 0.14
"""Room between the band's edge and its badge and text, as a share of the band's height."""
MIN_TEXT_MM = 2.5
"""A 7 pt em: under this the title is unreadable in print, so it is cut with an ellipsis
instead of shrunk further (and the mock-up shows that it does not fit)."""
TWO_LINE_GAIN = 1.15
"""Two lines only when they make the title at least 15 % larger than one line does."""
SIGN_BREAK_BONUS = 0.75
"""A break after a dash or an arrow ("Ligne 2 —" over "Gare Sud ⇄ Campus", rather than
"Ligne 2 — Gare" over "Sud ⇄ Campus") is taken even if its longer line is up to a third
wider than the most balanced split's."""
BADGE_RADIUS_SHARE = 0.22
"""Corner radius of the line badge, as a share of its height: a rounded square like the
network's stop signs."""
BADGE_TEXT_SHARE = 0.62
"""Height of the line number's ink in the badge."""
SUPERSAMPLE = 4
"""The badge's rounded corners are drawn this many times larger, then reduced: Pillow draws
shapes without anti-aliasing."""
REDUCING_GAP = 3.0
"""The rendition pipeline's trade: Pillow first shrinks by whole factors with a box filter,
leaving LANCZOS at most 3x to do, which looks the same at a fraction of the cost."""
EDGE_EPSILON_MM = 0.01
"""A zone edge this close to the trim counts as on it (zones come from forms in mm)."""
CROP_SLACK_PX = 1.0
"""A crop may overshoot the photo by this much (fractions stored, multiplied back) and is
clamped; more is the caller's mistake and an error, not a silently squeezed cover."""

DASH_MM = 0.6
"""Dashes of the trim line, 0.6 mm of the cover (never under 4 px)."""
BLEED_RGB: RGB = (230, 0, 0)
SAFE_RGB: RGB = (0, 200, 230)
DASH_LIGHT: RGB = (255, 255, 255)
DASH_DARK: RGB = (0, 0, 0)


class FontMissingError(RuntimeError):
    """DejaVu Sans Bold is not installed where it is looked for."""


@dataclass(frozen=True, slots=True)
class CoverDesign:
    """What goes on a cover besides the photo (zones in trim millimetres)."""

    fmt: PrintFormat
    title: str
    line_label: str
    title_zone: Rect
    band_rgb: RGB
    band_opacity: float
    text_rgb: RGB
    line_rgb: RGB | None = None
    """The badge colour; None: the text colour, with the number in the band colour."""
    logo: Image.Image | None = None
    """RGBA, already rasterised."""
    logo_zone: Rect | None = None
    """None: the bottom-right corner of the safe area, `LOGO_WIDTH_SHARE` of trim width."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.band_opacity <= 1.0:
            raise ValueError(f"band opacity must be between 0 and 1, not {self.band_opacity}")


@dataclass(frozen=True, slots=True)
class TitleLayout:
    """The title as drawn: its lines and the font size (px)."""

    lines: tuple[str, ...]
    size: int


def find_font(candidates: Sequence[str] = FONT_CANDIDATES) -> str:
    """The first of `candidates` that exists, or a `FontMissingError` saying what to install."""
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FontMissingError(
        "DejaVu Sans Bold is needed to draw cover titles and was not found in "
        f"{', '.join(candidates)}. Install it (Debian: apt install fonts-dejavu-core)."
    )


@functools.cache
def _font_file() -> str:
    return find_font()


@functools.lru_cache(maxsize=256)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_file(), size)


def mockup_size(fmt: PrintFormat, width_px: int) -> tuple[int, int]:
    """The size in pixels of a mock-up `width_px` wide: the trim plus bleed aspect."""
    return width_px, max(1, round(width_px / fmt.aspect))


def default_logo_zone(fmt: PrintFormat, logo_size: tuple[int, int]) -> Rect:
    """The logo's zone when none is given: the logo's shape, 22 % of the trim width wide
    (less for a logo taller than wide), in the bottom-right corner of the safe area."""
    aspect = logo_size[0] / max(1, logo_size[1])
    width = LOGO_WIDTH_SHARE * fmt.trim_width_mm
    height = width / aspect
    if height > width:
        height, width = width, width * aspect
    return Rect(
        fmt.trim_width_mm - fmt.safe_mm - width,
        fmt.trim_height_mm - fmt.safe_mm - height,
        width,
        height,
    )


def render_mockup(
    photo: Image.Image, crop: Box, design: CoverDesign, *, width_px: int, overlay: bool = False
) -> Image.Image:
    """The cover, `width_px` wide (trim plus bleed), from the `crop` of an upright sRGB photo."""
    if width_px < 1:
        raise ValueError(f"width must be at least one pixel, not {width_px}")
    size = mockup_size(design.fmt, width_px)
    # `box=` cuts while resizing: the 12 MP photo is never copied whole.
    cover = photo.resize(
        size, Image.Resampling.LANCZOS, box=_inside(crop, photo.size), reducing_gap=REDUCING_GAP
    )
    if cover.mode != "RGB":
        cover = cover.convert("RGB")
    _draw_band(cover, design)
    _draw_title(cover, design)
    if design.logo is not None:
        _draw_logo(cover, design.logo, design.logo_zone, design.fmt)
    if overlay:
        _draw_guides(cover, design.fmt)
    return cover


def _inside(crop: Box, size: tuple[int, int]) -> tuple[float, float, float, float]:
    left, top, right, bottom = crop.as_tuple()
    if (
        min(left, top) < -CROP_SLACK_PX
        or right > size[0] + CROP_SLACK_PX
        or bottom > size[1] + CROP_SLACK_PX
        or crop.width <= 0
        or crop.height <= 0
    ):
        raise ValueError(f"the crop {crop} is not inside the photo ({size[0]}x{size[1]})")
    return max(0.0, left), max(0.0, top), min(float(size[0]), right), min(float(size[1]), bottom)


def overlay_lines(cover: Image.Image, fmt: PrintFormat) -> Image.Image:
    """A copy of a cover picture (trim plus bleed) with the guide lines: the bleed edge in
    red, the trim line dashed black and white (seen on any photo), the safe area in cyan."""
    out = cover.convert("RGB") if cover.mode != "RGB" else cover.copy()
    _draw_guides(out, fmt)
    return out


# The band -----------------------------------------------------------------------------------


def band_rect(zone: Rect, fmt: PrintFormat) -> Rect:
    """The band's rectangle: the title zone, run out to the bleed edge on every side where it
    reaches the trim, so a slightly off cut shows no sliver of photo beside the band."""
    left, top = zone.x_mm, zone.y_mm
    right, bottom = zone.x_mm + zone.width_mm, zone.y_mm + zone.height_mm
    if left <= EDGE_EPSILON_MM:
        left = -fmt.bleed_mm
    if top <= EDGE_EPSILON_MM:
        top = -fmt.bleed_mm
    if right >= fmt.trim_width_mm - EDGE_EPSILON_MM:
        right = fmt.trim_width_mm + fmt.bleed_mm
    if bottom >= fmt.trim_height_mm - EDGE_EPSILON_MM:
        bottom = fmt.trim_height_mm + fmt.bleed_mm
    return Rect(left, top, right - left, bottom - top)


def _pixels(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    left, top, right, bottom = box.rounded()
    return max(0, left), max(0, top), min(size[0], right), min(size[1], bottom)


def _draw_band(cover: Image.Image, design: CoverDesign) -> None:
    if design.band_opacity <= 0.0:
        return
    box = _pixels(
        zone_on_cover(band_rect(design.title_zone, design.fmt), design.fmt, cover.size), cover.size
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return
    solid = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), design.band_rgb)
    if design.band_opacity < 1.0:
        # Mixed in sRGB values, as covers.legibility.composite measures it.
        solid = Image.blend(cover.crop(box), solid, design.band_opacity)
    cover.paste(solid, box[:2])


# The badge and the title --------------------------------------------------------------------


def _text_area(design: CoverDesign, size: tuple[int, int]) -> tuple[tuple[int, int, int, int], int]:
    """Where the badge and title may draw (the title zone inside the safe area, padded), and
    the padding used."""
    fmt = design.fmt
    zone = design.title_zone
    left = max(zone.x_mm, fmt.safe_mm)
    top = max(zone.y_mm, fmt.safe_mm)
    right = min(zone.x_mm + zone.width_mm, fmt.trim_width_mm - fmt.safe_mm)
    bottom = min(zone.y_mm + zone.height_mm, fmt.trim_height_mm - fmt.safe_mm)
    inside = Rect(left, top, max(0.0, right - left), max(0.0, bottom - top))
    x0, y0, x1, y1 = _pixels(zone_on_cover(inside, fmt, size), size)
    pad = round((y1 - y0) * PADDING_SHARE)
    return (x0 + pad, y0 + pad, x1 - pad, y1 - pad), pad


def _draw_title(cover: Image.Image, design: CoverDesign) -> None:
    (left, top, right, bottom), pad = _text_area(design, cover.size)
    if bottom - top < 2 or right - left < 2:
        return
    if design.line_label.strip():
        left = _draw_badge(cover, design, (left, top, right, bottom)) + pad
    if right - left < 2 or not design.title.strip():
        return
    px_per_mm = cover.width / design.fmt.bleed_width_mm
    text = fit_title(
        design.title, right - left, bottom - top, min_px=round(MIN_TEXT_MM * px_per_mm)
    )
    if text is not None:
        _draw_lines(ImageDraw.Draw(cover), text, (left, top, right, bottom), design.text_rgb)


def _badge_colours(design: CoverDesign) -> tuple[RGB, RGB]:
    """(badge, number): the text colour with the band's as the number; or the line colour
    with the text colour on it if that reads as large text (3:1), else black or white."""
    if design.line_rgb is None:
        return design.text_rgb, design.band_rgb
    badge = colour_luminance(design.line_rgb)
    if float(contrast_ratio(badge, colour_luminance(design.text_rgb))) >= CONTRAST_MIN:
        return design.line_rgb, design.text_rgb
    on_white = float(contrast_ratio(badge, 1.0))
    on_black = float(contrast_ratio(badge, 0.0))
    return design.line_rgb, (255, 255, 255) if on_white >= on_black else (0, 0, 0)


def _draw_badge(cover: Image.Image, design: CoverDesign, area: tuple[int, int, int, int]) -> int:
    """Draws the line badge at the left of `area`; returns its right edge."""
    left, top, right, bottom = area
    height = bottom - top
    label = design.line_label.strip()
    # A long label ("N12A") widens the badge up to a third of the area, then shrinks instead.
    room = round(height * 0.4)
    widest = max(1, (right - left) // 3)
    size, ink = _label_size(label, round(height * BADGE_TEXT_SHARE), max(1, widest - room))
    width = min(max(height, ink[2] - ink[0] + room), widest)
    fill, number = _badge_colours(design)
    mask = Image.new("L", (width * SUPERSAMPLE, height * SUPERSAMPLE), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, mask.width - 1, mask.height - 1),
        radius=round(height * BADGE_RADIUS_SHARE * SUPERSAMPLE),
        fill=255,
    )
    mask = mask.resize((width, height), Image.Resampling.BOX)
    cover.paste(fill, (left, top, left + width, bottom), mask)
    if size > 0:
        # Centre the ink, not the em box: digits have no descender.
        x = left + width / 2 - (ink[0] + ink[2]) / 2
        y = top + height / 2 - (ink[1] + ink[3]) / 2
        ImageDraw.Draw(cover).text((x, y), label, fill=number, font=_font(size), anchor="ls")
    return left + width


def _label_size(label: str, ink_height: int, max_width: int) -> tuple[int, tuple[int, ...]]:
    """The font size whose ink of `label` is `ink_height` tall and at most `max_width` wide,
    and that ink's box (baseline-relative)."""
    if ink_height < 1:
        return 0, (0, 0, 0, 0)
    reference = _font(100).getbbox(label, anchor="ls")
    ink_w, ink_h = max(1, reference[2] - reference[0]), max(1, reference[3] - reference[1])
    size = max(1, math.floor(100 * min(ink_height / ink_h, max_width / ink_w)))
    return size, tuple(round(v) for v in _font(size).getbbox(label, anchor="ls"))


def fit_title(title: str, width: int, height: int, *, min_px: int = 1) -> TitleLayout | None:
    """The lines and font size (px) of the largest title that fits `width` x `height`: one
    line, or two when that is clearly larger; under `min_px` the text is cut with "…".
    None when not even one line of 1 px fits."""
    words = title.split()
    one = (" ".join(words),)
    best = TitleLayout(one, _largest_size(one, width, height))
    two = _split_two(words)
    if two is not None:
        size = _largest_size(two, width, height)
        if size > best.size * TWO_LINE_GAIN:
            best = TitleLayout(two, size)
    if best.size >= max(1, min_px):
        return best
    return _truncated(words, width, height, max(1, min_px))


def _truncated(words: list[str], width: int, height: int, min_px: int) -> TitleLayout | None:
    """The title at `min_px` (or what the height allows), cut with an ellipsis to fit."""
    for count in (2, 1):
        size = min(min_px, _largest_height_size(count, height))
        while size > 0:
            font = _font(size)

            def fits(line: str, font: ImageFont.FreeTypeFont = font) -> bool:
                return _ink_width(font, line) <= width

            lines = _fill_lines(words, count, fits)
            w, h, _ = _measure(lines, size) if lines else (width + 1.0, 0.0, 0.0)
            if h <= height:
                if w <= width:
                    return TitleLayout(lines, size)
                break  # a word wider than the line: one line, cut mid-word, is next
            size -= 1  # hinting made this size a pixel too tall
    return None


_Fits = Callable[[str], bool]


def _fill_lines(words: list[str], count: int, fits: _Fits) -> tuple[str, ...]:
    """`count` lines filled greedily; the last one takes the rest, cut with "…" to fit."""
    lines: list[str] = []
    rest = list(words)
    while rest and len(lines) < count - 1:
        line = rest.pop(0)
        while rest and fits(f"{line} {rest[0]}"):
            line = f"{line} {rest.pop(0)}"
        lines.append(line)
    last = " ".join(rest)
    if not fits(last):
        while last and not fits(f"{last.rstrip()}…"):
            last = last[:-1]
        last = f"{last.rstrip()}…"
    lines.append(last)
    return tuple(line for line in lines if line)


def _split_two(words: list[str]) -> tuple[str, str] | None:
    """The best split into two lines: the most balanced, a break after a dash or an arrow
    counting as `SIGN_BREAK_BONUS` more balanced; a line never starts with such a sign."""
    font = _font(100)
    best: tuple[float, tuple[str, str]] | None = None
    for cut in range(1, len(words)):
        if _is_sign(words[cut]):
            continue
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        widest = max(font.getlength(first), font.getlength(second))
        if _is_sign(words[cut - 1]):
            widest *= SIGN_BREAK_BONUS
        if best is None or widest < best[0]:
            best = (widest, (first, second))
    return None if best is None else best[1]


def _is_sign(word: str) -> bool:
    return not any(ch.isalnum() for ch in word)


def _largest_height_size(count: int, height: int) -> int:
    ascent, descent = _font(100).getmetrics()
    return math.floor(100 * height / (count * (ascent + descent)))


def _largest_size(lines: tuple[str, ...], width: int, height: int) -> int:
    """The largest font size (px) at which `lines` fit, 0 if none does."""
    ref_w, ref_h, _ = _measure(lines, 100)
    size = math.floor(100 * min(width / max(1, ref_w), height / max(1, ref_h)))
    # Hinting makes sizes not quite proportional: step down until it really fits.
    while size > 0:
        w, h, _ = _measure(lines, size)
        if w <= width and h <= height:
            return size
        size -= 1
    return 0


def _ink_width(font: ImageFont.FreeTypeFont, line: str) -> float:
    left, _, right, _ = font.getbbox(line, anchor="la")
    return max(right, font.getlength(line)) - min(0, left)


def _measure(lines: tuple[str, ...], size: int) -> tuple[float, float, float]:
    """Width and height of the drawn block (the widest ink or advance; the lines' ascent +
    descent, or the ink where a glyph reaches beyond them), and how far below the block's
    top the first line's ascent starts."""
    font = _font(size)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    top, bottom = 0.0, float(line_h * len(lines))
    for i, line in enumerate(lines):
        _, ink_top, _, ink_bottom = font.getbbox(line, anchor="la")
        top, bottom = min(top, i * line_h + ink_top), max(bottom, i * line_h + ink_bottom)
    return max(_ink_width(font, line) for line in lines), bottom - top, -top


def _draw_lines(
    draw: ImageDraw.ImageDraw, text: TitleLayout, area: tuple[int, int, int, int], fill: RGB
) -> None:
    font = _font(text.size)
    ascent, descent = font.getmetrics()
    _, block_h, shift = _measure(text.lines, text.size)
    y = area[1] + (area[3] - area[1] - block_h) / 2 + shift
    for line in text.lines:
        # A glyph reaching left of its origin ("J") is moved in, not cut.
        x = area[0] - min(0, font.getbbox(line, anchor="la")[0])
        draw.text((x, y), line, fill=fill, font=font, anchor="la")
        y += ascent + descent


# The logo -----------------------------------------------------------------------------------


def _draw_logo(cover: Image.Image, logo: Image.Image, zone: Rect | None, fmt: PrintFormat) -> None:
    zone = zone or default_logo_zone(fmt, logo.size)
    x0, y0, x1, y1 = _pixels(zone_on_cover(zone, fmt, cover.size), cover.size)
    if x1 <= x0 or y1 <= y0:
        return
    scale = min((x1 - x0) / logo.width, (y1 - y0) / logo.height)
    size = (max(1, math.floor(logo.width * scale)), max(1, math.floor(logo.height * scale)))
    fitted = logo.convert("RGBA").resize(size, Image.Resampling.LANCZOS)
    # Centred in its zone; the default zone has the logo's shape, so there it fills it.
    position = (x0 + (x1 - x0 - size[0]) // 2, y0 + (y1 - y0 - size[1]) // 2)
    cover.paste(fitted, position, fitted)


# The guide lines ----------------------------------------------------------------------------


def guide_width(width_px: int) -> int:
    """Guide lines are 1 px, 2 px on pictures 1000 px wide or more: thin, yet seen."""
    return 2 if width_px >= 1000 else 1


def _draw_guides(cover: Image.Image, fmt: PrintFormat) -> None:
    draw = ImageDraw.Draw(cover)
    width, height = cover.size
    line = guide_width(width)
    scale = width / fmt.bleed_width_mm
    _outline(draw, (0.0, 0.0, float(width), float(height)), line, BLEED_RGB)
    trim = fmt.bleed_mm * scale
    trim_box = (trim, trim, width - trim, height - trim)
    _outline(draw, trim_box, line, DASH_LIGHT)
    _outline(draw, trim_box, line, DASH_DARK, dash=max(4, round(DASH_MM * scale)))
    safe = (fmt.bleed_mm + fmt.safe_mm) * scale
    _outline(draw, (safe, safe, width - safe, height - safe), line, SAFE_RGB)


def _outline(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    line: int,
    fill: RGB,
    *,
    dash: int = 0,
) -> None:
    """A rectangle's outline `line` px thick, drawn just inside `box` (pixel edges), whole
    or, with `dash`, every other `dash` px."""
    x0, y0 = math.floor(box[0]), math.floor(box[1])
    x1, y1 = math.ceil(box[2]) - 1, math.ceil(box[3]) - 1
    sides = (
        ((x0, y0), (x1, y0 + line - 1)),
        ((x0, y1 - line + 1), (x1, y1)),
        ((x0, y0), (x0 + line - 1, y1)),
        ((x1 - line + 1, y0), (x1, y1)),
    )
    for (ax, ay), (bx, by) in sides:
        if not dash:
            draw.rectangle((ax, ay, bx, by), fill=fill)
            continue
        horizontal = bx - ax >= by - ay
        start, end = (ax, bx) if horizontal else (ay, by)
        for s in range(start, end + 1, 2 * dash):
            e = min(end, s + dash - 1)
            draw.rectangle((s, ay, e, by) if horizontal else (ax, s, bx, e), fill=fill)
