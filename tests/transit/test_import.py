"""Importing a feed into a network: counts, in-place updates, inactive leftovers, bad feeds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.transit.conftest import (
    GOOGLE,
    NANTES,
    data_rows,
    drop_lines,
    edit_line,
    zip_folder,
)
from transit import services
from transit.gtfs import GtfsError, search_key
from transit.models import Agency, Line, LineStop, Network, Stop
from transit.services import feed_import, network_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def tan() -> Network:
    return network_get_or_create(name="Tan")


def everything() -> list[list[dict[str, Any]]]:
    return [
        list(model.objects.order_by("pk").values())
        for model in (Network, Agency, Line, Stop, LineStop)
    ]


def counts(summary: services.ImportSummary) -> dict[str, tuple[int, int, int]]:
    return {
        kind: (c.created, c.updated, c.deactivated)
        for kind, c in (
            ("lines", summary.lines),
            ("stops", summary.stops),
            ("links", summary.links),
        )
    }


def test_it_imports_every_line_and_stop_of_the_nantes_feed(tan: Network) -> None:
    summary = feed_import(source=NANTES, network=tan)

    assert Line.objects.filter(network=tan).count() == data_rows(NANTES / "routes.txt") == 75
    assert Stop.objects.filter(network=tan).count() == data_rows(NANTES / "stops.txt") == 3451
    assert counts(summary)["lines"] == (75, 0, 0)
    tram_2 = Line.objects.get(network=tan, gtfs_id="2-0")
    assert (tram_2.short_name, tram_2.colour, tram_2.text_colour) == ("2", "#e53138", "#ffffff")
    assert tram_2.agency.name == "SEMITAN"
    # A station groups its boarding points.
    commerce = Stop.objects.get(network=tan, gtfs_id="StopArea:COMM")
    assert commerce.name == "Commerce"
    assert commerce.location_type == Stop.LocationType.STATION
    assert "StopPoint:COMA4" in set(commerce.children.values_list("gtfs_id", flat=True))
    assert (commerce.latitude, commerce.longitude) == (47.21346902, -1.55637092)


def test_it_finds_a_stop_whatever_the_accents_case_and_hyphens_typed(tan: Network) -> None:
    feed_import(source=NANTES, network=tan)

    def found(typed: str) -> set[str]:
        return set(
            Stop.objects.filter(
                network=tan, location_type=1, search_key__contains=search_key(typed)
            ).values_list("name", flat=True)
        )

    assert found("gare de pont rousseau") == {"Gare de Pont-Rousseau"}
    assert "Gare de l'Etat" in found("GARE DE L’ÉTAT")
    assert found("COMMERCE") == {"Commerce"}


def test_it_links_each_line_to_the_stops_its_trips_call_at(tmp_path: Path) -> None:
    network = network_get_or_create(name="Demo")
    summary = feed_import(source=zip_folder(GOOGLE, tmp_path / "feed.zip"), network=network)

    assert Line.objects.filter(network=network).count() == data_rows(GOOGLE / "routes.txt")
    assert Stop.objects.filter(network=network).count() == data_rows(GOOGLE / "stops.txt")
    airport_bullfrog = Line.objects.get(network=network, gtfs_id="AB")
    assert set(airport_bullfrog.stops.values_list("gtfs_id", flat=True)) == {
        "BEATTY_AIRPORT",
        "BULLFROG",
    }
    assert summary.links.created == LineStop.objects.count() == 13


@pytest.mark.parametrize("feed", [NANTES, GOOGLE], ids=["nantes", "google"])
def test_it_changes_nothing_when_the_same_feed_comes_again(feed: Path) -> None:
    network = network_get_or_create(name="Réseau")
    feed_import(source=feed, network=network)
    before = everything()

    again = feed_import(source=feed, network=network)

    assert not again.changed
    assert counts(again) == {"lines": (0, 0, 0), "stops": (0, 0, 0), "links": (0, 0, 0)}
    assert everything() == before


def test_it_updates_names_and_colours_in_place_from_a_newer_feed(
    tan: Network, feed_copy: Callable[[Path], Path]
) -> None:
    feed_import(source=NANTES, network=tan)
    tram_2 = Line.objects.get(network=tan, gtfs_id="2-0")
    commerce = Stop.objects.get(network=tan, gtfs_id="StopArea:COMM")
    newer = feed_copy(NANTES)
    edit_line(newer / "routes.txt", 3, "e53138,ffffff", "c00020,ffffff")
    stops = (newer / "stops.txt").read_text(encoding="utf-8")
    (newer / "stops.txt").write_text(
        stops.replace('StopArea:COMM,"Commerce"', 'StopArea:COMM,"Commerce – Cours des 50 Otages"'),
        encoding="utf-8",
    )

    summary = feed_import(source=newer, network=tan)

    assert counts(summary)["lines"] == (0, 1, 0)
    assert counts(summary)["stops"] == (0, 1, 0)
    tram_2.refresh_from_db()
    commerce.refresh_from_db()
    assert tram_2.colour == "#c00020"
    assert commerce.name == "Commerce – Cours des 50 Otages"
    assert commerce.search_key == "commerce cours des 50 otages"
    assert Line.objects.filter(network=tan).count() == 75  # updated, not duplicated


def test_it_keeps_a_line_and_a_stop_that_left_the_feed_marked_inactive(
    tan: Network, feed_copy: Callable[[Path], Path]
) -> None:
    feed_import(source=NANTES, network=tan)
    ferry = Line.objects.get(network=tan, gtfs_id__startswith="NL")
    point = Stop.objects.get(network=tan, gtfs_id="StopPoint:COMA4")
    newer = feed_copy(NANTES)
    drop_lines(newer / "routes.txt", lambda line: not line.startswith(ferry.gtfs_id + ","))
    drop_lines(newer / "stops.txt", lambda line: not line.startswith("StopPoint:COMA4,"))

    summary = feed_import(source=newer, network=tan)

    assert counts(summary)["lines"] == (0, 0, 1)
    assert counts(summary)["stops"] == (0, 0, 1)
    ferry.refresh_from_db()
    point.refresh_from_db()
    assert not ferry.active and not point.active
    assert point.parent is not None  # still grouped under Commerce
    assert Line.objects.filter(network=tan, active=True).count() == 74

    # Back in a later feed: active again, the same rows.
    back = feed_import(source=NANTES, network=tan)
    assert counts(back)["lines"] == (0, 1, 0)
    ferry.refresh_from_db()
    assert ferry.active


def test_it_forgets_a_stop_a_line_no_longer_serves(feed_copy: Callable[[Path], Path]) -> None:
    network = network_get_or_create(name="Demo")
    feed_import(source=GOOGLE, network=network)
    newer = feed_copy(GOOGLE)
    # The shuttle STBA no longer calls at the airport.
    drop_lines(newer / "stop_times.txt", lambda line: not line.startswith("STBA,6:20:00"))

    summary = feed_import(source=newer, network=network)

    assert counts(summary)["links"] == (0, 0, 1)
    shuttle = Line.objects.get(network=network, gtfs_id="STBA")
    assert set(shuttle.stops.values_list("gtfs_id", flat=True)) == {"STAGECOACH"}


def test_it_keeps_what_is_known_of_served_stops_when_a_feed_has_no_stop_times(
    feed_copy: Callable[[Path], Path],
) -> None:
    network = network_get_or_create(name="Demo")
    feed_import(source=GOOGLE, network=network)
    lean = feed_copy(GOOGLE)
    (lean / "stop_times.txt").unlink()

    summary = feed_import(source=lean, network=network)

    assert not summary.links_known
    assert LineStop.objects.count() == 13


def _latin1_line(feed: Path) -> None:
    path = feed / "stops.txt"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[99] = 'StopArea:XCRE,"Crèche",,47.2,-1.5,,,1,,\n'.encode("latin-1")
    path.write_bytes(b"".join(lines))


def _parent(feed: Path) -> None:
    edit_line(feed / "stops.txt", 1100, ",StopArea:", ",StopArea:NOPE")


def _duplicate(feed: Path) -> None:
    path = feed / "stops.txt"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]), encoding="utf-8")


BROKEN = {
    "missing file": (NANTES, lambda f: (f / "stops.txt").unlink(), ("stops.txt", None, None)),
    "missing column": (
        NANTES,
        lambda f: edit_line(f / "routes.txt", 1, "route_type", "route_kind"),
        ("routes.txt", 1, "route_type"),
    ),
    "bad colour": (
        NANTES,
        lambda f: edit_line(f / "routes.txt", 3, "e53138", "e5313g"),
        ("routes.txt", 3, "route_color"),
    ),
    "short colour": (
        NANTES,
        lambda f: edit_line(f / "routes.txt", 4, ",0079bc,", ",079bc,"),
        ("routes.txt", 4, "route_color"),
    ),
    "duplicate stop id": (NANTES, _duplicate, ("stops.txt", 3453, "stop_id")),
    "unknown parent station": (NANTES, _parent, ("stops.txt", 1100, "parent_station")),
    "unknown agency": (
        NANTES,
        lambda f: edit_line(f / "routes.txt", 2, '"1"', '"9"'),
        ("routes.txt", 2, "agency_id"),
    ),
    "bad latitude": (
        NANTES,
        lambda f: edit_line(f / "stops.txt", 2, "47.22015730", "47.2N"),
        ("stops.txt", 2, "stop_lat"),
    ),
    "not utf-8": (NANTES, _latin1_line, ("stops.txt", 100, "stop_name")),
    "stop_times at a missing stop": (
        GOOGLE,
        lambda f: edit_line(f / "stop_times.txt", 3, "BEATTY_AIRPORT", "NOWHERE"),
        ("stop_times.txt", 3, "stop_id"),
    ),
    "stop_times of a missing trip": (
        GOOGLE,
        lambda f: edit_line(f / "stop_times.txt", 2, "STBA,", "GHOST,"),
        ("stop_times.txt", 2, "trip_id"),
    ),
    "trip of a missing route": (
        GOOGLE,
        lambda f: edit_line(f / "trips.txt", 2, "AB,", "ZZ,"),
        ("trips.txt", 2, "route_id"),
    ),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_it_refuses_a_broken_feed_naming_where_and_changes_nothing(
    case: tuple[Path, Callable[[Path], None], tuple[str, int | None, str | None]],
    feed_copy: Callable[[Path], Path],
) -> None:
    feed, breaks, where = case
    network = network_get_or_create(name="Réseau")
    feed_import(source=feed, network=network)
    before = everything()
    broken = feed_copy(feed)
    breaks(broken)

    with pytest.raises(GtfsError) as error:
        feed_import(source=broken, network=network)

    assert (error.value.file, error.value.line, error.value.column) == where
    file, line, column = where
    if line is None:
        assert error.value.message.startswith(f"{file} : ")
    else:
        assert error.value.message.startswith(f"{file}, ligne {line}, colonne « {column} »")
    assert everything() == before


def test_it_names_the_first_use_of_a_duplicated_id(feed_copy: Callable[[Path], Path]) -> None:
    broken = feed_copy(NANTES)
    _duplicate(broken)
    with pytest.raises(GtfsError) as error:
        feed_import(source=broken, network=network_get_or_create(name="Tan"))
    assert "déjà utilisé à la ligne 2" in error.value.message


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/cron.d/evil", "C:/evil.txt", "a/../../b"])
def test_it_refuses_a_zip_holding_a_path_outside_it(tmp_path: Path, member: str) -> None:
    archive = zip_folder(GOOGLE, tmp_path / "feed.zip", extra={member: b"x"})
    network = network_get_or_create(name="Demo")

    with pytest.raises(GtfsError) as error:
        feed_import(source=archive, network=network)

    assert error.value.file == member
    assert error.value.message == (
        f"{member} : L’archive contient un chemin qui sort de l’archive : elle est refusée."
    )
    assert not Line.objects.exists()


def test_it_leaves_nothing_half_written_when_saving_fails(
    tan: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_disk(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(services, "_save_stops", broken_disk)
    with pytest.raises(OSError, match="disk full"):
        feed_import(source=NANTES, network=tan)

    assert not Line.objects.exists()  # written before the stops, rolled back with them
    assert not Agency.objects.exists()
