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
   5,000 riders, and a rating round asked to start (state "starting") with a RoundEntry per
   entry, made by INSERT ... SELECT over generate_series inside PostgreSQL.
3. start job: `jury.services.round_start_run`, what the worker runs (jury.tasks.start_round)
   after the chair's "start": the photos listed (all there already: it only checks that
   none is missing), dealt to 3 of the 20 jurors each (`jury.assignment.assign`, loads
   even), the 750,000 tasks written by COPY into the real table with its indexes, the
   round made active, committed. Baseline in the same run: the same number of rows made by
   a plain INSERT ... SELECT over generate_series inside PostgreSQL into a bare table (no
   index, no constraint: what the server alone takes); for information, `assign` alone,
   and (--bulk-create) the same Task rows through Django's bulk_create.
4. votes (not part of the target): every task judged, 1 to 5 stars with a leniency per
   juror (so that the normalisation has work), by one UPDATE.
5. results: `jury.selectors.round_page`, what the chair's round page computes: the first
   200 entries best first with raw and juror-normalised means, and the first 60 cuts of
   the threshold preview, in one SQL statement. Baseline: the plain SQL aggregate
   (SELECT round_entry_id, avg(value), count(*) ... GROUP BY) fetched into Python. For
   information: `round_results` of every entry (what the report and the export read).

Target: start job + results under 10 s. Times are wall-clock on whatever else the
machine is doing. Exit code 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

from bench.database import database_url, drop_database, recreate_database, server_url  # noqa: E402

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


def other_columns(model: Any, listed: str, prefix: str) -> tuple[str, str, dict[str, Any]]:
    """The model's NOT NULL columns the INSERT below does not list, with their model defaults
    (Django keeps defaults in Python, not in the table): the fill survives new fields."""
    from django.db import connection

    named = {name.strip() for name in listed.split(",")}
    columns, values, params = [], [], {}
    for field in model._meta.concrete_fields:
        if field.column in named or field.null or field.primary_key:
            continue
        key = f"{prefix}_{field.column}"
        columns.append(field.column)
        values.append(f"%({key})s")
        params[key] = field.get_db_prep_save(field.get_default(), connection=connection)
    return "".join(", " + c for c in columns), "".join(", " + v for v in values), params


def fill(*, entries: int) -> tuple[Any, list[int], list[int]]:
    """The contest, its jurors and an active rating round with every entry in it."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from contest.models import Contest, Enrollment, Entry, Participant
    from jury.models import Juror, Round, RoundEntry
    from photos.models import Photo

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
    p_cols, p_vals, p_params = other_columns(
        Participant,
        "credit_name, age_bracket, parent_email, email_verified_at, created_at, user_id, language",
        "p",
    )
    n_cols, n_vals, n_params = other_columns(
        Enrollment,
        "rules_version, accepted_at, ip_address, allows_gallery, allows_social, allows_print,"
        " contest_id, participant_id",
        "n",
    )
    photo_listed = (
        "id, public_id, original, original_name, original_format, original_bytes, status,"
        " failure, attempts, width, height, taken_at, sha256, phash, had_gps, created_at,"
        " updated_at, processed_at, rotation, renditions_hash"
    )
    f_cols, f_vals, f_params = other_columns(Photo, photo_listed, "f")
    entry_listed = (
        "id, title, caption, sha256, moderation, refusal_reason, created_at, contest_id,"
        " participant_id, theme_id, approved_renditions, decided_at, decided_by_id, flagged,"
        " hidden, refusal_code, report_count, version, vote_count, photo_id"
    )
    e_cols, e_vals, e_params = other_columns(Entry, entry_listed, "e")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined)
            SELECT '!', false, 'rider' || g || '@bench.example', '', '',
                'rider' || g || '@bench.example', false, true, %(now)s
            FROM generate_series(1, %(riders)s) g;
            INSERT INTO contest_participant (credit_name, age_bracket, parent_email,
                email_verified_at, created_at, user_id, language{p_cols})
            SELECT 'Rider ' || u.id, 'adult', '', %(now)s, %(now)s, u.id, 'fr'{p_vals}
            FROM auth_user u WHERE u.username LIKE 'rider%%';
            INSERT INTO contest_enrollment (rules_version, accepted_at, ip_address,
                allows_gallery, allows_social, allows_print, contest_id, participant_id{n_cols})
            SELECT '1', %(now)s, NULL, true, true, true, %(contest)s, p.id{n_vals}
            FROM contest_participant p;
            """,  # noqa: S608 - the model's own column names; values as parameters
            {"now": now, "riders": RIDERS, "contest": contest.pk, **p_params, **n_params},
        )
        cursor.execute(
            f"""
            INSERT INTO photos_photo ({photo_listed}{f_cols})
            SELECT g, gen_random_uuid(), 'bench/' || g || '.jpg', 'IMG_' || g || '.JPG',
                'JPEG', 200000, 'ready', '', 1, 4000, 3000, NULL, lpad(to_hex(g), 64, '0'),
                lpad(to_hex(g %% 65536), 16, '0'), false, %(start)s, %(start)s, %(start)s,
                0, 'bench'{f_vals}
            FROM generate_series(1, %(entries)s) g
            """,  # noqa: S608 - the model's own column names; values as parameters
            {"start": start, "entries": entries, **f_params},
        )
        cursor.execute(
            f"""
            WITH riders AS (SELECT array_agg(id ORDER BY id) AS ids FROM contest_participant)
            INSERT INTO contest_entry ({entry_listed}{e_cols})
            SELECT g, 'Photo ' || g, 'Une vue du réseau.', lpad(to_hex(g), 64, '0'),
                'approved', '', %(start)s, %(contest)s,
                riders.ids[1 + g %% cardinality(riders.ids)], NULL, 'bench', %(start)s,
                NULL, false, false, '', 0, 1, (g * 7919) %% 97, g{e_vals}
            FROM generate_series(1, %(entries)s) g, riders
            """,  # noqa: S608 - the model's own column names; values as parameters
            {"start": start, "contest": contest.pk, "entries": entries, **e_params},
        )
        round = Round.objects.create(
            contest=contest,
            number=1,
            kind=Round.Kind.RATING,
            quorum=QUORUM,
            deadline=now + timedelta(days=7),
            # Asked to start: the worker's job (round_start_run) is what the bench times.
            state=Round.State.STARTING,
            start_requested_at=now,
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


def start_job(round_id: int) -> None:
    """The worker's job, as `jury.tasks.start_round` runs it: the photos listed (all there
    already: nothing missing), dealt (`assignment.assign`) and written as tasks (COPY),
    committed with their checks, the round made active."""
    from jury.models import Round
    from jury.services import round_start_run

    round = round_start_run(round_id=round_id)
    if round is None or round.state != Round.State.ACTIVE:
        raise SystemExit(f"the round did not start: {round and round.start_error}")


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
    from jury.selectors import round_page, round_results

    with phase("fill"):
        round, round_entries, jurors = fill(entries=args.entries)
    rows = len(round_entries) * QUORUM
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain (round_id bigint, round_entry_id bigint,"
            " juror_id bigint, state varchar(10), version integer)"
        )

    # For information: the dealing alone, as the job does it below.
    assign_s, dealt = timed(
        lambda: assign(round_entries, jurors, quorum=QUORUM, forbidden=(), seed=round.pk)
    )
    loads = [0] * (max(jurors) + 1)
    for juror_ids in dealt.values():
        assert len(juror_ids) == QUORUM
        for juror_id in juror_ids:
            loads[juror_id] += 1
    used = [loads[j] for j in jurors]
    print(f"  for information, assign alone: {assign_s:.2f} s, loads {min(used)}..{max(used)}")

    plain_s, _ = timed(lambda: plain_insert(rows))
    job_s, _ = timed(lambda: start_job(round.pk))
    assert Task.objects.filter(round=round).count() == rows
    print(
        f"start job (list, assign, write {rows:,} tasks by COPY, commit): {job_s:.2f} s; "
        f"baseline plain INSERT ... SELECT into a bare table {plain_s:.2f} s "
        f"(x{job_s / plain_s:.1f})"
    )
    if args.bulk_create:
        Task.objects.filter(round=round).delete()
        bulk_s, _ = timed(lambda: bulk_create_tasks(round.pk, dealt))
        print(f"  for information, bulk_create (batches of 5,000): {bulk_s:.2f} s")

    with phase("votes"):
        cast_votes(round.pk)
    round.refresh_from_db()
    plain_agg_s, groups = timed(lambda: plain_aggregate(round.pk))
    # What the chair's round page computes: the first 200 rows best first and the first 60
    # cuts of the threshold preview, in one SQL statement (the closing is one UPDATE).
    page_s, (page, preview) = timed(lambda: round_page(round=round, rows=200, cuts=60))
    assert len(page.rows) == 200 and groups == len(round_entries)
    assert all(row.votes == QUORUM for row in page.rows)
    best = page.rows[0]
    print(
        f"results of {rows:,} votes: round_page (the chair's page: 200 rows, "
        f"{len(preview)} cuts) {page_s:.2f} s; baseline SQL GROUP BY fetched "
        f"{plain_agg_s:.2f} s (x{page_s / plain_agg_s:.1f}); best {best.code} "
        f"raw {best.raw_mean:.2f} normalised {best.normalised_mean:.2f}"
    )
    all_s, everything = timed(lambda: round_results(round=round))
    assert len(everything.rows) == len(round_entries)
    assert [r.round_entry_id for r in everything.rows[:200]] == [
        r.round_entry_id for r in page.rows
    ]
    print(f"  for information, round_results of every row (report, export): {all_s:.2f} s")

    total = job_s + page_s
    met = total < TARGET_SECONDS
    print(
        f"TOTAL start job + results: {total:.2f} s (target < {TARGET_SECONDS:.0f} s): "
        + ("met" if met else "MISSED")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
