#!/usr/bin/env python3
"""Restores (README "Backups"): a dump into a new database, checked; deleted objects back.

    deploy/restore.py database backups/coverline-<time>.dump [--name coverline_restored]
        [--server URL] [--pg-exec PREFIX] [--manage "python manage.py"] [--app-db-url URL]
        [--keys-dir DIR]
    deploy/restore.py objects --bucket B --keys-file DIR/<name>.missing-keys [--dry-run]
    deploy/restore.py objects --bucket B --all-since 2026-12-04T15:00:00Z [--prefix P] [--dry-run]

`database` checks the dump against its manifest (sha256), creates the new database,
`pg_restore --no-owner --clean --if-exists` into it, counts every table's rows against the
manifest, then runs the app against it (`manage.py migrate --check`, `manage.py
storage_audit`, with DATABASE_URL naming the new database and the buckets of the
environment). It exits non-zero when a count differs, a migration is missing, or a row
points at a file the buckets do not have; the places of those files (s3://bucket/key) go
to `<name>.missing-keys` in --keys-dir (default: the dump's folder), for `objects`.

Files without a row are listed but allowed, and their places go to `<name>.orphan-keys`:
after a restore they are mostly riders' originals uploaded after the dump, and those
objects are the only copies. Never run `storage_audit --repair` blindly after a restore:
copy them aside first, keeping their keys (`while read -r url; do aws s3 cp "$url"
"aside/${url#s3://}"; done < <name>.orphan-keys`, or `mc cp` likewise), and decide with
the contest's team whether those photos are entered again; repair only then.

`objects` undoes deletions in a versioned bucket: each object named in --keys-file (the
missing files the restored database points at) whose current version is a delete marker
gets its marker removed, so the version before it is current again. Nothing else is
touched: a file deleted on purpose (a rider's erasure, the retention) and no longer
named by the database stays deleted. Upload pieces (`uploads/`, `originals/uploads/`),
deleted once assembled, are never brought back. Nothing is copied; an object overwritten
rather than deleted is left alone. (An erasure made after the dump is undone by the
database restore itself, its rows back: make it again before reopening.)
`--all-since TIME` removes every delete marker made since TIME instead (the old way: it
also brings back what was deleted on purpose). A time without a timezone is UTC.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backup import (
    BackupError,
    Manifest,
    Postgres,
    private_open,
    s3_client,
    sha256_of,
    url_with_db,
)

AUDIT_SUMMARY = re.compile(r"^(\d+) orphan files, (\d+) rows pointing at a missing file$", re.M)
NAME = re.compile(r"[a-z_][a-z0-9_]*")
# schema.table, as the manifest has them (Django's names need no quotes).
TABLE = re.compile(r"[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*")
# storage_audit --keys: where each file is.
AUDIT_KEY = re.compile(r"^(missing|orphan) key: (\S.*)$", re.M)
# Resumable uploads' pieces (contest/resumable.py; under the originals storage's location
# in its bucket): deleted once assembled, never to be brought back.
UPLOAD_PREFIXES = ("uploads/", "originals/uploads/")


@dataclass
class AuditResult:
    orphans: int
    missing: int
    output: str
    # Places as storage_audit --keys prints them: s3://bucket/key (or a local path).
    missing_keys: list[str] = field(default_factory=list)
    orphan_keys: list[str] = field(default_factory=list)

    def keys_write(self, folder: Path, name: str) -> tuple[Path, Path]:
        """`<name>.missing-keys` and `<name>.orphan-keys` in `folder` (0600), one a line."""
        paths = folder / f"{name}.missing-keys", folder / f"{name}.orphan-keys"
        for path, keys in zip(paths, (self.missing_keys, self.orphan_keys), strict=True):
            with private_open(path) as handle:
                handle.write("".join(f"{key}\n" for key in keys).encode())
        return paths


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
    """`manage.py storage_audit --keys` (no repair): orphans and missing files, and where."""
    done = subprocess.run(  # noqa: S603
        [*manage, "storage_audit", "--keys"], env=env, capture_output=True, text=True
    )
    match = AUDIT_SUMMARY.search(done.stdout)
    if done.returncode != 0 or not match:
        raise BackupError(f"storage_audit failed: {(done.stdout + done.stderr)[-2000:]}")
    found: dict[str, list[str]] = {"missing": [], "orphan": []}
    for kind, place in AUDIT_KEY.findall(done.stdout):
        found[kind].append(place.strip())
    output = "\n".join(
        line for line in done.stdout.strip().splitlines() if not AUDIT_KEY.match(line)
    )
    return AuditResult(
        orphans=int(match[1]),
        missing=int(match[2]),
        output=output,
        missing_keys=found["missing"],
        orphan_keys=found["orphan"],
    )


def keys_read(path: Path, *, bucket: str) -> tuple[list[str], int]:
    """The keys of `bucket` in a keys file (s3://bucket/key lines); and how many lines
    named something else (another bucket, a local path)."""
    keys, others = [], 0
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        head, _, key = line.removeprefix("s3://").partition("/")
        if line.startswith("s3://") and head == bucket and key:
            keys.append(key)
        else:
            others += 1
    return keys, others


def aware_time(value: str) -> datetime:
    """An ISO 8601 time; one without a timezone is taken as UTC."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_upload_piece(key: str) -> bool:
    return key.startswith(UPLOAD_PREFIXES)


def objects_undelete(
    *, client: Any, bucket: str, keys: list[str] | None, prefix: str = "",
    since: datetime | None = None, dry_run: bool = False,
) -> list[str]:  # fmt: skip
    """Removes the delete markers that hide an older version; the keys brought back.

    Only `keys` (the files the restored database points at) unless `keys` is None: then
    every marker under `prefix` made since `since`. Upload pieces never.
    """
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    markers: list[tuple[str, str]] = []
    with_versions: set[str] = set()
    wanted = None if keys is None else set(keys)
    # One listing per key (a restore misses a few); the whole prefix for --all-since.
    listings = [prefix] if wanted is None else sorted(wanted)
    for listed in listings:
        pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=listed)
        for page in pages:
            for marker in page.get("DeleteMarkers", ()):
                if wanted is not None and marker["Key"] not in wanted:
                    continue  # a longer key sharing the prefix
                if is_upload_piece(marker["Key"]):
                    continue
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
                "deploy/restore.py objects --bucket BUCKET --keys-file "
                f"{report.database}.missing-keys; then audit again"
            )
        if report.audit.orphans or report.audit.orphan_keys:
            print(
                "files without a row (uploaded after the dump: the only copies) are in "
                f"{report.database}.orphan-keys: copy them aside with their keys before "
                "anything else; never storage_audit --repair blindly after a restore"
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
    database.add_argument(
        "--keys-dir",
        type=Path,
        default=None,
        help="where <name>.missing-keys and <name>.orphan-keys go (default: the dump's folder)",
    )
    objects = sub.add_parser("objects", help="undo deletions in a versioned bucket")
    objects.add_argument("--bucket", required=True)
    which = objects.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--keys-file",
        type=Path,
        help="bring back only these (s3://bucket/key lines; the restore's <name>.missing-keys)",
    )
    which.add_argument(
        "--all-since",
        type=aware_time,
        metavar="TIME",
        help="WARNING: removes every delete marker made since TIME (ISO 8601, UTC if no "
        "timezone), which also brings back files deleted on purpose (a rider's erasure, "
        "the retention); upload pieces excepted",
    )
    objects.add_argument("--prefix", default="", help="with --all-since: only under it")
    objects.add_argument(
        "--since",
        type=aware_time,
        default=None,
        help="with --keys-file: only markers made since then (UTC if no timezone)",
    )
    objects.add_argument("--dry-run", action="store_true")
    objects.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)

    try:
        if args.command == "objects":
            wanted = None
            if args.keys_file:
                wanted, others = keys_read(args.keys_file, bucket=args.bucket)
                if others:
                    print(
                        f"{others} lines of {args.keys_file} name another bucket: left",
                        file=sys.stderr,
                    )
            else:
                print(
                    "WARNING: --all-since also brings back files deleted on purpose",
                    file=sys.stderr,
                )
            keys = objects_undelete(
                client=s3_client(args.endpoint_url),
                bucket=args.bucket,
                keys=wanted,
                prefix=args.prefix,
                since=args.all_since or args.since,
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
            missing_file, orphan_file = report.audit.keys_write(
                args.keys_dir or args.dump.parent, args.name
            )
            print(f"missing files' keys: {missing_file}; files without a row: {orphan_file}")
        _print_report(report, manifest)
    except BackupError as error:
        print(f"restore: {error}", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
