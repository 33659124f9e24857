"""Benchmark: a jury round of 250,000 photos on PostgreSQL, against plain baselines.

Run from the project root, with a PostgreSQL role that may create databases:

    DATABASE_URL=postgres://coverline:coverline@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/jury.py
    DATABASE_URL=... .venv/bin/python bench/jury.py --entries 20000     # a quick look

DATABASE_URL names the server and the role only: the bench drops and recreates a database of
its own there (--database, coverline_bench), works in it, and drops it at the end (unless
--keep); nothing else is touched. Without a PostgreSQL DATABASE_URL it says so and exits 0.

Phases, each timed:

1. database and migrate.
2. fill (not part of the target): one contest, 20 jurors, --entries public entries from
   5,000 riders, and an active rating round with a RoundEntry per entry, made by INSERT ...
   SELECT over generate_series inside PostgreSQL.
3. assign: `jury.assignment.assign` deals each entry to 3 of the 20 jurors (loads even).
4. write: those 750,000 assignments as Task rows by `jury.services.tasks_create`, what
   `services.round_activate` does (COPY, psycopg's copy protocol, on PostgreSQL), into the
   real table with its constraints and indexes, committed (the deferred foreign-key checks
   run at commit). Baselines in the same run: the same
   number of rows made by a plain INSERT ... SELECT over generate_series inside PostgreSQL
   into a bare table (no index, no constraint: what the server alone takes), and for
   information the same Task rows through Django's bulk_create (--bulk-create; what
   `services.round_activate` does, in batches of 5,000).
5. votes (not part of the target): every task judged, 1 to 5 stars with a leniency per
   juror (so that the normalisation has work), by one UPDATE.
6. results: `jury.selectors.round_results`, every entry with its votes, raw and
   juror-normalised means (one SQL query with window functions on PostgreSQL), sorted best
   first, in Python. Baseline: the plain SQL aggregate
   (SELECT round_entry_id, avg(value), count(*) ... GROUP BY) fetched into Python.

Target: assign + write + results under 10 s. Times are wall-clock on whatever else the
machine is doing. Exit code 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

TARGET_SECONDS = 10.0
JURORS = 20
QUORUM = 3
RIDERS = 5000
T = TypeVar("T")


@contextmanager
def phase(name: str) -> Iterator[None]:
    print(f"[{name}] ...", flush=True)
    started = time.perf_counter()
    yield
    print(f"[{name}] {time.perf_counter() - started:.1f} s", flush=True)


def timed(run: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


# --- database ------------------------------------------------------------------------------


def server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def database_url(admin_url: str, name: str) -> str:
    return urlsplit(admin_url)._replace(path="/" + name).geturl()


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"--database must be a plain identifier, not {name!r}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def configure(admin_url: str, name: str, tmp: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(admin_url, name),
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-not-secret",
            "COVERLINE_VAR_DIR": str(tmp),
            "CELERY_BROKER_URL": "memory://",
            "EMAIL_URL": "memorymail://",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()


# --- data ----------------------------------------------------------------------------------


def fill(*, entries: int) -> tuple[Any, list[int], list[int]]:
    """The contest, its jurors and an active rating round with every entry in it."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from contest.models import Contest
    from jury.models import Juror, Round, RoundEntry

    now = timezone.now()
    contest = Contest.objects.create(
        title_fr="Couvertures 2027",
        slug="couvertures-2027",
        pitch_fr="Bench.",
        rules_text_fr="Article 1.",
        rules_version="1",
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=1),
        status=Contest.Status.OPEN,
    )
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"jure{n}@bench.example", email=f"jure{n}@bench.example")
        for n in range(1, JURORS + 1)
    )
    jurors = Juror.objects.bulk_create(
        Juror(contest=contest, user=user, alias=f"J{n}") for n, user in enumerate(users, 1)
    )
    start = now - timedelta(days=30)
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
            {"now": now, "riders": RIDERS, "contest": contest.pk},
        )
        cursor.execute(
            """
            INSERT INTO photos_photo (id, public_id, original, original_name, original_format,
                original_bytes, status, failure, attempts, width, height, taken_at, sha256,
                phash, had_gps, created_at, updated_at, processed_at, rotation,
                renditions_hash)
            SELECT g, gen_random_uuid(), 'bench/' || g || '.jpg', 'IMG_' || g || '.JPG',
                'JPEG', 200000, 'ready', '', 1, 4000, 3000, NULL, lpad(to_hex(g), 64, '0'),
                lpad(to_hex(g %% 65536), 16, '0'), false, %(start)s, %(start)s, %(start)s,
                0, 'bench'
            FROM generate_series(1, %(entries)s) g
            """,
            {"start": start, "entries": entries},
        )
        cursor.execute(
            """
            WITH riders AS (SELECT array_agg(id ORDER BY id) AS ids FROM contest_participant)
            INSERT INTO contest_entry (id, title, caption, sha256, moderation, refusal_reason,
                created_at, contest_id, participant_id, theme_id, approved_renditions,
                decided_at, decided_by_id, flagged, hidden, refusal_code, report_count,
                version, vote_count, photo_id)
            SELECT g, 'Photo ' || g, 'Une vue du réseau.', lpad(to_hex(g), 64, '0'),
                'approved', '', %(start)s, %(contest)s,
                riders.ids[1 + g %% cardinality(riders.ids)], NULL, 'bench', %(start)s,
                NULL, false, false, '', 0, 1, (g * 7919) %% 97, g
            FROM generate_series(1, %(entries)s) g, riders
            """,
            {"start": start, "contest": contest.pk, "entries": entries},
        )
        round = Round.objects.create(
            contest=contest,
            number=1,
            kind=Round.Kind.RATING,
            quorum=QUORUM,
            deadline=now + timedelta(days=7),
            state=Round.State.ACTIVE,
        )
        cursor.execute(
            """
            INSERT INTO jury_roundentry (round_id, entry_id, code, disqualified,
                disqualified_reason, withdrawn, advanced)
            SELECT %(round)s, e.id, '1' || upper(lpad(to_hex(e.id), 8, '0')), false, '',
                false, false
            FROM contest_entry e ORDER BY e.id
            """,
            {"round": round.pk},
        )
        cursor.execute("ANALYZE")
    round_entries = list(
        RoundEntry.objects.filter(round=round).order_by("pk").values_list("pk", flat=True)
    )
    return round, round_entries, [j.pk for j in jurors]


def write_tasks(round_id: int, dealt: dict[int, set[int]]) -> int:
    """The real code path (`round_activate`'s), in a transaction of its own."""
    from django.db import transaction

    from jury.services import tasks_create

    with transaction.atomic():
        return tasks_create(round_id=round_id, dealt=dealt)


def plain_insert(rows: int) -> None:
    """The floor: as many rows made inside PostgreSQL into a bare table."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_plain (round_id, round_entry_id, juror_id, state, version)"
            " SELECT 1, g / 3, g %% 20, 'open', 0 FROM generate_series(1, %s) g",
            [rows],
        )


def bulk_create_tasks(round_id: int, dealt: dict[int, set[int]]) -> None:
    from jury.models import Task

    Task.objects.bulk_create(
        (
            Task(round_id=round_id, round_entry_id=re_id, juror_id=juror_id)
            for re_id, juror_ids in dealt.items()
            for juror_id in sorted(juror_ids)
        ),
        batch_size=5000,
    )


def cast_votes(round_id: int) -> None:
    """Every task judged: 1 to 5 stars, each juror a little more or less lenient."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE jury_task SET state = 'done', voted_at = now(), version = 1,
                value = least(5, greatest(1, 1 + (round_entry_id * 7919) %% 5
                    + (juror_id %% 3) - 1))
            WHERE round_id = %s
            """,
            [round_id],
        )
        cursor.execute("ANALYZE jury_task")


def plain_aggregate(round_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT round_entry_id, avg(value), count(*) FROM jury_task"
            " WHERE round_id = %s AND state = 'done' GROUP BY round_entry_id",
            [round_id],
        )
        return len(cursor.fetchall())


# --- run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=250_000)
    parser.add_argument("--database", default="coverline_bench")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument(
        "--bulk-create", action="store_true", help="also time Django's bulk_create of the tasks"
    )
    args = parser.parse_args()
    admin_url = server_url()
    if admin_url is None:
        print("bench/jury.py needs PostgreSQL: set DATABASE_URL=postgres://... (a role with")
        print("CREATEDB); it works in a database of its own, --database. Skipped.")
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


def run(args: argparse.Namespace) -> int:
    from django.db import connection

    from jury.assignment import assign
    from jury.models import Task
    from jury.selectors import round_results

    with phase("fill"):
        round, round_entries, jurors = fill(entries=args.entries)
    rows = len(round_entries) * QUORUM
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain (round_id bigint, round_entry_id bigint,"
            " juror_id bigint, state varchar(10), version integer)"
        )

    assign_s, dealt = timed(
        lambda: assign(round_entries, jurors, quorum=QUORUM, forbidden=(), seed=round.pk)
    )
    loads = [0] * (max(jurors) + 1)
    for juror_ids in dealt.values():
        assert len(juror_ids) == QUORUM
        for juror_id in juror_ids:
            loads[juror_id] += 1
    used = [loads[j] for j in jurors]
    print(f"assign: {assign_s:.2f} s, loads {min(used)}..{max(used)}")

    plain_s, _ = timed(lambda: plain_insert(rows))
    write_s, written = timed(lambda: write_tasks(round.pk, dealt))
    assert written == rows == Task.objects.filter(round=round).count()
    print(
        f"write {rows:,} tasks: tasks_create (COPY) {write_s:.2f} s "
        f"({rows / write_s:,.0f} rows/s); "
        f"baseline plain INSERT ... SELECT into a bare table {plain_s:.2f} s "
        f"(x{write_s / plain_s:.1f})"
    )
    if args.bulk_create:
        Task.objects.filter(round=round).delete()
        bulk_s, _ = timed(lambda: bulk_create_tasks(round.pk, dealt))
        print(f"  for information, bulk_create (batches of 5,000): {bulk_s:.2f} s")

    with phase("votes"):
        cast_votes(round.pk)
    plain_agg_s, groups = timed(lambda: plain_aggregate(round.pk))
    results_s, results = timed(lambda: round_results(round=round))
    assert len(results.rows) == len(round_entries) and groups == len(round_entries)
    assert all(row.votes == QUORUM for row in results.rows)
    best = results.rows[0]
    print(
        f"results of {rows:,} votes: round_results {results_s:.2f} s; baseline SQL GROUP BY "
        f"fetched {plain_agg_s:.2f} s (x{results_s / plain_agg_s:.1f}); best {best.code} "
        f"raw {best.raw_mean:.2f} normalised {best.normalised_mean:.2f}"
    )

    total = assign_s + write_s + results_s
    met = total < TARGET_SECONDS
    print(
        f"TOTAL assign + write + results: {total:.2f} s (target < {TARGET_SECONDS:.0f} s): "
        + ("met" if met else "MISSED")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
