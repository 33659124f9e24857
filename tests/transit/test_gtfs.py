"""The pure GTFS reader: no database, plain values in and out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.transit.conftest import GOOGLE, NANTES, data_rows, zip_folder
from transit.gtfs import GtfsError, read_feed, search_key


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Gare Sud", "Gare-Sud"),
        ("gare sud", "GARE SUD"),
        ("gare de l'etat", "Gare de l’État"),
        ("pont rousseau", "Gare de Pont-Rousseau"),
        ("coeur", "Cœur de ville"),
        ("  Île   de  Nantes ", "ile-de-nantes"),
    ],
)
def test_it_folds_accents_case_and_punctuation_in_the_search_key(typed: str, name: str) -> None:
    assert search_key(typed) in search_key(name)


def test_it_does_not_fold_different_names_together() -> None:
    assert search_key("Gare Nord") not in search_key("Gare-Sud")


def test_it_reads_every_route_and_stop_of_the_nantes_feed() -> None:
    feed = read_feed(NANTES)
    assert len(feed.routes) == data_rows(NANTES / "routes.txt") == 75
    assert len(feed.stops) == data_rows(NANTES / "stops.txt") == 3451
    # routes.txt starts with a byte order mark, agency.txt has CRLF line endings.
    tram_2 = next(route for route in feed.routes if route.gtfs_id == "2-0")
    assert (tram_2.short_name, tram_2.colour, tram_2.text_colour) == ("2", "#e53138", "#ffffff")
    assert feed.agencies[0].name == "SEMITAN"
    point = next(stop for stop in feed.stops if stop.gtfs_id == "StopPoint:COMA4")
    assert point.parent_id == "StopArea:COMM"
    assert feed.links is None  # no trips.txt and stop_times.txt in this feed


def test_it_reads_a_zip_like_the_folder_and_gives_the_stops_each_route_serves(
    tmp_path: Path,
) -> None:
    from_zip = read_feed(zip_folder(GOOGLE, tmp_path / "feed.zip"))
    assert from_zip == read_feed(GOOGLE)
    assert from_zip.links is not None
    assert {stop for route, stop in from_zip.links if route == "AB"} == {
        "BEATTY_AIRPORT",
        "BULLFROG",
    }
    assert from_zip.stop_times_rows == data_rows(GOOGLE / "stop_times.txt")
    # No colour in the feed: the reference's white with black text.
    assert {(r.colour, r.text_colour) for r in from_zip.routes} == {("#ffffff", "#000000")}


def test_it_reports_progress_up_to_the_whole_feed() -> None:
    seen: list[float] = []
    read_feed(GOOGLE, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_it_tolerates_a_byte_order_mark_blank_lines_and_missing_trailing_fields(
    feed_copy: Callable[[Path], Path],
) -> None:
    feed = feed_copy(GOOGLE)
    stops = feed / "stops.txt"
    text = stops.read_text(encoding="utf-8")
    # The last line loses its empty trailing fields; a blank line is added.
    stops.write_text("\ufeff" + text.rstrip(",\n") + "\n\n", encoding="utf-8")
    assert len(read_feed(feed).stops) == 9


def test_it_refuses_a_file_that_is_neither_a_zip_nor_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(GtfsError) as error:
        read_feed(path)
    assert error.value.file == "feed.zip"
