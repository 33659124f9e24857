"""Colours staff type (#rrggbb) and whether text in one stays readable on the other (WCAG 2)."""

from __future__ import annotations

import re

HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
# WCAG 2 level AA for body text; buttons and the header carry body-sized text.
MIN_CONTRAST = 4.5


def parse_hex(value: str) -> tuple[int, int, int]:
    """(r, g, b) of "#1a2b3c", "1a2b3c" or "#abc"; ValueError for anything else."""
    match = HEX.match(value.strip())
    if not match:
        raise ValueError(f"not a colour: {value!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def normalise_hex(value: str) -> str:
    """The canonical "#rrggbb" form (lower case), for storage and CSS."""
    r, g, b = parse_hex(value)
    return f"#{r:02x}{g:02x}{b:02x}"


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    a = relative_luminance(parse_hex(first))
    b = relative_luminance(parse_hex(second))
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def first_readable(candidates: list[str], *, on: str) -> str | None:
    """The first of `candidates` readable as text on the background `on`, if any."""
    return next((c for c in candidates if contrast_ratio(c, on) >= MIN_CONTRAST), None)
