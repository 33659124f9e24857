"""A line's badge colours, readable whatever the feed says, and the stylesheet that draws them.

Pure: plain values in and out, no database (tests/transit/test_badges.py, with hypothesis).
A feed's route_text_color is often left at its default (black) on a dark route_color, or set
by hand without a check: the text colour is corrected to black or white when the feed's pair
fails WCAG AA, and kept when it passes (the operator's own look wins when it is readable).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from core.colour import MIN_CONTRAST, contrast_ratio, normalise_hex

BLACK = "#000000"
WHITE = "#ffffff"
# GTFS's own defaults when a route gives no colour: white background, black text.
DEFAULT_COLOUR = WHITE
DEFAULT_TEXT = BLACK
# Bump when the stylesheet's form changes: its URL then changes with it.
STYLESHEET_FORM = "1"


def _or_default(value: str, default: str) -> str:
    try:
        return normalise_hex(value)
    except ValueError:
        return default


def badge_text_colour(colour: str, text_colour: str) -> str:
    """The feed's text colour when it reads on the line's colour (4.5:1), else black or white,
    whichever contrasts more (one of them always reaches 4.5:1 on any colour)."""
    background = _or_default(colour, DEFAULT_COLOUR)
    text = _or_default(text_colour, DEFAULT_TEXT)
    if contrast_ratio(text, background) >= MIN_CONTRAST:
        return text
    return max((BLACK, WHITE), key=lambda ink: contrast_ratio(ink, background))


@dataclass(frozen=True)
class BadgeColours:
    background: str  # "#rrggbb"
    text: str  # "#rrggbb", readable on the background


def badge_colours(colour: str, text_colour: str) -> BadgeColours:
    return BadgeColours(
        background=_or_default(colour, DEFAULT_COLOUR),
        text=badge_text_colour(colour, text_colour),
    )


def lines_stylesheet(lines: Iterable[tuple[int, str, str]]) -> str:
    """One class per line, `.line-<id>`, from (id, colour, text colour) rows.

    Only normalised "#rrggbb" values and integers reach the CSS: nothing of the feed's text.
    """
    rules = []
    for line_id, colour, text_colour in lines:
        badge = badge_colours(colour, text_colour)
        rules.append(
            f".line-{int(line_id)} {{ --line: {badge.background}; --line-ink: {badge.text}; }}"
        )
    return "\n".join(rules) + "\n"


def stylesheet_version(lines: Iterable[tuple[int, str, str]]) -> str:
    """A short key that changes whenever a line's colours (or the set of lines) change."""
    digest = hashlib.sha256(STYLESHEET_FORM.encode())
    for line_id, colour, text_colour in lines:
        digest.update(f"{line_id}:{colour}:{text_colour};".encode())
    return digest.hexdigest()[:12]
