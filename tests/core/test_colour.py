"""Branding colours: parsed strictly, and their contrast measured as WCAG 2 defines it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.colour import contrast_ratio, normalise_hex, parse_hex

colours = st.tuples(*[st.integers(0, 255)] * 3).map(lambda c: f"#{c[0]:02x}{c[1]:02x}{c[2]:02x}")


def test_it_measures_the_known_wcag_ratios() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # fails AA
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # passes AA
    assert contrast_ratio("#0b5c8a", "#fff") > 4.5


@given(colours, colours)
def test_it_gives_a_symmetric_ratio_between_one_and_twenty_one(a: str, b: str) -> None:
    ratio = contrast_ratio(a, b)
    assert 1.0 <= ratio <= 21.0 + 1e-9
    assert ratio == pytest.approx(contrast_ratio(b, a))
    assert contrast_ratio(a, a) == pytest.approx(1.0)


def test_it_accepts_the_forms_staff_type_and_refuses_the_rest() -> None:
    assert normalise_hex("ABC") == "#aabbcc"
    assert normalise_hex(" #0B5C8A ") == "#0b5c8a"
    for bad in ("", "#12345", "blue", "#gggggg", "rgb(0,0,0)", "#1234567"):
        with pytest.raises(ValueError):
            parse_hex(bad)
