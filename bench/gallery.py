"""Benchmark: the public gallery with 250,000 public photos, against a bare view, on gunicorn.

Run from the project root (PostgreSQL and Redis as in .ci/run, `wrk` from Debian if
present):

    .venv/bin/python bench/gallery.py
    .venv/bin/python bench/gallery.py --photos 20000 --rounds 2 --seconds 2   # a quick look

What it does, each phase timed:

1. database: drops and recreates a throwaway PostgreSQL database (--database,
   coverline_bench, through the role in --admin-url, which needs CREATEDB) and flushes the
   Redis database of --cache-url (db 3). The environment (DATABASE_URL, CACHE_URL, DEBUG=0,
   SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, STATICFILES_BACKEND without manifest, media in a
   temp folder, ROOT_URLCONF=bench.bench_urls, an in-memory Celery broker) is set before
   django.setup(), and gunicorn inherits it; nothing in var/ is touched.
2. migrate.
3. fill: one open contest (three themes, vote counts shown) and --photos APPROVED public
   photos from --riders riders, each enrolled with allows_gallery: entries approved with
   approved_renditions equal to their photo's renditions_hash, photos ready, and their
   thumb/display (WebP + JPEG) and share renditions. The rows are made by INSERT ... SELECT
   over generate_series, inside PostgreSQL; the renditions name the files of a handful of
   real photos made once by the project's own pipeline (photos.imaging.process_image), so
   the hashes are the real ones of those files.
4. in process (Django test client, cache cleared first): the SQL queries and the time of
   the gallery's first page and of a deep page (a cursor ~80 % down the gallery), cold
   (cache miss) and warm (cache hit); cold only for a theme, the "votes" and "discover"
   orders; a photo page cold and cached, and another photo's page cold. Targets: the same
   query count on the deep page as on the first, and on one photo page as on another
   (cold), one query for a cached photo page (not counting the PREPARE of its statement,
   sent once per database connection).
5. serve: gunicorn, 2 sync workers, `config.wsgi`, on a free loopback port; a Redis cache
   shared by both workers (CACHE_URL), as in production.
6. load: for each URL the same closed-loop load (--connections, --seconds after a 2 s
   warm-up) from wrk, or from a Python thread pool where wrk is missing: requests/s,
   median and p95 latency, errors. URLs: the gallery's first page, the deep page, a photo
   page, and the bare views of bench/bench_urls.py (same gunicorn, same middleware, routed
   after the site's URLs, a fixed body of the gallery page's size, and one of the photo
   page's size: the floor of this server for that many bytes). After a warm-up, --rounds
   rounds of every URL (--seconds each), every other round in the reverse order, so that a
   drift of the machine's load is shared by a page and its bare view; each round gives a
   ratio, and the result is their median (each round's ratio is printed). Targets (issue
   16): gallery requests/s >= 0.7 x the bare view's (first and deep page), photo page >=
   0.5 x the bare view of its size.

The load is anonymous visitors without cookies: each is sent a new CSRF cookie, and gets the
gallery page or the photo page from the page cache (gallery/page_cache.py). The machine's
load average is printed before and after the load: the bench shares its cores with
PostgreSQL, Redis and the load generator. Any approval or refusal bumps the
contest's gallery_version, so a real gallery also sees cache misses: step 4 shows their cost.
Exit code 0 when the targets are met, 1 otherwise. The database is dropped at the end
unless --keep.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

from bench.database import database_url, drop_database, recreate_database  # noqa: E402

TARGET_RATIO = 0.7  # the gallery's first and deep pages
TARGET_PHOTO_RATIO = 0.5
BARE_URL = "/bench/bare/"  # bench/bench_urls.py
BARE_PHOTO_URL = "/bench/bare/photo/"
WARM_UP_SECONDS = 2
RENDITION_SETS = 6  # distinct real photos whose files every row points at
DEEP_FRACTION = 0.8
THEMES = ("Lumières de la ville", "Saisons", "Du quotidien")

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@contextmanager
def phase(name: str, timings: list[tuple[str, float]]) -> Iterator[None]:
    print(f"[{name}] ...", flush=True)
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    timings.append((name, elapsed))
    print(f"[{name}] {elapsed:.1f} s", flush=True)


# --- database ----------------------------------------------------------------------------


def configure(args: argparse.Namespace, tmp: Path) -> dict[str, str]:
    """The app's environment, for this process (before django.setup()) and gunicorn."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(args.admin_url, args.database),
        "CACHE_URL": args.cache_url,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "SECRET_KEY": "bench-only-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "COVERLINE_VAR_DIR": str(tmp),
        "MEDIA_ROOT": str(tmp / "media"),
        "ORIGINALS_ROOT": str(tmp / "originals"),
        "ROOT_URLCONF": "bench.bench_urls",
        "CELERY_BROKER_URL": "memory://",  # nothing is enqueued by reading pages
        "EMAIL_URL": "memorymail://",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    # WhiteNoise warns that STATIC_ROOT was never collected: the bench loads no static file.
    env["PYTHONWARNINGS"] = "ignore:No directory at:UserWarning"
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    import django

    django.setup()
    return env


def flush_cache(cache_url: str) -> None:
    import redis

    redis.Redis.from_url(cache_url.replace("rediscache://", "redis://", 1)).flushdb()


# --- data --------------------------------------------------------------------------------


def photo_jpeg(seed: int) -> bytes:
    """A quick, varied 960x640 picture: a gradient and a few shapes."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    size = (960, 640)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(image, Image.new("RGB", size, (rng.randrange(256), 90, 160)), 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y, r = rng.randrange(size[0]), rng.randrange(size[1]), rng.randrange(30, 160)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass(frozen=True)
class RenditionRow:
    spec: str
    format: str
    file: str
    width: int
    height: int
    bytes: int


def rendition_sets(count: int) -> list[tuple[str, list[RenditionRow]]]:
    """(renditions_hash, rows) of `count` real photos put through the project's pipeline."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from photos import imaging
    from photos.models import Rendition
    from photos.selectors import renditions_hash
    from photos.services import upload_policy

    sets = []
    for k in range(count):
        result = imaging.process_image(io.BytesIO(photo_jpeg(k)), policy=upload_policy())
        rows = []
        for rendered in result.files:
            name = default_storage.save(
                f"renditions/bench-{k}/{rendered.spec}.{rendered.format}",
                ContentFile(rendered.data),
            )
            rows.append(
                RenditionRow(
                    rendered.spec,
                    rendered.format,
                    name,
                    rendered.width,
                    rendered.height,
                    len(rendered.data),
                )
            )
        digest = renditions_hash(
            Rendition(spec=r.spec, format=r.format, file=r.file, bytes=r.bytes) for r in rows
        )
        sets.append((digest, rows))
    return sets


def fill(*, photos: int, riders: int) -> Any:
    """The contest and its public photos; returns the contest."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from contest import shuffle
    from contest.models import Contest, Entry, Theme

    now = timezone.now()
    contest = Contest.objects.create(
        title_fr="Vos photos en couverture des fiches horaires 2027",
        slug="couvertures-2027",
        pitch_fr="Montrez-nous votre réseau : les plus belles photos feront la couverture.",
        rules_text_fr="Article 1.",
        rules_version="1",
        opens_at=now - timedelta(days=40),
        closes_at=now + timedelta(days=14),
        status=Contest.Status.OPEN,
        show_votes="always",  # the counts are in the grid: the heavier page
    )
    themes = [
        Theme.objects.create(contest=contest, name_fr=name, position=i).pk
        for i, name in enumerate(THEMES)
    ]
    moderator = get_user_model().objects.create(
        username="modo@bench.example", email="modo@bench.example", is_staff=True
    )
    sets = rendition_sets(RENDITION_SETS)
    # Every photo n uses the files and hash of set n % RENDITION_SETS.
    hashes = [digest for digest, _rows in sets]
    set_rows = [
        (k, r.spec, r.format, r.file, r.width, r.height, r.bytes)
        for k, (_digest, rows) in enumerate(sets)
        for r in rows
    ]
    start = now - timedelta(seconds=photos * 10 + 3600)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined)
            SELECT '!', false, 'rider' || g || '@bench.example', '', '',
                'rider' || g || '@bench.example', false, true, %(now)s
            FROM generate_series(1, %(riders)s) g;
            INSERT INTO contest_participant (credit_name, age_bracket, parent_email,
                email_verified_at, created_at, user_id, language)
            SELECT 'Rider ' || u.id, 'adult', '', %(now)s, %(now)s, u.id, 'fr'
            FROM auth_user u WHERE u.username LIKE 'rider%%';
            INSERT INTO contest_enrollment (rules_version, accepted_at, ip_address,
                allows_gallery, allows_social, allows_print, contest_id, participant_id)
            SELECT '1', %(now)s, NULL, true, true, true, %(contest)s, p.id
            FROM contest_participant p;
            """,
            {"now": now, "riders": riders, "contest": contest.pk},
        )
        cursor.execute(
            """
            INSERT INTO photos_photo (id, public_id, original, original_name, original_format,
                original_bytes, status, failure, attempts, width, height, taken_at, sha256,
                phash, had_gps, created_at, updated_at, processed_at, rotation,
                renditions_hash)
            SELECT g, gen_random_uuid(), 'bench/' || g || '.jpg', 'IMG_' || g || '.JPG',
                'JPEG', 200000, 'ready', '', 1, 960, 640, NULL, lpad(to_hex(g), 64, '0'),
                lpad(to_hex(g %% 65536), 16, '0'), false, %(start)s, %(start)s, %(start)s,
                0, (%(hashes)s::text[])[1 + g %% %(sets)s]
            FROM generate_series(1, %(photos)s) g
            """,
            {"start": start, "hashes": hashes, "sets": RENDITION_SETS, "photos": photos},
        )
        # Any other column the model gives a default (device, ...) gets that default:
        # INSERT ... SELECT does not know Django's defaults.
        named = {
            "id", "title", "caption", "sha256", "moderation", "refusal_reason", "created_at",
            "contest_id", "participant_id", "theme_id", "approved_renditions", "decided_at",
            "decided_by_id", "flagged", "hidden", "refusal_code", "report_count", "version",
            "vote_count", "photo_id", "shuffle_key",
        }  # fmt: skip
        defaults = {
            field.column: field.get_default()
            for field in Entry._meta.concrete_fields
            if field.column not in named and not field.null and field.has_default()
        }
        columns = "".join(f", {column}" for column in defaults)
        values = "".join(f", %(default_{column})s" for column in defaults)
        cursor.execute(
            """
            WITH riders AS (SELECT array_agg(id ORDER BY id) AS ids FROM contest_participant)
            INSERT INTO contest_entry (id, title, caption, sha256, moderation, refusal_reason,
                created_at, contest_id, participant_id, theme_id, approved_renditions,
                decided_at, decided_by_id, flagged, hidden, refusal_code, report_count,
                version, vote_count, photo_id, shuffle_key COLUMNS)
            SELECT g, 'Photo ' || g, 'Une vue du réseau, photo numéro ' || g || '.',
                lpad(to_hex(g), 64, '0'), 'approved', '',
                %(start)s + g * interval '10 seconds' - interval '1 hour',
                %(contest)s, riders.ids[1 + g %% cardinality(riders.ids)],
                (%(themes)s::bigint[])[1 + g %% 3],
                (%(hashes)s::text[])[1 + g %% %(sets)s],
                %(start)s + g * interval '10 seconds', %(moderator)s,
                false, false, '', 0, 1, (g * 7919) %% 97, g,
                -- contest.shuffle.shuffle_key(g): entry g is the contest's g-th approval
                ((g::bigint * %(step)s) %% %(key_space)s)::int VALUES
            FROM generate_series(1, %(photos)s) g, riders
            """.replace("COLUMNS", columns).replace("VALUES", values),
            {
                **{f"default_{column}": value for column, value in defaults.items()},
                "start": start,
                "contest": contest.pk,
                "themes": themes,
                "hashes": hashes,
                "sets": RENDITION_SETS,
                "moderator": moderator.pk,
                "photos": photos,
                "step": shuffle.STEP,
                "key_space": shuffle.KEY_SPACE,
            },
        )
        cursor.execute(
            "UPDATE contest_contest SET shuffle_serial = %s WHERE id = %s", [photos, contest.pk]
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_set (k int, spec text, format text, file text,"
            " width int, height int, bytes int)"
        )
        cursor.executemany("INSERT INTO bench_set VALUES (%s, %s, %s, %s, %s, %s, %s)", set_rows)
        cursor.execute(
            """
            INSERT INTO photos_rendition (spec, format, file, width, height, bytes, created_at,
                photo_id)
            SELECT s.spec, s.format, s.file, s.width, s.height, s.bytes, %(start)s, g
            FROM generate_series(1, %(photos)s) g JOIN bench_set s ON s.k = g %% %(sets)s
            ORDER BY g
            """,
            {"start": start, "photos": photos, "sets": RENDITION_SETS},
        )
        for table in ("contest_entry", "photos_photo"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT max(id) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    return contest


# --- in process --------------------------------------------------------------------------


@dataclass
class Probe:
    label: str
    url: str
    queries: int
    ms: float
    bytes: int


def probe(client: Any, label: str, url: str) -> Probe:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    # A statement prepared once per database connection (gallery/page_cache.py) is not a
    # query of the page.
    counted = [q for q in queries if not q["sql"].startswith("PREPARE ")]
    return Probe(label, url, len(counted), elapsed, len(response.content))


def urls_of(contest: Any, photos: int) -> dict[str, str]:
    from django.urls import reverse

    from contest.models import Entry
    from contest.selectors import entries_public
    from gallery import selectors
    from photos.models import Photo

    gallery = reverse("gallery:gallery", args=[contest.slug])
    deep = (
        entries_public(contest_id=contest.pk)
        .order_by("-decided_at", "-id")
        .only("id", "decided_at")[int(photos * DEEP_FRACTION)]
    )
    assert isinstance(deep, Entry)
    # The cursor the "Load more photos" link of the page before would carry.
    cursor = selectors._cursor_of(deep, "recent")
    photo = Photo.objects.only("public_id").get(entry__id=photos // 2)
    other_photo = Photo.objects.only("public_id").get(entry__id=photos // 3)
    theme = contest.themes.order_by("position").first()
    return {
        "first": f"{gallery}?ordre=recent",
        "deep": f"{gallery}?ordre=recent&apres={cursor}",
        "theme": f"{gallery}?ordre=recent&theme={theme.pk}",
        "votes": f"{gallery}?ordre=votes",
        "discover": f"{gallery}?ordre=discover",
        "photo": reverse("gallery:photo", args=[photo.public_id]),
        "other_photo": reverse("gallery:photo", args=[other_photo.public_id]),
    }


def in_process(urls: dict[str, str]) -> tuple[list[Probe], int, int]:
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    client = Client(HTTP_HOST="127.0.0.1")
    probes = []
    for key in ("first", "deep"):
        # Cold is an empty cache: the deep page pays for the share image as the first does.
        cache.clear()
        probes.append(probe(client, f"gallery {key} page, cold", urls[key]))
        probes.append(probe(client, f"gallery {key} page, cached", urls[key]))
    for key in ("theme", "votes", "discover"):
        probes.append(probe(client, f"gallery {key}, cold", urls[key]))
    probes.append(probe(client, "photo page, cold", urls["photo"]))
    probes.append(probe(client, "photo page, cached", urls["photo"]))
    probes.append(probe(client, "another photo page, cold", urls["other_photo"]))
    size, photo_size = probes[1].bytes, probes[-2].bytes
    cache.clear()
    return probes, size, photo_size


# --- server and load ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    env: dict[str, str], port: int, bare_bytes: int, photo_bytes: int
) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi:application",
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={ROOT}",
        "--log-level=warning",
    ]
    server = subprocess.Popen(
        command,
        env={
            **os.environ,
            **env,
            "BENCH_BARE_BYTES": str(bare_bytes),
            "BENCH_BARE_PHOTO_BYTES": str(photo_bytes),
        },
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited at start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", BARE_URL)
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer in 30 s")


@dataclass
class Load:
    label: str
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    errors: int
    tool: str


def run_wrk(
    url: str, seconds: int, connections: int, script: Path, headers: dict[str, str] | None = None
) -> tuple[float, float, float, int]:
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(
        r"BENCH requests=(\d+) duration_us=(\d+) p50_us=(\d+) p95_us=(\d+) errors=(\d+)", output
    )
    if match is None:
        raise SystemExit(f"wrk printed no summary:\n{output}")
    requests, duration, p50, p95, errors = (int(v) for v in match.groups())
    return requests / (duration / 1e6), p50 / 1000, p95 / 1000, errors


def run_threads(
    url: str, seconds: int, connections: int, headers: dict[str, str] | None = None
) -> tuple[float, float, float, int]:
    """The fallback where wrk is missing: one thread and HTTP connection per client."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            # Gunicorn's sync workers close every connection: a new one per request.
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                connection.request("GET", target, headers=headers or {})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    failed += 1
            except OSError:
                failed += 1
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return len(latencies) / elapsed, statistics.median(ordered) * 1000, p95 * 1000, errors[0]


def load(
    label: str,
    url: str,
    args: argparse.Namespace,
    script: Path | None,
    headers: dict[str, str] | None = None,
    *,
    warm_up: bool = True,
) -> Load:
    if script is not None:
        if warm_up:
            run_wrk(url, WARM_UP_SECONDS, args.connections, script, headers)
        rps, p50, p95, errors = run_wrk(url, args.seconds, args.connections, script, headers)
        tool = "wrk"
    else:
        if warm_up:
            run_threads(url, WARM_UP_SECONDS, args.connections, headers)
        rps, p50, p95, errors = run_threads(url, args.seconds, args.connections, headers)
        tool = "python threads"
    result = Load(label, rps, p50, p95, errors, tool)
    print(
        f"  {label:<28} {rps:>8.0f} req/s  p50 {p50:>6.1f} ms  p95 {p95:>6.1f} ms  errors {errors}",
        flush=True,
    )
    return result


def warm_up(url: str, args: argparse.Namespace, script: Path | None) -> None:
    if script is not None:
        run_wrk(url, WARM_UP_SECONDS, args.connections, script)
    else:
        run_threads(url, WARM_UP_SECONDS, args.connections)


# --- main --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=250_000)
    parser.add_argument("--riders", type=int, default=5_000)
    parser.add_argument("--seconds", type=int, default=5, help="load per URL and round")
    parser.add_argument(
        "--rounds", type=int, default=4, help="rounds of every URL; the ratios are their median"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database", default="coverline_bench")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "BENCH_ADMIN_DATABASE_URL", "postgres://coverline:coverline@127.0.0.1:5432/postgres"
        ),
        help="a role with CREATEDB, on a database other than --database",
    )
    parser.add_argument("--cache-url", default="rediscache://127.0.0.1:6379/3")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()

    timings: list[tuple[str, float]] = []
    total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coverline-bench-gallery-") as tmp_name:
        tmp = Path(tmp_name)
        with phase("database", timings):
            recreate_database(args.admin_url, args.database)
            env = configure(args, tmp)
            flush_cache(args.cache_url)
        from django.core.management import call_command
        from django.db import connections

        with phase("migrate", timings):
            call_command("migrate", verbosity=0)
        with phase(f"fill {args.photos:,} photos, {args.riders:,} riders", timings):
            contest = fill(photos=args.photos, riders=args.riders)
        with phase("in process: queries and cold renders", timings):
            urls = urls_of(contest, args.photos)
            probes, page_bytes, photo_bytes = in_process(urls)
            connections.close_all()
        print()
        print("In process (Django test client)           queries        ms     bytes")
        for p in probes:
            print(f"  {p.label:<40} {p.queries:>5} {p.ms:>9.1f} {p.bytes:>9,}")
        print()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        wrk = shutil.which("wrk")
        script = None
        if wrk:
            script = tmp / "summary.lua"
            script.write_text(WRK_SCRIPT)
        results: dict[str, list[Load]] = {}
        with phase("serve and load", timings):
            server = start_gunicorn(env, port, page_bytes, photo_bytes)
            try:
                print(
                    f"gunicorn: 2 sync workers on {base}; load: {args.connections} connections,"
                    f" {args.rounds} rounds of {args.seconds} s per URL after"
                    f" {WARM_UP_SECONDS} s of warm-up"
                    f" ({'wrk' if wrk else 'python threads: wrk not found'})"
                )
                loads_before = os.getloadavg()
                plan = (
                    ("bare", BARE_URL, "bare view (gallery bytes)"),
                    ("first", urls["first"], "gallery, first page"),
                    ("deep", urls["deep"], "gallery, deep page"),
                    ("bare_photo", BARE_PHOTO_URL, "bare view (photo bytes)"),
                    ("photo", urls["photo"], "photo page"),
                )
                for _key, path, _label in plan:
                    warm_up(base + path, args, script)
                # Rounds of every URL, each page measured next to its bare view and every
                # other round in the reverse order: a drift of the machine's load (other
                # people's work on shared cores) is shared by a page and its baseline.
                for number in range(args.rounds):
                    print(f" round {number + 1}")
                    ordered = plan if number % 2 == 0 else tuple(reversed(plan))
                    for key, path, label in ordered:
                        results.setdefault(key, []).append(
                            load(label, base + path, args, script, warm_up=False)
                        )
                loads_after = os.getloadavg()
            finally:
                server.terminate()
                server.wait(10)
        flush_cache(args.cache_url)
        if not args.keep:
            drop_database(args.admin_url, args.database)

    def rates(key: str) -> list[float]:
        return [run.requests_per_s for run in results[key]]

    each_round = {
        "first": [a / b for a, b in zip(rates("first"), rates("bare"), strict=True)],
        "deep": [a / b for a, b in zip(rates("deep"), rates("bare"), strict=True)],
        "photo": [a / b for a, b in zip(rates("photo"), rates("bare_photo"), strict=True)],
    }
    ratios = {key: statistics.median(values) for key, values in each_round.items()}
    bare, bare_photo = statistics.median(rates("bare")), statistics.median(rates("bare_photo"))
    by_label = {p.label: p for p in probes}
    first_q = by_label["gallery first page, cold"].queries
    deep_q = by_label["gallery deep page, cold"].queries
    photo_q = by_label["photo page, cold"].queries
    other_photo_q = by_label["another photo page, cold"].queries
    photo_cached_q = by_label["photo page, cached"].queries
    print()
    print("Phases: " + ", ".join(f"{name} {s:.1f} s" for name, s in timings))
    print(f"Total: {time.perf_counter() - total:.1f} s")
    print()
    print(
        f"Machine: {os.cpu_count()} cores; load average (1, 5, 15 min) before the load"
        f" {' '.join(f'{v:.2f}' for v in loads_before)},"
        f" after {' '.join(f'{v:.2f}' for v in loads_after)}"
    )
    print(f"Page size: {page_bytes:,} bytes, photo page {photo_bytes:,} (each bare view as many)")
    print(f"bare view: {bare:.0f} req/s, of the photo's size {bare_photo:.0f} (medians)")
    for key, label in (("first", "first page"), ("deep", "deep page"), ("photo", "photo page")):
        print(
            f"ratio {label:<11} / bare: {ratios[key]:.2f} (median; rounds:"
            f" {', '.join(f'{r:.2f}' for r in each_round[key])})"
        )
    errors = sum(run.errors for runs in results.values() for run in runs)
    ratio_ok = min(ratios["first"], ratios["deep"]) >= TARGET_RATIO and errors == 0
    photo_ok = ratios["photo"] >= TARGET_PHOTO_RATIO and errors == 0
    queries_ok = deep_q == first_q
    photo_queries_ok = photo_q == other_photo_q and photo_cached_q == 1
    print(
        f"target gallery >= {TARGET_RATIO} x bare (first and deep page, no errors):"
        f" {'met' if ratio_ok else 'MISSED'}"
        f" ({ratios['first']:.2f}, {ratios['deep']:.2f}; {errors} errors)"
    )
    print(
        "target queries constant (deep page = first page, cache miss):"
        f" {'met' if queries_ok else 'MISSED'} ({first_q} vs {deep_q})"
    )
    print(
        f"target photo page >= {TARGET_PHOTO_RATIO} x bare (its size, no errors):"
        f" {'met' if photo_ok else 'MISSED'} ({ratios['photo']:.2f})"
    )
    print(
        "target photo page queries fixed (cold: one photo = another; cached: 1):"
        f" {'met' if photo_queries_ok else 'MISSED'}"
        f" ({photo_q} vs {other_photo_q}; cached {photo_cached_q})"
    )
    return 0 if ratio_ok and queries_ok and photo_ok and photo_queries_ok else 1


if __name__ == "__main__":
    sys.exit(main())
