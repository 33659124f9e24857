"""Line badges: the feed's colours, with a text colour that always reads (WCAG AA)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.colour import MIN_CONTRAST, contrast_ratio
from transit.badges import badge_colours, badge_text_colour, lines_stylesheet, stylesheet_version

hex_colour = st.integers(min_value=0, max_value=0xFFFFFF).map(lambda n: f"#{n:06x}")


@given(background=hex_colour, text=hex_colour)
def test_it_always_gives_a_text_colour_that_reads_on_the_line_colour(
    background: str, text: str
) -> None:
    assert contrast_ratio(badge_text_colour(background, text), background) >= MIN_CONTRAST


@given(background=hex_colour, text=hex_colour)
def test_it_keeps_the_feeds_text_colour_when_it_already_reads(background: str, text: str) -> None:
    chosen = badge_text_colour(background, text)
    if contrast_ratio(text, background) >= MIN_CONTRAST:
        assert chosen == text
    else:
        assert chosen in ("#000000", "#ffffff")


def test_it_corrects_the_feeds_unreadable_pairs() -> None:
    # Yellow with white text (a feed's mistake): black reads, white does not.
    assert badge_text_colour("#fdc600", "#ffffff") == "#000000"
    # The GTFS default black text left on a dark blue line.
    assert badge_text_colour("#0079bc", "#000000") == "#ffffff"
    # A readable pair is the operator's look: kept.
    assert badge_text_colour("#007a45", "#ffffff") == "#ffffff"


def test_it_falls_back_to_the_gtfs_defaults_for_a_colour_that_is_not_one() -> None:
    badge = badge_colours("", "pink")
    assert (badge.background, badge.text) == ("#ffffff", "#000000")


def test_it_writes_one_class_per_line_with_the_corrected_colours() -> None:
    css = lines_stylesheet([(7, "#fdc600", "#ffffff"), (9, "#007A45", "#FFFFFF")])
    assert ".line-7 { --line: #fdc600; --line-ink: #000000; }" in css
    assert ".line-9 { --line: #007a45; --line-ink: #ffffff; }" in css


def test_it_changes_the_stylesheet_version_when_a_colour_changes() -> None:
    rows = [(7, "#fdc600", "#000000")]
    assert stylesheet_version(rows) == stylesheet_version(list(rows))
    assert stylesheet_version(rows) != stylesheet_version([(7, "#e53138", "#000000")])
