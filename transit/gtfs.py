"""Reading a GTFS feed (a .zip or a folder) into plain values: no database here.

Files are streamed row by row (csv over io.TextIOWrapper on the zip member or the file), so
a feed's size only matters for the few things kept: agencies, routes and stops (thousands,
at most a few hundred thousand), trip_id → route for trips.txt, and the set of (route, stop)
pairs that stop_times.txt adds up to. stop_times.txt itself (millions of rows) is never held.

Everything is checked before anything is returned, so a caller writes only a valid feed.
Reference: https://gtfs.org/documentation/schedule/reference/
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from django.utils.translation import gettext as _

from core.errors import ApplicationError

Progress = Callable[[float], None]

REQUIRED_FILES = ("agency.txt", "routes.txt", "stops.txt")
# Which stops each line serves needs both; a feed without them still gives lines and stops.
LINK_FILES = ("trips.txt", "stop_times.txt")
REQUIRED_COLUMNS = {
    "agency.txt": ("agency_name", "agency_url", "agency_timezone"),
    "routes.txt": ("route_id", "route_type"),
    "stops.txt": ("stop_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence"),
}
# The columns of the database rows these values go to.
MAX_TEXT = 255
DEFAULT_COLOUR = "#ffffff"  # the reference's defaults when route_color is empty
DEFAULT_TEXT_COLOUR = "#000000"
COLOUR = re.compile(r"[0-9A-Fa-f]{6}")
# 0-7, 11, 12 in the reference; 100-1799 are the "extended" types many European feeds use.
ROUTE_TYPES = frozenset([*range(8), 11, 12, *range(100, 1800)])
STATION = 1
# location_type: a name and a position are required for stops, stations and entrances (0-2);
# a parent station for entrances, generic nodes and boarding areas (2-4).
LOCATION_TYPES = range(5)
NEEDS_NAME_AND_POSITION = (0, 1, 2)
NEEDS_PARENT = (2, 3, 4)
PROGRESS_EVERY = 100_000  # rows


class GtfsError(ApplicationError):
    """What is wrong in a feed, and where: file, line (1 is the header) and column."""

    def __init__(
        self, reason: str, *, file: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.column = column
        if line is not None and column:
            where = _("%(file)s, line %(line)s, column “%(column)s”") % {
                "file": file,
                "line": line,
                "column": column,
            }
        elif line is not None:
            where = _("%(file)s, line %(line)s") % {"file": file, "line": line}
        else:
            where = file
        super().__init__(_("%(where)s: %(reason)s") % {"where": where, "reason": reason})


@dataclass(frozen=True, slots=True)
class Agency:
    gtfs_id: str
    name: str
    url: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Route:
    gtfs_id: str
    agency_id: str
    short_name: str
    long_name: str
    route_type: int
    colour: str  # "#rrggbb"
    text_colour: str
    sort_order: int


@dataclass(frozen=True, slots=True)
class Stop:
    gtfs_id: str
    name: str
    latitude: float | None
    longitude: float | None
    location_type: int
    parent_id: str  # "" for none


@dataclass(frozen=True, slots=True)
class Feed:
    agencies: list[Agency]
    routes: list[Route]
    stops: list[Stop]
    # (route gtfs_id, stop gtfs_id) for every stop a trip of the route calls at; None when the
    # feed has no trips.txt + stop_times.txt (then nothing is known about them).
    links: set[tuple[str, str]] | None
    stop_times_rows: int = 0


_FOLDED = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})
_WORDS = re.compile(r"[^\W_]+")


def search_key(text: str) -> str:
    """Lower case words without accents or punctuation: "Gare-Sud" and "gare sud" meet."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLDED))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORDS.findall(bare))


def _outside(name: str) -> bool:
    """Whether a zip member's path leaves the archive (absolute, a drive, or a .. part)."""
    path = name.replace("\\", "/")
    return path.startswith("/") or bool(re.match(r"[A-Za-z]:", path)) or ".." in path.split("/")


class _Counted(io.RawIOBase):
    """A binary stream that adds what is read to its source's count, for progress."""

    def __init__(self, inner: IO[bytes], source: FeedSource) -> None:
        self._inner = inner
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._source.bytes_read += size
        return size


class FeedSource:
    """The files of a feed in a .zip (a path or a binary file) or a folder."""

    def __init__(self, source: str | Path | BinaryIO) -> None:
        self.bytes_read = 0
        self._stack = ExitStack()
        self._zip: zipfile.ZipFile | None = None
        self._folder = Path()  # used only when the source is not a zip
        self._sizes: dict[str, int] = {}
        if isinstance(source, str | Path) and Path(source).is_dir():
            self._folder = Path(source)
            for path in self._folder.iterdir():
                if path.is_file():
                    self._sizes[path.name] = path.stat().st_size
            return
        name = Path(source).name if isinstance(source, str | Path) else "feed"
        try:
            self._zip = self._stack.enter_context(zipfile.ZipFile(source))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise GtfsError(_("This is neither a .zip archive nor a folder."), file=name) from exc
        for info in self._zip.infolist():
            if _outside(info.filename):
                raise GtfsError(
                    _("The archive holds a path outside it; it is refused."), file=info.filename
                )
            if not info.is_dir():
                self._sizes[info.filename] = info.file_size

    def __enter__(self) -> FeedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def has(self, name: str) -> bool:
        return name in self._sizes

    def size(self, name: str) -> int:
        return self._sizes.get(name, 0)

    def _open_binary(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            try:
                return self._zip.open(name)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile) as exc:
                # Encrypted members, unknown compression methods, a damaged header.
                raise GtfsError(_("This file cannot be read from the archive."), file=name) from exc
        return (self._folder / name).open("rb")

    @contextmanager
    def open(self, name: str) -> Iterator[io.TextIOWrapper]:
        """The file as text: UTF-8 (a leading BOM tolerated), strictly, any line ending."""
        with self._open_binary(name) as binary:
            raw = io.BufferedReader(_Counted(binary, self))
            # newline="": the csv module handles line endings, quoted ones included.
            with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="") as text:
                yield text

    def first_undecodable_line(self, name: str) -> tuple[int, str | None]:
        """Line number (and column, when the header tells) of the first non-UTF-8 bytes."""
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        header: list[str] = []
        with self._open_binary(name) as binary:
            for number, line in enumerate(binary, start=1):
                try:
                    text = decoder.decode(line)
                except UnicodeDecodeError:
                    shown = line.decode("utf-8", errors="replace")
                    fields = next(csv.reader([shown]), [])
                    for index, field in enumerate(fields):
                        if "\ufffd" in field and index < len(header):
                            return number, header[index]
                    return number, None
                if number == 1:
                    header = [h.strip() for h in next(csv.reader([text]), [])]
        return 0, None  # not reached: the caller saw a decoding error


class _Table:
    """One file's rows as csv lists, with the positions of its header's columns."""

    def __init__(self, source: FeedSource, name: str, text: io.TextIOWrapper) -> None:
        self.source = source
        self.name = name
        self.reader = csv.reader(text)
        header = self._next()
        if header is None:
            raise GtfsError(_("The file is empty: it needs at least its header."), file=name)
        self.header = [column.strip() for column in header]
        self.index: dict[str, int] = {}
        for position, column in enumerate(self.header):
            if column in self.index:
                raise self.error(_("This column appears twice in the header."), column)
            self.index[column] = position
        for column in REQUIRED_COLUMNS[name]:
            if column not in self.index:
                raise self.error(_("This required column is missing."), column)

    @property
    def line(self) -> int:
        return self.reader.line_num

    def error(self, reason: str, column: str | None = None) -> GtfsError:
        return GtfsError(reason, file=self.name, line=self.line, column=column)

    def _next(self) -> list[str] | None:
        try:
            return next(self.reader)
        except StopIteration:
            return None
        except UnicodeDecodeError as exc:
            line, column = self.source.first_undecodable_line(self.name)
            raise GtfsError(
                _("The file is not in UTF-8 (the encoding GTFS requires)."),
                file=self.name,
                line=line or None,
                column=column,
            ) from exc
        except csv.Error as exc:
            raise self.error(_("This line is not valid CSV (%(error)s).") % {"error": exc}) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise GtfsError(_("The file is damaged in the archive."), file=self.name) from exc

    def rows(self) -> Iterator[list[str]]:
        while (row := self._next()) is not None:
            if row and row != [""]:  # blank lines
                yield row

    def getter(self, column: str) -> Callable[[list[str]], str]:
        """A function reading that column's value from a row ("" if the column is absent)."""
        position = self.index.get(column)
        if position is None:
            return lambda row: ""
        return lambda row: row[position].strip() if position < len(row) else ""

    def text(self, row: list[str], column: str, *, required: bool = False) -> str:
        position = self.index.get(column)
        value = row[position].strip() if position is not None and position < len(row) else ""
        if required and not value:
            raise self.error(_("A value is required here."), column)
        if len(value) > MAX_TEXT:
            raise self.error(
                _("This value is longer than %(max)s characters.") % {"max": MAX_TEXT}, column
            )
        return value

    def integer(
        self,
        row: list[str],
        column: str,
        allowed: range | frozenset[int],
        *,
        required: bool = False,
    ) -> int | None:
        value = self.text(row, column, required=required)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number not in allowed:
            raise self.error(_("“%(value)s” is not allowed here.") % {"value": value}, column)
        return number

    def unique(self, seen: dict[str, int], gtfs_id: str, column: str) -> None:
        if gtfs_id in seen:
            raise self.error(
                _("The id “%(id)s” is already used on line %(line)s.")
                % {"id": gtfs_id, "line": seen[gtfs_id]},
                column,
            )
        seen[gtfs_id] = self.line


class _Reader:
    def __init__(self, source: FeedSource, progress: Progress | None) -> None:
        self.source = source
        self.progress = progress
        names = [*REQUIRED_FILES, *LINK_FILES]
        self.total_bytes = max(1, sum(source.size(name) for name in names))

    @contextmanager
    def table(self, name: str) -> Iterator[_Table]:
        with self.source.open(name) as text:
            yield _Table(self.source, name, text)

    def report(self) -> None:
        if self.progress is not None:
            self.progress(min(1.0, self.source.bytes_read / self.total_bytes))

    def read(self) -> Feed:
        for name in REQUIRED_FILES:
            if not self.source.has(name):
                raise GtfsError(_("This required file is missing from the feed."), file=name)
        agencies = self.agencies()
        routes = self.routes(agencies)
        stops = self.stops()
        self.report()
        links: set[tuple[str, str]] | None = None
        rows = 0
        if self.source.has("trips.txt") and self.source.has("stop_times.txt"):
            trips = self.trips({route.gtfs_id for route in routes})
            links, rows = self.stop_times(trips, {stop.gtfs_id for stop in stops})
        self.report()
        return Feed(agencies, routes, stops, links, rows)

    def agencies(self) -> list[Agency]:
        agencies: list[Agency] = []
        seen: dict[str, int] = {}
        with self.table("agency.txt") as table:
            for row in table.rows():
                agency = Agency(
                    gtfs_id=table.text(row, "agency_id"),
                    name=table.text(row, "agency_name", required=True),
                    url=table.text(row, "agency_url"),
                    timezone=table.text(row, "agency_timezone"),
                )
                table.unique(seen, agency.gtfs_id, "agency_id")
                agencies.append(agency)
                if len(agencies) > 1 and not all(a.gtfs_id for a in agencies):
                    raise table.error(
                        _("Every agency needs an id when the feed has several."), "agency_id"
                    )
            if not agencies:
                raise table.error(_("The feed names no agency."))
        return agencies

    def routes(self, agencies: list[Agency]) -> list[Route]:
        known = {agency.gtfs_id for agency in agencies}
        only = agencies[0].gtfs_id if len(agencies) == 1 else None
        routes: list[Route] = []
        seen: dict[str, int] = {}
        with self.table("routes.txt") as table:
            for row in table.rows():
                gtfs_id = table.text(row, "route_id", required=True)
                table.unique(seen, gtfs_id, "route_id")
                agency_id = table.text(row, "agency_id")
                if not agency_id:
                    if only is None:
                        raise table.error(
                            _("The route needs its agency: the feed has several."), "agency_id"
                        )
                    agency_id = only
                elif agency_id not in known:
                    raise table.error(
                        _("No agency has the id “%(id)s”.") % {"id": agency_id}, "agency_id"
                    )
                short_name = table.text(row, "route_short_name")
                long_name = table.text(row, "route_long_name")
                if not short_name and not long_name:
                    raise table.error(
                        _("A route needs a short name or a long name."), "route_short_name"
                    )
                sort_order = table.integer(row, "route_sort_order", range(2**31))
                routes.append(
                    Route(
                        gtfs_id=gtfs_id,
                        agency_id=agency_id,
                        short_name=short_name,
                        long_name=long_name,
                        # Never 0 by default: a required value raises when empty.
                        route_type=table.integer(row, "route_type", ROUTE_TYPES, required=True)
                        or 0,
                        colour=self.colour(table, row, "route_color", DEFAULT_COLOUR),
                        text_colour=self.colour(
                            table, row, "route_text_color", DEFAULT_TEXT_COLOUR
                        ),
                        # The feed's order, else the file's.
                        sort_order=len(routes) if sort_order is None else sort_order,
                    )
                )
        return routes

    @staticmethod
    def colour(table: _Table, row: list[str], column: str, default: str) -> str:
        value = table.text(row, column)
        if not value:
            return default
        if not COLOUR.fullmatch(value):
            raise table.error(
                _("“%(value)s” is not a colour: six hexadecimal digits are expected (e.g. 00a1e4).")
                % {"value": value},
                column,
            )
        return "#" + value.lower()

    def stops(self) -> list[Stop]:
        stops: list[Stop] = []
        seen: dict[str, int] = {}
        with self.table("stops.txt") as table:
            for row in table.rows():
                gtfs_id = table.text(row, "stop_id", required=True)
                table.unique(seen, gtfs_id, "stop_id")
                location_type = table.integer(row, "location_type", LOCATION_TYPES) or 0
                located = location_type in NEEDS_NAME_AND_POSITION
                parent_id = table.text(
                    row, "parent_station", required=location_type in NEEDS_PARENT
                )
                if parent_id and location_type == STATION:
                    raise table.error(
                        _("A station cannot be inside another station."), "parent_station"
                    )
                stops.append(
                    Stop(
                        gtfs_id=gtfs_id,
                        name=table.text(row, "stop_name", required=located),
                        latitude=self.coordinate(table, row, "stop_lat", 90, required=located),
                        longitude=self.coordinate(table, row, "stop_lon", 180, required=located),
                        location_type=location_type,
                        parent_id=parent_id,
                    )
                )
            self.report()
        for stop in stops:
            if stop.parent_id and stop.parent_id not in seen:
                raise GtfsError(
                    _("No stop has the id “%(id)s”.") % {"id": stop.parent_id},
                    file="stops.txt",
                    line=seen[stop.gtfs_id],
                    column="parent_station",
                )
        return stops

    @staticmethod
    def coordinate(
        table: _Table, row: list[str], column: str, limit: int, *, required: bool
    ) -> float | None:
        value = table.text(row, column, required=required)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and -limit <= number <= limit):
            raise table.error(
                _("“%(value)s” is not a coordinate between -%(limit)s and %(limit)s.")
                % {"value": value, "limit": limit},
                column,
            )
        return number

    def trips(self, route_ids: set[str]) -> dict[str, str]:
        """trip_id → route_id: a few hundred thousand at most, unlike stop_times."""
        trips: dict[str, str] = {}
        # The route ids themselves, so that each trip shares its route's string.
        routes = {route_id: route_id for route_id in route_ids}
        with self.table("trips.txt") as table:
            for row in table.rows():
                trip_id = table.text(row, "trip_id", required=True)
                if trip_id in trips:
                    # Not "on line N": keeping every trip's line would double this dict.
                    raise table.error(
                        _("The id “%(id)s” is used twice.") % {"id": trip_id}, "trip_id"
                    )
                route_id = table.text(row, "route_id", required=True)
                if route_id not in routes:
                    raise table.error(
                        _("No route has the id “%(id)s”.") % {"id": route_id}, "route_id"
                    )
                trips[trip_id] = routes[route_id]
        return trips

    def stop_times(
        self, trips: dict[str, str], stop_ids: set[str]
    ) -> tuple[set[tuple[str, str]], int]:
        """The (route, stop) pairs, streamed: millions of rows, never more than one held."""
        links: set[tuple[str, str]] = set()
        rows = 0
        with self.table("stop_times.txt") as table:
            trip_of, stop_of = table.getter("trip_id"), table.getter("stop_id")
            for row in table.rows():
                rows += 1
                if rows % PROGRESS_EVERY == 0:
                    self.report()
                route_id = trips.get(trip_of(row))
                if route_id is None:
                    raise table.error(
                        _("No trip has the id “%(id)s”.") % {"id": trip_of(row)}, "trip_id"
                    )
                stop_id = stop_of(row)
                if not stop_id:
                    continue  # flexible services name a zone instead (GTFS-Flex)
                if stop_id not in stop_ids:
                    raise table.error(
                        _("No stop has the id “%(id)s”.") % {"id": stop_id}, "stop_id"
                    )
                links.add((route_id, stop_id))
        return links, rows


def read_feed(source: str | Path | BinaryIO, *, progress: Progress | None = None) -> Feed:
    """Every check of the feed, then its agencies, routes, stops and route → stop pairs.

    `progress(fraction)` is called as the files are read (by bytes, every so many rows).
    Raises GtfsError naming the file, line and column of the first problem.
    """
    with FeedSource(source) as feed:
        return _Reader(feed, progress).read()
