"""Charts as accessible SVG, and their data as CSV (pure: plain values in, text out).

Each chart is an <svg role="img"> named by its <title> and described by its <desc>; the
page shows the data table beside it. Colours come from CSS classes only (a strict CSP
refuses style attributes), so static/css/dashboard.css can give system colours in
forced-colours mode.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

Kind = Literal["bars", "columns", "line"]

# Narrow, so that the text stays readable once scaled down to a phone's width; a wider
# screen scales it up.
WIDTH = 400
HEIGHT = 220
MARGIN_LEFT = 36
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 36
BAR_ROW = 28
BAR_LABEL = 150  # room for a theme's or a line's name on the left of horizontal bars
MAX_X_LABELS = 6
MAX_LABEL_CHARS = 22


@dataclass(frozen=True)
class Chart:
    """One figure: its rows (label, value), how to draw it, and the words that name it."""

    key: str
    kind: Kind
    title: str
    description: str
    label_header: str
    value_header: str
    rows: tuple[tuple[str, float], ...]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _nice_max(peak: float) -> float:
    """A round top for the value axis (1, 2, 5 times a power of ten), at least 1."""
    if peak <= 1:
        return 1
    step = 1.0
    while True:
        for factor in (1, 2, 5):
            if step * factor >= peak:
                return step * factor
        step *= 10


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _open(chart: Chart, height: int) -> list[str]:
    base = f"chart-{chart.key}"
    return [
        f'<svg class="chart chart-{chart.kind}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{base}-title {base}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{base}-title">{escape(chart.title)}</title>',
        f'<desc id="{base}-desc">{escape(chart.description)}</desc>',
    ]


def _bars(chart: Chart) -> str:
    """Horizontal bars: one row per category, its name on the left, its value at the end."""
    height = MARGIN_TOP + BAR_ROW * max(len(chart.rows), 1) + MARGIN_TOP
    top = _nice_max(max((value for _label, value in chart.rows), default=0))
    span = WIDTH - BAR_LABEL - MARGIN_RIGHT - 40
    parts = _open(chart, height)
    parts.append(
        f'<line class="axis" x1="{BAR_LABEL}" y1="{MARGIN_TOP}" x2="{BAR_LABEL}" '
        f'y2="{height - MARGIN_TOP}"/>'
    )
    for index, (label, value) in enumerate(chart.rows):
        y = MARGIN_TOP + index * BAR_ROW
        width = round(span * value / top, 1)
        parts.append(
            f'<text class="label" x="{BAR_LABEL - 6}" y="{y + 18}" text-anchor="end">'
            f"{escape(_short(label))}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{BAR_LABEL}" y="{y + 4}" width="{width}" '
            f'height="{BAR_ROW - 8}"/>'
        )
        parts.append(
            f'<text class="value" x="{BAR_LABEL + width + 4}" y="{y + 18}">{_number(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _x_labels(count: int) -> set[int]:
    """Which of `count` positions get a label on the time axis: never more than a few."""
    if count <= MAX_X_LABELS:
        return set(range(count))
    step = -(-count // MAX_X_LABELS)
    return set(range(0, count, step)) | {count - 1}


def _plot(chart: Chart) -> str:
    """Columns, or a line with a dot per point, over a value axis starting at zero."""
    count = max(len(chart.rows), 1)
    top = _nice_max(max((value for _label, value in chart.rows), default=0))
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    bottom, plot_height = HEIGHT - MARGIN_BOTTOM, HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot = (right - left) / count
    parts = _open(chart, HEIGHT)
    for fraction in (0, 0.5, 1):
        if not float(top * fraction).is_integer():
            continue  # counts: no "2.5" on the axis
        y = round(bottom - plot_height * fraction, 1)
        parts.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{right}" y2="{y}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4}" text-anchor="end">'
            f"{_number(top * fraction)}</text>"
        )
    labelled = _x_labels(len(chart.rows))
    points = []
    for index, (label, value) in enumerate(chart.rows):
        centre = round(left + slot * (index + 0.5), 1)
        y = round(bottom - plot_height * value / top, 1)
        if chart.kind == "columns":
            width = round(max(slot * 0.7, 1), 1)
            parts.append(
                f'<rect class="bar" x="{round(centre - width / 2, 1)}" y="{y}" '
                f'width="{width}" height="{round(bottom - y, 1)}"/>'
            )
        else:
            points.append(f"{centre},{y}")
            parts.append(f'<circle class="dot" cx="{centre}" cy="{y}" r="3"/>')
        if index in labelled:
            parts.append(
                f'<text class="tick" x="{centre}" y="{bottom + 18}" text-anchor="middle">'
                f"{escape(_short(label))}</text>"
            )
    if points:
        parts.append(f'<polyline class="line" points="{" ".join(points)}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    parts.append("</svg>")
    return "".join(parts)


def chart_svg(chart: Chart) -> str:
    """The chart as an SVG element, every text escaped: safe to put in a page as it is."""
    return _bars(chart) if chart.kind == "bars" else _plot(chart)


def chart_csv(chart: Chart) -> str:
    """The chart's table as CSV, with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([chart.label_header, chart.value_header])
    for label, value in chart.rows:
        # A label starting with = + - @ would be a formula in a spreadsheet (CSV injection):
        # a leading quote keeps it text.
        text = "'" + label if label[:1] in ("=", "+", "-", "@") else label
        writer.writerow([text, _number(value)])
    return buffer.getvalue()


def rows_of(pairs: Sequence[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    return tuple((str(label), value) for label, value in pairs)
