#!/usr/bin/env python3
"""Restores (README "Backups"): a dump into a new database, checked; deleted objects back.

    deploy/restore.py database backups/coverline-<time>.dump [--name coverline_restored]
        [--server URL] [--pg-exec PREFIX] [--manage "python manage.py"] [--app-db-url URL]
    deploy/restore.py objects --bucket B [--since 2026-12-04T15:00:00Z] [--prefix P] [--dry-run]

`database` checks the dump against its manifest (sha256), creates the new database,
`pg_restore --no-owner --clean --if-exists` into it, counts every table's rows against the
manifest, then runs the app against it (`manage.py migrate --check`, `manage.py
storage_audit`, with DATABASE_URL naming the new database and the buckets of the
environment). It exits non-zero when a count differs, a migration is missing, or a row
points at a file the buckets do not have. Files without a row (uploaded after the dump)
are listed but allowed: `storage_audit --repair` deletes them once the restore is kept.

`objects` undoes deletions in a versioned bucket: each object whose current version is a
delete marker (made after --since) gets its marker removed, so the version before it is
current again. Nothing is copied; an object overwritten rather than deleted is left alone.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backup import (
    BackupError,
    Manifest,
    Postgres,
    s3_client,
    sha256_of,
    url_with_db,
)

AUDIT_SUMMARY = re.compile(r"^(\d+) orphan files, (\d+) rows pointing at a missing file$", re.M)
NAME = re.compile(r"[a-z_][a-z0-9_]*")
# schema.table, as the manifest has them (Django's names need no quotes).
TABLE = re.compile(r"[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*")


@dataclass
class AuditResult:
    orphans: int
    missing: int
    output: str


@dataclass
class RestoreReport:
    database: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    # table: (in the manifest, in the restored database)
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)
    migrations_ok: bool | None = None
    migrations_output: str = ""
    audit: AuditResult | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.mismatches
            and self.migrations_ok is not False
            and (self.audit is None or self.audit.missing == 0)
        )


def database_create(*, pg: Postgres, name: str) -> None:
    """A new, empty database `name` on pg's server (refuses one that exists)."""
    if not NAME.fullmatch(name):
        raise BackupError(f"not a plain database name: {name!r}")
    # `name` is a plain identifier (checked above): nothing to quote.
    exists = pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
    if exists:
        raise BackupError(f"database {name} exists already: restore into a new one")
    pg.psql(f"CREATE DATABASE {name}")


def rows_count(*, pg: Postgres, db: str, tables: list[str]) -> dict[str, int]:
    """Rows of each table in `db` (the names as pg_dump writes them, schema included)."""
    if not tables:
        return {}
    odd = [table for table in tables if not TABLE.fullmatch(table)]
    if odd:
        raise BackupError(f"not table names as pg_dump writes them: {odd}")
    query = " UNION ALL ".join(
        f"SELECT '{table}', count(*) FROM {table}"  # noqa: S608 - names checked above
        for table in sorted(tables)
    )
    return {name: int(count) for name, count in pg.psql(query, db=db)}


def rows_compare(expected: dict[str, int], found: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {
        table: (count, found.get(table, -1))
        for table, count in expected.items()
        if found.get(table, -1) != count
    }


def dump_restore(*, pg: Postgres, dump: Path, manifest: Manifest, name: str) -> RestoreReport:
    """The dump into a new database `name`, its row counts compared with the manifest."""
    if sha256_of(dump) != manifest.sha256:
        raise BackupError(f"{dump} is not the file its manifest describes (sha256 differs)")
    database_create(pg=pg, name=name)
    target = url_with_db(pg.db, name)
    started = time.monotonic()
    with dump.open("rb") as source:
        done = subprocess.run(  # noqa: S603
            pg.command(
                "pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists",
                "--exit-on-error", "--no-password", "-d", target,
            ),
            stdin=source,
            capture_output=True,
        )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.decode()[-2000:]}")
    report = RestoreReport(database=name, seconds=round(time.monotonic() - started, 3))
    report.rows = rows_count(pg=pg, db=target, tables=list(manifest.rows))
    report.mismatches = rows_compare(manifest.rows, report.rows)
    return report


def app_env(app_db_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": app_db_url, **(extra or {})}


def migrations_check(*, manage: list[str], env: dict[str, str]) -> tuple[bool, str]:
    """`manage.py migrate --check`: True when the schema is the code's."""
    done = subprocess.run(  # noqa: S603
        [*manage, "migrate", "--check", "--plan"], env=env, capture_output=True, text=True
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def storage_check(*, manage: list[str], env: dict[str, str]) -> AuditResult:
    """`manage.py storage_audit` (no repair): its counts of orphans and missing files."""
    done = subprocess.run(  # noqa: S603
        [*manage, "storage_audit"], env=env, capture_output=True, text=True
    )
    match = AUDIT_SUMMARY.search(done.stdout)
    if done.returncode != 0 or not match:
        raise BackupError(f"storage_audit failed: {(done.stdout + done.stderr)[-2000:]}")
    return AuditResult(orphans=int(match[1]), missing=int(match[2]), output=done.stdout.strip())


def objects_undelete(
    *, client: Any, bucket: str, prefix: str = "", since: datetime | None = None,
    dry_run: bool = False,
) -> list[str]:  # fmt: skip
    """Removes the delete markers that hide an older version; the keys brought back."""
    markers: list[tuple[str, str]] = []
    with_versions: set[str] = set()
    pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for marker in page.get("DeleteMarkers", ()):
            if marker["IsLatest"] and (since is None or marker["LastModified"] >= since):
                markers.append((marker["Key"], marker["VersionId"]))
        with_versions.update(version["Key"] for version in page.get("Versions", ()))
    restored = []
    for key, version_id in sorted(markers):
        # A marker with nothing behind it was a deletion of nothing: removing it brings
        # nothing back.
        if key not in with_versions:
            continue
        if not dry_run:
            client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
        restored.append(key)
    return restored


def _print_report(report: RestoreReport, manifest: Manifest) -> None:
    print(f"restored into {report.database} in {report.seconds} s")
    print(f"{len(report.rows)} tables, {sum(report.rows.values())} rows")
    for table, (expected, found) in sorted(report.mismatches.items()):
        print(f"  MISMATCH {table}: manifest {expected}, restored {found}")
    for table in manifest.main_rows():
        print(f"  {table}: {report.rows.get(table)}")
    if report.migrations_ok is not None:
        print("migrate --check: " + ("ok" if report.migrations_ok else "MIGRATIONS MISSING"))
        if not report.migrations_ok:
            print(report.migrations_output)
    if report.audit is not None:
        print(report.audit.output)
        if report.audit.missing:
            print(
                "files deleted by mistake come back from their previous versions: "
                "deploy/restore.py objects --bucket BUCKET --since TIME; then audit again"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    database = sub.add_parser("database", help="a dump into a new database, checked")
    database.add_argument("dump", type=Path)
    database.add_argument("--manifest", type=Path, help="default: the dump's .json beside it")
    database.add_argument(
        "--name",
        default=f"coverline_restored_{datetime.now():%Y%m%d%H%M}",  # noqa: DTZ005
    )
    database.add_argument(
        "--server",
        default=os.environ.get("DATABASE_URL", ""),
        help="a database of the server, to create the new one from (default: DATABASE_URL)",
    )
    database.add_argument("--pg-exec", default=os.environ.get("PG_EXEC", ""))
    database.add_argument(
        "--manage",
        default=f"{sys.executable} manage.py",
        help='how to run manage.py, e.g. "docker compose -f docker-compose.prod.yml run '
        '--rm -T -e DATABASE_URL migrate python manage.py"; "" skips the app checks',
    )
    database.add_argument(
        "--app-db-url",
        default="",
        help="the new database's URL as the app reaches it (default: --server's, renamed)",
    )
    objects = sub.add_parser("objects", help="undo deletions in a versioned bucket")
    objects.add_argument("--bucket", required=True)
    objects.add_argument("--prefix", default="")
    objects.add_argument("--since", type=datetime.fromisoformat, default=None)
    objects.add_argument("--dry-run", action="store_true")
    objects.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)

    try:
        if args.command == "objects":
            keys = objects_undelete(
                client=s3_client(args.endpoint_url),
                bucket=args.bucket,
                prefix=args.prefix,
                since=args.since,
                dry_run=args.dry_run,
            )
            for key in keys:
                print(key)
            print(f"{len(keys)} objects {'to bring' if args.dry_run else 'brought'} back")
            return 0
        if not args.server:
            parser.error("--server or DATABASE_URL is required")
        manifest = Manifest.read(args.manifest or args.dump.with_suffix(".json"))
        pg = Postgres(db=args.server, pg_exec=shlex.split(args.pg_exec))
        report = dump_restore(pg=pg, dump=args.dump, manifest=manifest, name=args.name)
        if args.manage:
            manage = shlex.split(args.manage)
            env = app_env(args.app_db_url or url_with_db(args.server, args.name))
            report.migrations_ok, report.migrations_output = migrations_check(
                manage=manage, env=env
            )
            report.audit = storage_check(manage=manage, env=env)
        _print_report(report, manifest)
    except BackupError as error:
        print(f"restore: {error}", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
