"""Benchmark: the gallery's "discover" order at 250,000 photos: cost, cache and fairness.

Run from the project root (PostgreSQL and Redis as in .ci/run; `wrk` from Debian if
present, Python threads otherwise):

    DATABASE_URL=postgres://coverline:coverline@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/discover.py
    DATABASE_URL=... .venv/bin/python bench/discover.py --photos 20000 --seconds 5   # a look

DATABASE_URL names the server and a role that may create databases: the bench drops and
recreates a database of its own there (--database, coverline_bench_discover), and drops it
at the end unless --keep. It reuses bench/gallery.py for the environment, the fill (one
open contest, --photos approved public photos with their real renditions, each entry n
being the contest's n-th approval with key contest.shuffle.shuffle_key(n)), gunicorn and
the load. Without a PostgreSQL DATABASE_URL it says so and exits 0. `--keep` then
`--reuse` measures again without the fill (a few minutes at 250,000 photos).

Measured, in one run:

1. cold, in process (Django test client, every middleware): for --visitors-cold returning
   visitors, each with its own start, after a bump of the gallery version (what any
   approval does: every cached page misses): the discover first page and a deep page (a
   cursor ~80 % through that visitor's scroll), as the whole view, as the selector alone
   and as the page's SQL alone; SQL queries, median and max ms (the first page asked for
   after the bump, here the 'votes' order, also chooses the contest's share image again: it
   is timed apart). Baselines in the same run:
   the 'recent' first page, cold (the same rendering of 48 photos, ordered by an index that
   existed before), and the former discover order (the whole gallery ranked per request,
   ORDER BY (id * 2654435761 + seed) % (2^31 - 1)), selector alone. Then the EXPLAIN
   ANALYZE of the first page's query. Target: the view under 20 ms cold (median), first
   and deep page. For information, a new visitor's start (gallery.services) with the
   page starts in the process's copy, being read again by this visitor, and being read by
   another process (this one takes a random start without waiting).
2. load, on gunicorn with 2 sync workers and Redis (bench/gallery.py's helpers): the
   'recent' first page (reference), a returning visitor's discover first page (their
   signed start cookie) and a deep page, all served from the page cache; and, for
   information, new visitors without a cookie, each handed the next start in turn (cache
   misses until the starts come round again: a lap is ~5,200 visitors at 250,000 photos).
   Baseline: the bare view with as many bytes. The load is cut in --rounds turns taking
   every URL in turn, so that a change of the machine's load (it is shared) falls on
   all alike. Target: cached discover >= 0.5 x the bare view's requests/s.
3. fairness, with gallery.discover over the keys read from the database (the public
   photos, in key order):
   - each photo's share of first pages: on how many of the 65,536 buckets' first pages it
     is (exact, every bucket counted once): max/min;
   - 10,000 simulated new visitors (starts as the site hands them out: in turn, whole
     pages one after the other round the gallery): first-page appearances per photo,
     max/min, beside the floor of whole counts; and the same with the golden-ratio bucket
     starts handed out before, with random starts, and with the former order;
   - the same at 25,000 photos (the gallery as it was after 25,000 approvals), and at
     250,000 with one photo in ten withdrawn.
   Target: max/min of first-page appearances <= 1.5.

Exit code 0 when the targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

from bench import gallery as bench_gallery  # noqa: E402
from bench.database import drop_database, recreate_database  # noqa: E402

TARGET_COLD_MS = 20.0
TARGET_RATIO = 0.5
TARGET_FAIRNESS = 1.5
VISITORS = 10_000
EARLIER = 25_000
OLD_MULTIPLIER = 2654435761
OLD_MODULUS = 2147483647
OLD_SEEDS = 1_000_000


def floor_ratio(mean: float) -> float:
    """The best max/min of whole counts around `mean`: some photos are seen floor(mean)
    times, some ceil(mean), when the mean is not whole."""
    low = int(mean)
    if mean == low:
        return 1.0
    return (low + 1) / low if low else float("inf")


def ratio(counts: Sequence[int]) -> float:
    low, high = min(counts), max(counts)
    return high / low if low else float("inf")


# --- cold --------------------------------------------------------------------------------


def start_cookie(start: int) -> str:
    """A returning visitor's signed start cookie, as gallery.views sets it."""
    from django.core import signing

    from gallery.views import START_COOKIE

    return signing.get_cookie_signer(salt=START_COOKIE + START_COOKIE).sign(str(start))


def public_keys(contest_id: int) -> list[int]:
    from contest.selectors import entries_public

    return sorted(
        entries_public(contest_id=contest_id).values_list("shuffle_key", flat=True).iterator()
    )


def deep_cursor(keys: Sequence[int], start: int) -> str:
    """The cursor of the page ~80 % through the scroll of a visitor starting at `start`."""
    import bisect

    from gallery import discover

    at = (bisect.bisect_left(keys, start) + int(len(keys) * bench_gallery.DEEP_FRACTION)) % len(
        keys
    )
    return discover.cursor_of(discover.Position(start), keys[at])


def timed(call: Any) -> tuple[float, int, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return (time.perf_counter() - started) * 1000, len(queries), result


def cold(contest: Any, keys: Sequence[int], visitors: int) -> dict[str, tuple[float, float, int]]:
    """(median ms, max ms, queries) of each cold measure."""
    from django.db import connection
    from django.db.models import BigIntegerField, F
    from django.db.models.functions import Cast, Mod
    from django.test import Client
    from django.urls import reverse

    from contest.selectors import entries_public
    from contest.services import contest_gallery_changed
    from gallery import discover, selectors
    from gallery.views import START_COOKIE

    gallery = reverse("gallery:gallery", args=[contest.slug])
    url = gallery + "?ordre=discover"
    starts = [discover.visitor_start(n) for n in range(1, visitors + 1)]
    # One request first: the connection, Django's lazy set-ups and the contest's share image
    # (made once, cached for days) are not the order's.
    Client(HTTP_HOST="127.0.0.1").get(url)
    runs: dict[str, list[tuple[float, int]]] = {}

    def record(label: str, ms: float, queries: int) -> None:
        runs.setdefault(label, []).append((ms, queries))

    def page_sql(position: discover.Position) -> None:
        """The page's own SQL, as the selector sends it, without the ORM around it."""
        segment = discover.segments(position)[0]
        query = (
            entries_public(contest_id=contest.pk)
            .filter(shuffle_key__gte=segment.low, shuffle_key__lt=segment.high)
            .select_related("photo", "participant", "line")  # as gallery.selectors does
            .order_by("shuffle_key")[: selectors.PAGE_SIZE + 1]
        )
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    for start in starts:
        # What any approval does: every cached page is stale, the next visitors miss.
        contest_gallery_changed(contest_id=contest.pk)
        client = Client(HTTP_HOST="127.0.0.1")
        # The first page asked for after a change chooses the contest's share image again
        # (gallery.page_cache.share_image_key), whatever its order: measured apart, so that
        # the pages compared below all find it cached.
        ms, queries, response = timed(lambda c=client: c.get(gallery + "?ordre=votes"))
        assert response.status_code == 200
        record("view, 'votes', first after a change", ms, queries)
        ms, queries, response = timed(lambda c=client: c.get(gallery + "?ordre=recent"))
        assert response.status_code == 200
        record("view, 'recent' first page (baseline)", ms, queries)
        client.cookies[START_COOKIE] = start_cookie(start)
        ms, queries, response = timed(lambda c=client: c.get(url))
        assert response.status_code == 200
        record("view, first page", ms, queries)
        cursor = deep_cursor(keys, start)
        ms, queries, response = timed(lambda c=client, k=cursor: c.get(f"{url}&apres={k}"))
        assert response.status_code == 200
        record("view, deep page", ms, queries)
        ms, queries, _page = timed(
            lambda s=start: selectors.gallery_tiles(
                selectors.gallery_page(
                    contest_id=contest.pk, order="discover", start=s, grid=True
                ).entries
            )
        )
        record("selector, first page", ms, queries)
        ms, queries, _page = timed(
            lambda k=cursor: selectors.gallery_tiles(
                selectors.gallery_page(
                    contest_id=contest.pk, order="discover", cursor=k, grid=True
                ).entries
            )
        )
        record("selector, deep page", ms, queries)
        ms, queries, _rows = timed(lambda s=start: page_sql(discover.Position(s)))
        record("SQL alone, first page", ms, queries)
        position = discover.parse_cursor(cursor)
        assert position is not None
        ms, queries, _rows = timed(lambda p=position: page_sql(p))
        record("SQL alone, deep page", ms, queries)
    # A new visitor's start (gallery.services): the count, this process's copy of the
    # page starts, and a lookup when the turn starts mid-page; and when the starts are
    # due, read again by this visitor alone, or by another one meanwhile.
    from django.core.cache import cache

    from gallery import services

    starts_key = f"{services.DISCOVER_STARTS_KEY}:{contest.pk}:{selectors.PAGE_SIZE}"
    for _visitor in range(visitors):
        ms, queries, _start = timed(lambda: services.discover_visitor_start(contest_id=contest.pk))
        record("new visitor's start", ms, queries)
    # The next lap (~5,200 visitors on at 250,000 photos) starts mid-page: one lookup more.
    counter = f"{services.DISCOVER_VISITORS_KEY}:{contest.pk}"
    cache.set(counter, len(keys) // selectors.PAGE_SIZE + 1, timeout=None)
    for _visitor in range(visitors):
        ms, queries, _start = timed(lambda: services.discover_visitor_start(contest_id=contest.pk))
        record("new visitor's start, next lap (mid-page)", ms, queries)
    for _visitor in range(3):
        services._local_starts.clear()
        cache.delete(starts_key)
        ms, queries, _start = timed(lambda: services.discover_visitor_start(contest_id=contest.pk))
        record("new visitor's start, reading the starts", ms, queries)
        services._local_starts.clear()
        cache.add(f"{starts_key}:lock", 1, timeout=10)  # another process reading them
        cache.delete(starts_key)
        ms, queries, _start = timed(lambda: services.discover_visitor_start(contest_id=contest.pk))
        record("new visitor's start, another reading them", ms, queries)
        cache.delete(f"{starts_key}:lock")
    for seed in range(3):  # the former order: slow, a few are enough
        rank = Cast(Mod(F("id") * OLD_MULTIPLIER + seed, OLD_MODULUS), BigIntegerField())
        ms, queries, _rows = timed(
            lambda r=rank: list(
                entries_public(contest_id=contest.pk)
                .annotate(rank=r)
                .select_related("photo", "participant", "theme", "line", "stop")
                .order_by("rank", "id")[: selectors.PAGE_SIZE + 1]
            )
        )
        record("former order, selector (no renditions)", ms, queries)
    plan = (
        entries_public(contest_id=contest.pk)
        .filter(shuffle_key__gte=starts[0], shuffle_key__lt=discover.KEY_SPACE)
        .select_related("photo", "participant", "line")
        .order_by("shuffle_key")[: selectors.PAGE_SIZE + 1]
        .explain(analyze=True)
    )
    print("The first page's query, EXPLAIN ANALYZE:\n" + plan, flush=True)
    return {
        label: (
            statistics.median(ms for ms, _q in values),
            max(ms for ms, _q in values),
            max(q for _ms, q in values),
        )
        for label, values in runs.items()
    }


# --- fairness ----------------------------------------------------------------------------


def fairness(keys: Sequence[int], contest_id: int) -> dict[str, str]:
    """The printed fairness figures; key "ratio" is the one the target is checked on."""
    from contest.models import Entry
    from gallery import discover, selectors

    size = selectors.PAGE_SIZE
    out: dict[str, Any] = {}
    shares = discover.exposure(keys, size)
    out["share of the 65,536 buckets' first pages, max/min"] = (
        f"{ratio(shares):.3f} ({min(shares)}..{max(shares)} buckets)"
    )
    # As gallery.services.discover_visitor_start hands them out: in turn, whole pages.
    site_starts = [discover.round_robin_start(keys, n, size) for n in range(1, VISITORS + 1)]
    seen = list(discover.appearances(keys, site_starts, size).values())
    out["ratio"] = ratio(seen)
    mean = VISITORS * size / len(keys)
    out[f"{VISITORS:,} visitors, appearances max/min"] = (
        f"{ratio(seen):.2f} ({min(seen)}..{max(seen)}, mean {mean:.2f}, floor"
        f" {floor_ratio(mean):.2f}; photos never shown: {seen.count(0)})"
    )
    former_starts = [discover.visitor_start(n) for n in range(1, VISITORS + 1)]
    seen_former = list(discover.appearances(keys, former_starts, size).values())
    out[f"{VISITORS:,} visitors, golden-ratio bucket starts (before)"] = (
        f"{ratio(seen_former):.2f} ({min(seen_former)}..{max(seen_former)})"
    )
    random_starts = [
        discover.bucket_start(secrets.randbelow(discover.KEY_SPACE)) for _ in site_starts
    ]
    seen_random = list(discover.appearances(keys, random_starts, size).values())
    out[f"{VISITORS:,} visitors with random starts"] = (
        f"{ratio(seen_random):.2f} ({min(seen_random)}..{max(seen_random)};"
        f" never shown: {seen_random.count(0)})"
    )
    # The former order: rank (id * M + seed) mod P, seeds below 1,000,000: the first page is
    # the ranks from P - seed upwards, round past P (the same arithmetic as a start).
    ids = Entry.objects.filter(contest_id=contest_id, shuffle_key__in=keys).values_list(
        "id", flat=True
    )
    ranks = sorted((pk * OLD_MULTIPLIER) % OLD_MODULUS for pk in ids.iterator())
    old_seen: dict[int, int] = dict.fromkeys(ranks, 0)
    for _visitor in range(VISITORS):
        seed = secrets.randbelow(OLD_SEEDS)
        for rank in discover.first_page(ranks, (OLD_MODULUS - seed) % OLD_MODULUS, size):
            old_seen[rank] += 1
    shown = sum(1 for n in old_seen.values() if n)
    out[f"{VISITORS:,} visitors, former order"] = (
        f"photos ever on a first page: {shown:,} of {len(ranks):,}"
    )
    if len(keys) > EARLIER:
        earlier = sorted(
            Entry.objects.filter(contest_id=contest_id, shuffle_key__isnull=False)
            .order_by("decided_at", "id")
            .values_list("shuffle_key", flat=True)[:EARLIER]
        )
        earlier_starts = [
            discover.round_robin_start(earlier, n, size) for n in range(1, VISITORS + 1)
        ]
        seen_earlier = list(discover.appearances(earlier, earlier_starts, size).values())
        out["ratio_earlier"] = ratio(seen_earlier)
        out[f"{VISITORS:,} visitors at {EARLIER:,} photos, max/min"] = (
            f"{ratio(seen_earlier):.2f} ({min(seen_earlier)}..{max(seen_earlier)},"
            f" mean {VISITORS * size / EARLIER:.1f}, floor"
            f" {floor_ratio(VISITORS * size / EARLIER):.2f})"
        )
    kept = [k for i, k in enumerate(keys) if i % 10 != 3]
    out["one photo in ten withdrawn: share of first pages, max/min"] = (
        f"{ratio(discover.exposure(kept, size)):.3f}"
    )
    return out


def print_cold(figures: dict[str, tuple[float, float, int]], visitors: int) -> None:
    print(f"Cold, in process, {visitors} visitors          median ms    max ms  queries")
    for label, (median, worst, queries) in figures.items():
        print(f"  {label:<40} {median:>8.1f} {worst:>9.1f} {queries:>8}")
    print(flush=True)


def print_fairness(figures: dict[str, Any], photos: int) -> None:
    print(f"Fairness ({photos:,} public photos, pages of 48)")
    for label, value in figures.items():
        if not label.startswith("ratio"):
            print(f"  {label}: {value}")
    print(flush=True)


# --- load --------------------------------------------------------------------------------


def interleaved_load(
    urls: dict[str, tuple[str, str, dict[str, str] | None]],
    base: str,
    args: argparse.Namespace,
    script: Path | None,
) -> dict[str, tuple[float, int]]:
    """(requests/s, errors) of each URL, measured in --rounds short turns, one URL after the
    other in every round: on a machine shared with other work, a change of its load during
    the run falls on every URL alike, the bare view included."""
    slice_s = max(1, args.seconds // args.rounds)
    done: dict[str, list[float]] = {key: [] for key in urls}  # requests/s of each turn
    errors = dict.fromkeys(urls, 0)
    for _label, target, headers in urls.values():  # warm-up, not counted
        if script is not None:
            bench_gallery.run_wrk(
                base + target, bench_gallery.WARM_UP_SECONDS, args.connections, script, headers
            )
        else:
            bench_gallery.run_threads(
                base + target, bench_gallery.WARM_UP_SECONDS, args.connections, headers
            )
    for _round in range(args.rounds):
        for key, (_label, target, headers) in urls.items():
            if script is not None:
                rps, _p50, _p95, failed = bench_gallery.run_wrk(
                    base + target, slice_s, args.connections, script, headers
                )
            else:
                rps, _p50, _p95, failed = bench_gallery.run_threads(
                    base + target, slice_s, args.connections, headers
                )
            done[key].append(rps)
            errors[key] += failed
    results = {}
    for key, (label, _target, _headers) in urls.items():
        rps = statistics.mean(done[key])
        turns = " ".join(f"{r:.0f}" for r in done[key])
        print(f"  {label:<32} {rps:>7.0f} req/s  (turns: {turns})  errors {errors[key]}")
        results[key] = (rps, errors[key])
    return results


# --- main --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=250_000)
    parser.add_argument("--riders", type=int, default=5_000)
    parser.add_argument("--seconds", type=int, default=12, help="load per URL, after warm-up")
    parser.add_argument("--rounds", type=int, default=4, help="turns the load is cut in")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--visitors-cold", type=int, default=20)
    parser.add_argument("--database", default="coverline_bench_discover")
    parser.add_argument("--cache-url", default="rediscache://127.0.0.1:6379/6")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="use the database --keep left")
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="measure the cold, in-process part only (no fairness, no serve-and-load)",
    )
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL is not a PostgreSQL URL: nothing measured.")
        return 0
    args.admin_url = admin_url

    timings: list[tuple[str, float]] = []
    total = time.perf_counter()
    load_before = os.getloadavg()  # the machine is shared: say how busy it was
    phase = bench_gallery.phase
    with tempfile.TemporaryDirectory(prefix="coverline-bench-discover-") as tmp_name:
        tmp = Path(tmp_name)
        with phase("database", timings):
            if not args.reuse:
                recreate_database(admin_url, args.database)
            env = bench_gallery.configure(args, tmp)
            bench_gallery.flush_cache(args.cache_url)
        from django.core.management import call_command
        from django.db import connections
        from django.urls import reverse

        from contest.models import Contest
        from gallery import discover
        from gallery.views import START_COOKIE

        if args.reuse:  # the database a --keep run left
            contest = Contest.objects.get()
            # Its rendition files were in that run's temporary folder: make them again.
            bench_gallery.rendition_sets(bench_gallery.RENDITION_SETS)
        else:
            with phase("migrate", timings):
                call_command("migrate", verbosity=0)
            with phase(f"fill {args.photos:,} photos, {args.riders:,} riders", timings):
                contest = bench_gallery.fill(photos=args.photos, riders=args.riders)
        with phase("read the keys", timings):
            keys = public_keys(contest.pk)
        with phase("cold, in process", timings):
            cold_figures = cold(contest, keys, args.visitors_cold)
        print_cold(cold_figures, args.visitors_cold)
        if args.cold_only:
            bench_gallery.flush_cache(args.cache_url)
            if not args.keep:
                drop_database(admin_url, args.database)
            print(
                "Machine load average (1, 5, 15 min): at the start "
                + " / ".join(f"{x:.1f}" for x in load_before)
                + ", at the end "
                + " / ".join(f"{x:.1f}" for x in os.getloadavg())
            )
            worst = max(cold_figures["view, first page"][0], cold_figures["view, deep page"][0])
            print(
                f"target cold view < {TARGET_COLD_MS:.0f} ms (median, first and deep page):"
                f" {'met' if worst < TARGET_COLD_MS else 'MISSED'} ({worst:.1f} ms)"
            )
            return 0 if worst < TARGET_COLD_MS else 1
        with phase("fairness", timings):
            fair = fairness(keys, contest.pk)
        print_fairness(fair, len(keys))
        # The page size of the cached page, for the bare view.
        from django.test import Client

        start = discover.visitor_start(1)
        url = reverse("gallery:gallery", args=[contest.slug]) + "?ordre=discover"
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[START_COOKIE] = start_cookie(start)
        page_bytes = len(client.get(url).content)
        deep_url = f"{url}&apres={deep_cursor(keys, start)}"
        recent_url = reverse("gallery:gallery", args=[contest.slug]) + "?ordre=recent"
        connections.close_all()

        port = bench_gallery.free_port()
        base = f"http://127.0.0.1:{port}"
        script = None
        if shutil.which("wrk"):
            script = tmp / "summary.lua"
            script.write_text(bench_gallery.WRK_SCRIPT)
        cookie = {"Cookie": f"{START_COOKIE}={start_cookie(start)}"}
        with phase("serve and load", timings):
            server = bench_gallery.start_gunicorn(env, port, page_bytes, page_bytes)
            try:
                print(
                    f"gunicorn: 2 sync workers on {base}; load: {args.connections} connections,"
                    f" {args.rounds} rounds of {args.seconds // args.rounds} s per URL after"
                    f" {bench_gallery.WARM_UP_SECONDS} s warm-up"
                    f" ({'wrk' if script else 'python threads: wrk not found'})"
                )
                urls = {
                    "bare": ("bare view (same bytes)", bench_gallery.BARE_URL, None),
                    "recent": ("'recent' first page, cached", recent_url, None),
                    "first": ("discover first page, cached", url, cookie),
                    "deep": ("discover deep page, cached", deep_url, None),
                }
                results = interleaved_load(urls, base, args, script)
                # Last and alone: each of its requests renders a page (a new start each), and
                # what it leaves running must not fall on the others' turns.
                results |= interleaved_load(
                    {"new": ("discover, new visitors (info)", url, None)},
                    base,
                    argparse.Namespace(**{**vars(args), "rounds": 1}),
                    script,
                )
            finally:
                server.terminate()
                server.wait(10)
        bench_gallery.flush_cache(args.cache_url)
        if not args.keep:
            drop_database(admin_url, args.database)

    bare = results["bare"][0]
    ratios = {k: results[k][0] / bare for k in ("recent", "first", "deep", "new")}
    print()
    print("Phases: " + ", ".join(f"{name} {s:.1f} s" for name, s in timings))
    print(f"Total: {time.perf_counter() - total:.1f} s")
    print(
        "Machine load average (1, 5, 15 min): at the start "
        + " / ".join(f"{x:.1f}" for x in load_before)
        + ", at the end "
        + " / ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print()
    print_cold(cold_figures, args.visitors_cold)
    print(f"Page size: {page_bytes:,} bytes (the bare view answers as many)")
    print(f"bare view: {bare:.0f} req/s (over the same rounds as the pages)")
    for key, label in (
        ("recent", "'recent' first page (reference)"),
        ("first", "discover first page"),
        ("deep", "discover deep page"),
        ("new", "discover, new visitors"),
    ):
        print(f"ratio {label:<32} / bare: {ratios[key]:.2f}")
    print()
    print_fairness(fair, len(keys))
    errors = sum(errors for _rps, errors in results.values())
    cold_worst = max(cold_figures["view, first page"][0], cold_figures["view, deep page"][0])
    cold_ok = cold_worst < TARGET_COLD_MS
    ratio_ok = min(ratios["first"], ratios["deep"]) >= TARGET_RATIO and errors == 0
    fair_ok = fair["ratio"] <= TARGET_FAIRNESS
    print(
        f"target cold view < {TARGET_COLD_MS:.0f} ms (median, first and deep page):"
        f" {'met' if cold_ok else 'MISSED'} ({cold_worst:.1f} ms)"
    )
    print(
        f"target cached >= {TARGET_RATIO} x bare (first and deep page, no errors):"
        f" {'met' if ratio_ok else 'MISSED'}"
        f" ({ratios['first']:.2f}, {ratios['deep']:.2f}; {errors} errors)"
    )
    mean = VISITORS * 48 / len(keys)
    floor = ""
    if 1 <= mean < 10 and mean % 1:
        # Whole counts around a mean m: some photos are seen floor(m) times, some ceil(m).
        best = (mean // 1 + 1) / (mean // 1)
        floor = f"; with {mean:.2f} appearances per photo on average no order beats {best:.1f}"
    print(
        f"target {VISITORS:,} visitors' first-page appearances max/min <= {TARGET_FAIRNESS}:"
        f" {'met' if fair_ok else 'MISSED'} ({fair['ratio']:.2f}{floor})"
    )
    return 0 if cold_ok and ratio_ok and fair_ok else 1


if __name__ == "__main__":
    sys.exit(main())
