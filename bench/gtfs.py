"""Benchmark: memory and time of reading a GTFS feed with 2 million stop_times rows.

Run from the project root:

    .venv/bin/python bench/gtfs.py                  # 2,000,000 stop_times rows (~2.5 min)
    .venv/bin/python bench/gtfs.py --rows 500000    # a quicker look

It writes a feed in a temp folder (and the same feed zipped): 1 agency, 200 routes, 12,000
stops (2,000 stations and their 10,000 boarding points), 50,000 trips, and `--rows`
stop_times rows (each trip calls at rows / 50,000 stops of its route). Then, each in a fresh
subprocess so that its peak RSS (ru_maxrss) is its own:

- baseline: stop_times.txt read with csv.DictReader into a list (what a naive importer does
  before looking at the rows);
- transit.gtfs.read_feed on the folder and on the zip: every check of every file, and the
  (route, stop) pairs;
- the same on a feed with a tenth of the stop_times rows and the same trips and stops:
  memory must not follow the rows;
- transit.services.feed_import of the folder into a throwaway SQLite database (reading,
  checks and writing the rows).

Each is run once untraced (time, peak RSS, and "delta": peak RSS minus the RSS after imports)
and, for the readers, once more under tracemalloc (peak of Python allocations; slower, so
not timed). The feed is written by a subprocess too: Linux carries ru_maxrss over fork and
exec, so the parent must stay small. Exit code 1 when the reader's tracemalloc peak is not
under a tenth of the baseline's, or grows by more than 5 MB with ten times the rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

ROUTES = 200
STATIONS = 2_000
POINTS_PER_STATION = 5
TRIPS = 50_000
TARGET_SHARE = 0.10  # reader's tracemalloc peak / baseline's
TARGET_GROWTH_MB = 5.0  # reader's tracemalloc peak, 10x the rows


# --- the feed ----------------------------------------------------------------------------


def write_feed(folder: Path, rows: int) -> None:
    """A plausible feed, written row by row (the parent process stays small)."""
    folder.mkdir(parents=True, exist_ok=True)
    calls = max(2, rows // TRIPS)
    points = [f"P{s:05d}-{p}" for s in range(STATIONS) for p in range(POINTS_PER_STATION)]

    def write(name: str, header: list[str], lines: Iterator[list[object]]) -> None:
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(lines)

    def stops() -> Iterator[list[object]]:
        for s in range(STATIONS):
            lat, lon = f"{47.1 + s / 10_000:.6f}", f"{-1.7 + s / 10_000:.6f}"
            yield [f"S{s:05d}", f"Arrêt n°{s}", lat, lon, 1, ""]
            for p in range(POINTS_PER_STATION):
                yield [f"P{s:05d}-{p}", f"Arrêt n°{s}", lat, lon, 0, f"S{s:05d}"]

    def stop_times() -> Iterator[list[object]]:
        for t in range(TRIPS):
            route = t % ROUTES
            start = 5 * 3600 + (t // ROUTES) * 240
            for c in range(calls):
                clock = start + c * 90
                hhmmss = f"{clock // 3600}:{clock // 60 % 60:02d}:{clock % 60:02d}"
                stop = points[(route * 37 + c * 11) % len(points)]
                yield [f"T{t:06d}", hhmmss, hhmmss, stop, c + 1, 0, 0]

    write(
        "agency.txt",
        ["agency_id", "agency_name", "agency_url", "agency_timezone"],
        iter([["A", "Réseau de démonstration", "https://example.org", "Europe/Paris"]]),
    )
    write(
        "routes.txt",
        [
            "route_id",
            "agency_id",
            "route_short_name",
            "route_long_name",
            "route_type",
            "route_color",
            "route_text_color",
        ],
        ([f"R{r}", "A", r + 1, f"Ligne {r + 1}", 3, "e53138", "ffffff"] for r in range(ROUTES)),
    )
    write(
        "stops.txt",
        ["stop_id", "stop_name", "stop_lat", "stop_lon", "location_type", "parent_station"],
        stops(),
    )
    write(
        "trips.txt",
        ["route_id", "service_id", "trip_id"],
        ([f"R{t % ROUTES}", "SEMAINE", f"T{t:06d}"] for t in range(TRIPS)),
    )
    write(
        "stop_times.txt",
        [
            "trip_id",
            "arrival_time",
            "departure_time",
            "stop_id",
            "stop_sequence",
            "pickup_type",
            "drop_off_type",
        ],
        stop_times(),
    )
    with zipfile.ZipFile(folder.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)


# --- one measurement, in its own process -------------------------------------------------


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, source: Path, traced: bool, database: Path) -> dict[str, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    import django

    django.setup()
    from django.core.management import call_command

    from transit import gtfs
    from transit.services import feed_import, network_get_or_create

    if mode == "import":
        call_command("migrate", verbosity=0)
        network = network_get_or_create(name="Bench")

    def baseline() -> int:
        with (source / "stop_times.txt").open(encoding="utf-8", newline="") as text:
            rows = list(csv.DictReader(text))
        return len(rows)

    def read() -> int:
        return gtfs.read_feed(source).stop_times_rows

    def load() -> int:
        return feed_import(source=source, network=network).stop_times_rows

    run = {"baseline": baseline, "read": read, "import": load}[mode]
    base = rss_mb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - started
    result = {"rows": rows, "seconds": seconds, "peak_mb": rss_mb(), "delta_mb": rss_mb() - base}
    if traced:
        result["traced_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    return result


def measure(mode: str, source: Path, *, traced: bool, database: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(source), str(int(traced)), str(database)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="stop_times rows")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, source, traced, database = args.child
        print(json.dumps(child(mode, Path(source), traced == "1", Path(database))))
        return 0
    if args.make:
        write_feed(Path(args.make[0]), int(args.make[1]))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-gtfs-") as tmp:
        folder, small = Path(tmp) / "feed", Path(tmp) / "feed-tenth"
        started = time.perf_counter()
        for target, rows in ((folder, args.rows), (small, args.rows // 10)):
            subprocess.run([sys.executable, __file__, "--make", str(target), str(rows)], check=True)
        size = (folder / "stop_times.txt").stat().st_size / 1024 / 1024
        zipped = folder.with_suffix(".zip").stat().st_size / 1024 / 1024
        print(
            f"feed: {args.rows:,} stop_times rows ({size:.0f} MB, {zipped:.0f} MB zipped), "
            f"{TRIPS:,} trips, {STATIONS * (1 + POINTS_PER_STATION):,} stops, {ROUTES} routes "
            f"(written in {time.perf_counter() - started:.1f} s)"
        )
        database = Path(tmp) / "bench.sqlite3"
        runs = [
            ("baseline: csv.DictReader into a list", "baseline", folder, True),
            ("transit.gtfs.read_feed, folder", "read", folder, True),
            ("transit.gtfs.read_feed, zip", "read", folder.with_suffix(".zip"), False),
            (f"transit.gtfs.read_feed, {args.rows // 10:,} rows", "read", small, True),
            ("feed_import into SQLite, folder", "import", folder, False),
        ]
        results: dict[str, dict[str, float]] = {}
        print(f"{'':40} {'time s':>8} {'peak RSS MB':>12} {'delta MB':>9} {'tracemalloc MB':>15}")
        for label, mode, source, traced in runs:
            result = measure(mode, source, traced=False, database=database)
            if traced:
                result["traced_mb"] = measure(mode, source, traced=True, database=database)[
                    "traced_mb"
                ]
            results[label] = result
            traced_text = f"{result['traced_mb']:.1f}" if "traced_mb" in result else "-"
            print(
                f"{label:40} {result['seconds']:8.2f} {result['peak_mb']:12.0f} "
                f"{result['delta_mb']:9.0f} {traced_text:>15}"
            )
        base = results[runs[0][0]]
        full = results[runs[1][0]]
        tenth = results[runs[3][0]]
        share = full["traced_mb"] / base["traced_mb"]
        growth = full["traced_mb"] - tenth["traced_mb"]
        print(
            f"reader / baseline: {full['seconds'] / base['seconds']:.2f}x the time, "
            f"{share:.1%} of the Python memory (target < {TARGET_SHARE:.0%}); "
            f"10x the rows adds {growth:.1f} MB (target < {TARGET_GROWTH_MB:.0f} MB)"
        )
        return 0 if share < TARGET_SHARE and growth < TARGET_GROWTH_MB else 1


if __name__ == "__main__":
    sys.exit(main())
