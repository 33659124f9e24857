"""The contest's share image (Open Graph, 1200x630): a collage of photos, or the title on
the brand colour. Pure Pillow, no Django."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache

from PIL import Image, ImageDraw, ImageFont, ImageOps

SIZE = (1200, 630)
"""Facebook's and X's large preview: 1.91:1, what the photos' own share renditions are."""
VERSION = "2"
"""Part of the stored file's name: change it when the drawing changes, so pages and the
networks' caches get the new image under a new URL."""
BRAND = (0x0B, 0x5C, 0x8A)
"""The site's --brand colour (static/css/site.css), with white ink; a branded contest has its
own pair (checked for contrast when staff set it)."""
RGB = tuple[int, int, int]
INK = (0xFF, 0xFF, 0xFF)
GUTTER = 6
"""Brand-coloured lines between the collage's photos, so four photos read as four."""
MARGIN = 80
MAX_LINES = 3
FONT_CANDIDATES: tuple[str, ...] = (
    # Pillow's own default font has no French accents (they come out as boxes), so the
    # title needs DejaVu, Debian's fonts-dejavu-core (the covers' mock-ups use it too).
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/DejaVuSans-Bold.ttf",
    "/usr/local/share/fonts/DejaVuSans-Bold.ttf",
)


def collage(photos: Sequence[Image.Image], *, background: RGB = BRAND) -> Image.Image:
    """Four photos in a 2x2 grid, each cropped to fill its cell (1.91:1, like the card)."""
    if len(photos) != 4:
        raise ValueError("a collage takes four photos")
    card = Image.new("RGB", SIZE, background)
    width, height = SIZE
    cell = ((width - GUTTER) // 2, (height - GUTTER) // 2)
    for index, photo in enumerate(photos):
        fitted = ImageOps.fit(photo.convert("RGB"), cell, Image.Resampling.LANCZOS)
        column, row = index % 2, index // 2
        card.paste(fitted, (column * (width - cell[0]), row * (height - cell[1])))
    return card


@cache
def find_font() -> str | None:
    return next((path for path in FONT_CANDIDATES if os.path.isfile(path)), None)


def title_card(
    title: str,
    *,
    font_path: str,
    background: RGB = BRAND,
    ink: RGB = INK,
    signature: str = "",
) -> Image.Image:
    """The contest's title on the brand colour, as large as fits in three lines; the
    operator's name, when the contest is branded, small at the foot."""
    card = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(card)
    if signature:
        small = ImageFont.truetype(font_path, 34)
        draw.text(
            (SIZE[0] // 2, SIZE[1] - MARGIN // 2), signature, font=small, fill=ink, anchor="ms"
        )
    box = (SIZE[0] - 2 * MARGIN, SIZE[1] - 2 * MARGIN)
    size = 110
    while True:
        font = ImageFont.truetype(font_path, size)
        lines = _wrap(title, font, box[0])
        spacing = size // 4
        block = draw.multiline_textbbox((0, 0), "\n".join(lines), font=font, spacing=spacing)
        fits = len(lines) <= MAX_LINES and block[2] <= box[0] and block[3] <= box[1]
        if fits or size <= 24:
            break
        size -= 6
    draw.multiline_text(
        (SIZE[0] // 2, SIZE[1] // 2),
        "\n".join(lines[:MAX_LINES]),
        font=font,
        fill=ink,
        anchor="mm",
        align="center",
        spacing=spacing,
    )
    return card


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap; a single word wider than the box stays whole (the font shrinks)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]
