"""Benchmark: marketing's dashboard over 250,000 entries on PostgreSQL, against a bare COUNT.

Run from the project root, with a PostgreSQL role that may create databases:

    DATABASE_URL=postgres://coverline:coverline@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/dashboard.py
    DATABASE_URL=... .venv/bin/python bench/dashboard.py --entries 50000     # a quick look

DATABASE_URL names the server and the role only: the bench drops and recreates a database of
its own there (--database, coverline_bench_dashboard), works in it, and drops it at the end
(unless --keep). Without a PostgreSQL DATABASE_URL it says so and exits 0.

Phases, each timed:

1. database and migrate.
2. fill (not part of the target), inside PostgreSQL by INSERT ... SELECT over
   generate_series: one contest open for 15 days with 3 themes and 20 lines, --entries
   entries from 5,000 riders spread over the 15 days and the hours of the day (70 %
   approved, 20 % refused with a reason, 10 % waiting; phone, computer or unknown), as many
   votes, and an earlier contest where 1,000 of the riders had entered; then VACUUM ANALYZE.
3. summary: what the beat job costs (dashboard.services.summary_refresh, not part of the
   target): the contest counted from scratch (its first run, and the nightly rebuild); a
   run with nothing new (every minute of a quiet night); a run after a busy minute (50
   entries sent, the 100 oldest waiting ones decided, 200 votes).
4. measure, in process (Django's test client, a Marketing user, every middleware): the
   dashboard page, which reads the summary, and, as the baseline in the same run, a bare
   view doing one `SELECT COUNT(*)` of the contest's entries (bench/bench_urls.py): the
   first request (cold: a new database connection, nothing cached by Django) and the
   median of --repeat more, with their SQL query counts.

Target: the dashboard's cold answer under 300 ms. Exit code 1 when it is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

from bench.database import database_url, drop_database, recreate_database, server_url  # noqa: E402

TARGET_MS = 300.0
RIDERS = 5000
RETURNING = 1000
LINES = 20
DAYS = 15


@contextmanager
def phase(name: str) -> Iterator[None]:
    print(f"[{name}] ...", flush=True)
    started = time.perf_counter()
    yield
    print(f"[{name}] {time.perf_counter() - started:.1f} s", flush=True)


# --- database ------------------------------------------------------------------------------


def configure(admin_url: str, name: str, tmp: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(admin_url, name),
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": "bench-only-not-secret",
            "ALLOWED_HOSTS": "testserver",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "COVERLINE_VAR_DIR": str(tmp),
            "ROOT_URLCONF": "bench.bench_urls",
            "CELERY_BROKER_URL": "memory://",
            "EMAIL_URL": "memorymail://",
            "LOG_LEVEL": "WARNING",
        }
    )
    import warnings

    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    import django

    django.setup()


# --- data ----------------------------------------------------------------------------------

ENTRY_COLUMNS = """id, title, caption, sha256, moderation, refusal_code, refusal_reason,
    created_at, decided_at, contest_id, participant_id, theme_id, line_id, device,
    approved_renditions, flagged, hidden, report_count, version, vote_count, photo_id"""
PHOTO_COLUMNS = """id, public_id, original, original_name, original_format, original_bytes,
    status, failure, attempts, width, height, sha256, phash, had_gps, created_at, updated_at,
    rotation, renditions_hash"""


def default_other_columns() -> None:
    """Gives the columns that the INSERTs below do not list their model's default in the
    database too, so that a field added later (with a default) does not break the fill."""
    from django.db import connection
    from psycopg import sql

    from contest.models import Entry
    from photos.models import Photo

    for model, listed in ((Entry, ENTRY_COLUMNS), (Photo, PHOTO_COLUMNS)):
        names = {name.strip() for name in listed.split(",")}
        for field in model._meta.concrete_fields:
            if field.column in names or field.null or not field.has_default():
                continue
            value = field.get_db_prep_save(field.get_default(), connection)
            statement = sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                sql.Identifier(model._meta.db_table), sql.Identifier(field.column),
                sql.Literal(value),
            )  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(statement.as_string(cursor.connection))


def fill(*, entries: int) -> Any:
    """The contest, its entries and votes, and an earlier contest; returns the contest."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from contest.models import Contest, Entry, Theme
    from transit.models import Agency, Line, Network

    now = timezone.now()
    opens = now - timedelta(days=DAYS)
    contest = Contest.objects.create(
        title_fr="Couvertures 2027", slug="couvertures-2027", rules_text_fr="Article 1.",
        opens_at=opens, closes_at=now + timedelta(days=1), status=Contest.Status.OPEN,
    )  # fmt: skip
    earlier = Contest.objects.create(
        title_fr="Couvertures 2026", slug="couvertures-2026", rules_text_fr="Article 1.",
        opens_at=opens - timedelta(days=365), closes_at=opens - timedelta(days=300),
        status=Contest.Status.ARCHIVED,
    )  # fmt: skip
    themes = [
        Theme.objects.create(contest=contest, name_fr=name, position=i).pk
        for i, name in enumerate(("Lumières de la ville", "Saisons", "Du quotidien"))
    ]
    network = Network.objects.create(name="Bench", slug="bench")
    agency = Agency.objects.create(network=network, gtfs_id="b", name="Bench")
    lines = [
        Line.objects.create(
            network=network, agency=agency, gtfs_id=str(n), short_name=str(n),
            long_name=f"Ligne {n}", route_type=3, colour="#0b5c8a", text_colour="#ffffff",
            sort_order=n,
        ).pk
        for n in range(1, LINES + 1)
    ]  # fmt: skip
    reasons = [code for code, _label in Entry.Reason.choices]
    default_other_columns()
    span = DAYS * 86400 - 3600
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
            """,
            {"now": now, "riders": RIDERS},
        )
        # Photos 1..N for this contest, N+1..N+RETURNING for the earlier one.
        cursor.execute(
            f"""
            INSERT INTO photos_photo ({PHOTO_COLUMNS})
            SELECT g, gen_random_uuid(), 'bench/' || g || '.jpg', 'IMG.JPG', 'JPEG', 200000,
                'ready', '', 1, 960, 640, lpad(to_hex(g), 64, '0'), '', false, %(now)s,
                %(now)s, 0, ''
            FROM generate_series(1, %(total)s) g
            """,  # noqa: S608 - the column list is a constant
            {"now": now, "total": entries + RETURNING},
        )
        # Entry g: sent at a spread moment of the 15 days (more in the evening, through
        # the hour term); g %% 10 picks the state, g %% 3 the device.
        cursor.execute(
            f"""
            WITH riders AS (SELECT array_agg(id ORDER BY id) AS ids FROM contest_participant)
            INSERT INTO contest_entry ({ENTRY_COLUMNS})
            SELECT g, 'Photo ' || g, 'Une vue du réseau.', lpad(to_hex(g), 64, '0'),
                CASE WHEN g %% 10 < 7 THEN 'approved' WHEN g %% 10 < 9 THEN 'refused'
                    ELSE 'pending' END,
                CASE WHEN g %% 10 IN (7, 8) THEN (%(reasons)s::text[])[1 + g %% %(nreasons)s]
                    ELSE '' END,
                '',
                sent.at,
                CASE WHEN g %% 10 < 9 THEN sent.at + (g %% 720) * interval '1 minute' END,
                %(contest)s, riders.ids[1 + g %% cardinality(riders.ids)],
                CASE WHEN g %% 4 = 3 THEN NULL ELSE (%(themes)s::bigint[])[1 + g %% 4] END,
                CASE WHEN g %% 5 < 3 THEN (%(lines)s::bigint[])[1 + g %% %(nlines)s] END,
                (ARRAY['phone', 'phone', 'computer', ''])[1 + g %% 4],
                '', false, false, 0, 1, (g * 7919) %% 97, g
            FROM generate_series(1, %(entries)s) g, riders,
                LATERAL (SELECT %(opens)s::timestamptz
                    + ((g::bigint * 7919) %% %(span)s) * interval '1 second'
                    + ((g %% 7) * interval '1 hour') AS at) sent
            """,  # noqa: S608 - the column list is a constant
            {
                "reasons": reasons, "nreasons": len(reasons), "contest": contest.pk,
                "themes": themes, "lines": lines, "nlines": len(lines), "entries": entries,
                "opens": opens, "span": span - 7 * 3600,
            },
        )  # fmt: skip
        cursor.execute(
            f"""
            INSERT INTO contest_entry ({ENTRY_COLUMNS})
            SELECT %(entries)s + p.n, 'Photo', 'Une vue.', lpad(to_hex(%(entries)s + p.n), 64,
                '0'), 'approved', '', '', %(at)s, %(at)s, %(earlier)s, p.id, NULL, NULL, '',
                '', false, false, 0, 1, 0, %(entries)s + p.n
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM contest_participant
                ORDER BY id LIMIT %(returning)s) p
            """,  # noqa: S608 - the column list is a constant
            {
                "entries": entries, "at": earlier.opens_at + timedelta(days=1),
                "earlier": earlier.pk, "returning": RETURNING,
            },
        )  # fmt: skip
        # One vote per entry, from a rider, at a moment after the entry was sent.
        cursor.execute(
            """
            WITH voters AS (SELECT array_agg(id ORDER BY id) AS ids FROM auth_user
                WHERE username LIKE 'rider%%')
            INSERT INTO gallery_vote (entry_id, user_id, ip_hash, created_at)
            SELECT e.id, voters.ids[1 + (e.id * 13) %% cardinality(voters.ids)], '',
                LEAST(e.created_at + (e.id %% 48) * interval '1 hour', %(now)s)
            FROM contest_entry e, voters WHERE e.contest_id = %(contest)s
            """,
            {"now": now, "contest": contest.pk},
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('contest_entry', 'id'), %s)", [
            entries + RETURNING
        ])  # fmt: skip
        # What autovacuum does on a live server: statistics, and the visibility map that
        # lets the dashboard read its index alone (contest.Entry's entry_dashboard).
        cursor.execute("VACUUM ANALYZE")
    return contest


def busy_minute(contest: Any, *, entries: int) -> None:
    """What a busy minute adds: 50 entries sent, the 100 oldest waiting decided, 200 votes."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    first = entries + RETURNING + 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO photos_photo ({PHOTO_COLUMNS})
            SELECT g, gen_random_uuid(), 'bench/' || g || '.jpg', 'IMG.JPG', 'JPEG', 200000,
                'ready', '', 1, 960, 640, lpad(to_hex(g), 64, '0'), '', false, %(now)s,
                %(now)s, 0, ''
            FROM generate_series(%(first)s, %(first)s + 49) g
            """,  # noqa: S608 - the column list is a constant
            {"now": now, "first": first},
        )
        cursor.execute(
            f"""
            WITH riders AS (SELECT array_agg(id ORDER BY id) AS ids FROM contest_participant)
            INSERT INTO contest_entry ({ENTRY_COLUMNS})
            SELECT g, 'Photo ' || g, 'Une vue.', lpad(to_hex(g), 64, '0'), 'pending', '', '',
                %(now)s, NULL, %(contest)s, riders.ids[1 + g %% cardinality(riders.ids)],
                NULL, NULL, 'phone', '', false, false, 0, 1, 0, g
            FROM generate_series(%(first)s, %(first)s + 49) g, riders
            """,  # noqa: S608 - the column list is a constant
            {"now": now, "first": first, "contest": contest.pk},
        )
        cursor.execute(
            """
            UPDATE contest_entry SET moderation = 'approved', decided_at = %(now)s,
                version = version + 1
            WHERE id IN (SELECT id FROM contest_entry WHERE contest_id = %(contest)s
                AND moderation = 'pending' ORDER BY created_at, id LIMIT 100)
            """,
            {"now": now, "contest": contest.pk},
        )
        cursor.execute(
            """
            INSERT INTO gallery_vote (entry_id, user_id, ip_hash, created_at)
            SELECT e.id, u.id, '', %(now)s
            FROM (SELECT id FROM contest_entry WHERE contest_id = %(contest)s ORDER BY id
                LIMIT 200) e,
                LATERAL (SELECT id FROM auth_user WHERE username LIKE 'rider%%'
                    ORDER BY (id * 31 + e.id) %% 4999 LIMIT 1) u
            ON CONFLICT DO NOTHING
            """,
            {"now": now, "contest": contest.pk},
        )


def timed_ms(action: Any) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def marketing_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    user = get_user_model().objects.create(
        username="marketing@bench.example", email="marketing@bench.example", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Marketing"))
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


# --- measure ---------------------------------------------------------------------------------


def measure(client: Any, url: str, repeat: int) -> tuple[float, int, float]:
    """(cold ms, queries, median warm ms) of GET url; cold on a new database connection."""
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    connections.close_all()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    cold = (time.perf_counter() - started) * 1000
    # Now: the log is emptied at each request start, and the count is read from it.
    count = len(queries)
    assert response.status_code == 200, (url, response.status_code)
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        warm.append((time.perf_counter() - started) * 1000)
    return cold, count, statistics.median(warm)


def run(args: argparse.Namespace) -> int:
    from django.urls import reverse

    from contest.models import Entry
    from gallery.models import Vote

    with phase("fill"):
        contest = fill(entries=args.entries)
    print(
        f"entries: {Entry.objects.filter(contest=contest).count():,}, "
        f"votes: {Vote.objects.count():,}"
    )
    from dashboard.services import summary_refresh

    with phase("summary"):
        # One run first to warm Python's imports up, then each case timed on its own.
        summary_refresh(contest_id=contest.pk, full=True)
        full = timed_ms(lambda: summary_refresh(contest_id=contest.pk, full=True))
        quiet = timed_ms(lambda: summary_refresh(contest_id=contest.pk))
        busy_minute(contest, entries=args.entries)
        busy = timed_ms(lambda: summary_refresh(contest_id=contest.pk))
    print(
        f"summary (beat job): from scratch {full:7.1f} ms, nothing new {quiet:7.1f} ms, "
        f"after a busy minute {busy:7.1f} ms"
    )
    client = marketing_client()
    with phase("measure"):
        # The bare view first: the first request of the process pays for Django's own
        # warm-up (URL resolver, templates), which is not the dashboard's.
        client.get(f"/bench/count/{contest.pk}/")
        base = measure(client, f"/bench/count/{contest.pk}/", args.repeat)
        page = measure(client, reverse("dashboard:dashboard", args=[contest.slug]), args.repeat)
    for name, (cold, queries, warm) in (("bare COUNT view", base), ("dashboard", page)):
        print(f"{name:>16}: cold {cold:7.1f} ms, {queries:2d} queries, median {warm:7.1f} ms")
    print(f"dashboard / bare, cold: {page[0] / base[0]:.1f} x, warm: {page[2] / base[2]:.1f} x")
    # A shared machine: what else ran meanwhile weighs on every figure above.
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    ok = page[0] < TARGET_MS
    print(f"target: dashboard cold < {TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=5, help="warm requests after the cold one")
    parser.add_argument("--database", default="coverline_bench_dashboard")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    admin_url = server_url()
    if admin_url is None:
        print("bench/dashboard.py needs PostgreSQL: set DATABASE_URL=postgres://... (a role")
        print("with CREATEDB); it works in a database of its own, --database. Skipped.")
        return 0

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        with phase("database"):
            recreate_database(admin_url, args.database)
            configure(admin_url, args.database, Path(tmp))
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        try:
            return run(args)
        finally:
            from django.db import connections

            connections.close_all()
            if not args.keep:
                drop_database(admin_url, args.database)


if __name__ == "__main__":
    sys.exit(main())
