"""The dashboard's charts (dashboard/charts.py): accessible SVG and CSV, from plain values."""

from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree

from dashboard.charts import MAX_X_LABELS, Chart, chart_csv, chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    # Our own output, not untrusted data.
    return ElementTree.fromstring(svg)  # noqa: S314


def chart(kind: str = "bars", rows: tuple[tuple[str, float], ...] = ()) -> Chart:
    return Chart(
        key="themes",
        kind=kind,  # type: ignore[arg-type]
        title="Participations par thème",
        description="3 participations en tout.",
        label_header="Thème",
        value_header="Participations",
        rows=rows or (("Saisons", 2), ("Lumières", 1)),
    )


def test_it_names_and_describes_the_chart_for_screen_readers() -> None:
    for kind in ("bars", "columns", "line"):
        root = parse(chart_svg(chart(kind)))
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby", "").split()
        assert root.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
        assert root.find(f"{SVG}title").text == "Participations par thème"  # type: ignore[union-attr]
        assert root.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
        assert root.find(f"{SVG}desc").text == "3 participations en tout."  # type: ignore[union-attr]


def test_it_colours_through_classes_only_for_the_csp_and_forced_colours() -> None:
    for kind in ("bars", "columns", "line"):
        svg = chart_svg(chart(kind))
        assert "style=" not in svg
        assert "fill=" not in svg
        assert 'class="bar"' in svg or 'class="line"' in svg


def test_it_draws_bars_in_proportion_to_the_values() -> None:
    root = parse(chart_svg(chart()))
    widths = [float(rect.get("width", 0)) for rect in root.iter(f"{SVG}rect")]
    assert len(widths) == 2
    assert widths[0] == 2 * widths[1]


def test_it_escapes_the_labels() -> None:
    svg = chart_svg(chart(rows=(("<script>alert(1)</script>", 1),)))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    parse(svg)  # still well-formed


def test_it_labels_only_a_few_days_on_a_long_campaign() -> None:
    days = tuple((f"{n} nov.", n) for n in range(1, 31))
    svg = chart_svg(chart("line", days))
    labels = re.findall(r'text-anchor="middle">([^<]+)<', svg)
    assert 2 <= len(labels) <= MAX_X_LABELS + 1
    assert labels[0] == "1 nov." and labels[-1] == "30 nov."
    assert svg.count("<circle") == 30


def test_it_writes_the_table_as_csv_and_defuses_spreadsheet_formulas() -> None:
    text = chart_csv(chart(rows=(("Saisons", 2), ("=HYPERLINK(1)", 1), ("Moyenne", 2.5))))
    assert list(csv.reader(io.StringIO(text))) == [
        ["Thème", "Participations"],
        ["Saisons", "2"],
        ["'=HYPERLINK(1)", "1"],
        ["Moyenne", "2.5"],
    ]


def test_it_puts_only_whole_numbers_on_the_value_axis() -> None:
    # A peak of 3 gives an axis up to 5, whose middle (2.5) is no count of photos.
    svg = chart_svg(chart("columns", (("9 h", 3), ("10 h", 1))))
    ticks = re.findall(r'<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]+)<', svg)
    assert ticks == ["0", "5"]
