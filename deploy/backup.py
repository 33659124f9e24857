#!/usr/bin/env python3
"""Backups (README "Backups"): a PostgreSQL dump with its manifest, and the buckets' versions.

    deploy/backup.py dump [--out backups] [--db URL] [--pg-exec "docker compose ... exec -T"]
    deploy/backup.py buckets [--noncurrent-days 30] BUCKET...

`dump` writes `coverline-<UTC time>.dump` (`pg_dump -Fc`) and, beside it,
`coverline-<UTC time>.json`: the dump's size and sha256, and the rows of every table as
the dump holds them (counted by reading the dump back with `pg_restore`, so they are the
dump's own and a dump that cannot be read fails here, not on the day of the restore).
The PostgreSQL tools run here, or in the database's container with `--pg-exec`: the dump
goes through their standard output either way. Needs only Python 3 and those tools.

The dump and its manifest hold every rider's e-mail address: the folder is created
readable by its owner only (0700) and both files are written 0600, whatever the umask.

`buckets` turns versioning on for each bucket and sets its lifecycle: non-current
versions (what an overwrite or a deletion leaves behind) expire after N days, and delete
markers with no version left behind them go too; under `originals/uploads/` (the pieces
of resumable uploads, deleted once assembled) non-current versions go after 1 day. For
AWS S3 or any S3 API (boto3, with the usual AWS_* variables and --endpoint-url); the
compose file does the same with `mc`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

# The tables a reader of the manifest looks at first (all the others are in it too).
MAIN_TABLES = (
    "public.auth_user",
    "public.contest_contest",
    "public.contest_participant",
    "public.contest_entry",
    "public.photos_photo",
    "public.photos_rendition",
    "public.contest_enrollment",
    "public.moderation_moderationevent",
    "public.gallery_vote",
    "public.notifications_outboxmessage",
)
LIFECYCLE_RULE_ID = "coverline-noncurrent-versions"
UPLOADS_RULE_ID = "coverline-upload-pieces"
# The tus pieces (contest/resumable.py, `uploads/` of the originals storage, whose objects
# are under `originals/` in its bucket): deleted once assembled, kept as non-current
# versions they would double the originals' storage for NONCURRENT_DAYS.
UPLOADS_PREFIX = "originals/uploads/"
UPLOADS_NONCURRENT_DAYS = 1
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
COPY_LINE = re.compile(r"^COPY (\S+) \(.*\) FROM stdin;$")


class BackupError(RuntimeError):
    """A step of a backup or a restore failed; the message says which and why."""


@dataclass
class Postgres:
    """How to run PostgreSQL's tools: here, or through a prefix (a container's exec)."""

    db: str
    pg_exec: list[str] = field(default_factory=list)

    def command(self, tool: str, *args: str) -> list[str]:
        return [*self.pg_exec, tool, *args]

    def run(self, tool: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        done = subprocess.run(self.command(tool, *args), capture_output=True, **kwargs)  # noqa: S603
        if done.returncode != 0:
            stderr = done.stderr.decode() if isinstance(done.stderr, bytes) else done.stderr
            raise BackupError(f"{tool} failed ({done.returncode}): {stderr.strip()[-2000:]}")
        return done

    def psql(self, sql: str, *, db: str | None = None) -> list[list[str]]:
        """Rows of `sql`, as text."""
        done = self.run(
            "psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
            "-d", db or self.db, "-c", sql, text=True,
        )  # fmt: skip
        return [line.split("\t") for line in done.stdout.splitlines() if line]


@dataclass
class Manifest:
    dump: str
    created_at: str
    bytes: int
    sha256: str
    seconds: float
    rows: dict[str, int]
    server_version: str = ""

    def main_rows(self) -> dict[str, int]:
        return {name: self.rows[name] for name in MAIN_TABLES if name in self.rows}

    def write(self, path: Path) -> None:
        with private_open(path) as handle:
            handle.write((json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode())

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text()))


def private_open(path: Path) -> BinaryIO:
    """A new file `path` for writing, readable by its owner only (0600, whatever the umask).

    A file left at that name is replaced, not reused: it could have other permissions.
    """
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def private_dir(path: Path) -> None:
    """`path` and its parents, the folder itself 0700 when it is made here."""
    if not path.is_dir():
        path.mkdir(parents=True, mode=PRIVATE_DIR)
        path.chmod(PRIVATE_DIR)  # mkdir's mode is subject to the umask


def url_with_db(url: str, name: str) -> str:
    """The same server and role, another database (a URL or a key=value conninfo)."""
    if "://" not in url:
        return f"{url} dbname={name}"
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_counts(lines: Iterator[str]) -> dict[str, int]:
    rows: dict[str, int] = {}
    table = None
    for line in lines:
        if table is None:
            match = COPY_LINE.match(line.rstrip("\n"))
            if match:
                table = match.group(1)
                rows[table] = 0
        elif line.rstrip("\n") == "\\.":
            table = None
        else:
            # COPY's text format escapes newlines in values: one line, one row.
            rows[table] += 1
    return rows


def dump_rows(pg: Postgres, dump: Path) -> dict[str, int]:
    """Rows of each table in the dump, read back from it with pg_restore."""
    with (
        dump.open("rb") as source,
        subprocess.Popen(  # noqa: S603
            pg.command("pg_restore", "--data-only", "-f", "-"),
            stdin=source,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        ) as reader,
    ):
        if reader.stdout is None:
            raise BackupError("pg_restore gave no output")
        rows = _copy_counts(reader.stdout)
        stderr = reader.stderr.read() if reader.stderr else ""
    if reader.returncode != 0:
        raise BackupError(f"pg_restore could not read {dump}: {stderr.strip()[-2000:]}")
    return rows


def dump_create(*, pg: Postgres, out: Path, now: datetime | None = None) -> Manifest:
    """`pg_dump -Fc` of pg.db into `out`, with its manifest beside it."""
    now = now or datetime.now(UTC)
    private_dir(out)
    stem = f"coverline-{now:%Y%m%dT%H%M%SZ}"
    dump, partial = out / f"{stem}.dump", out / f"{stem}.dump.partial"
    started = time.monotonic()
    # Written under another name first: a dump cut short never looks like a whole one.
    with private_open(partial) as target:
        done = subprocess.run(  # noqa: S603
            pg.command("pg_dump", "-Fc", "--no-password", "-d", pg.db),
            stdout=target,
            stderr=subprocess.PIPE,
        )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    partial.rename(dump)
    seconds = time.monotonic() - started
    version = pg.psql("SHOW server_version")[0][0]
    manifest = Manifest(
        dump=dump.name,
        created_at=now.isoformat(timespec="seconds"),
        bytes=dump.stat().st_size,
        sha256=sha256_of(dump),
        seconds=round(seconds, 3),
        rows=dump_rows(pg, dump),
        server_version=version,
    )
    manifest.write(dump.with_suffix(".json"))
    return manifest


def s3_client(endpoint_url: str | None = None) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_S3_REGION_NAME") or None,
    )


def buckets_protect(*, client: Any, buckets: list[str], noncurrent_days: int) -> None:
    """Versioning on, and non-current versions kept `noncurrent_days` days (idempotent);
    the upload pieces' non-current versions only UPLOADS_NONCURRENT_DAYS (where two rules
    match, the shorter expiry comes first)."""
    for bucket in buckets:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": LIFECYCLE_RULE_ID,
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
                        "Expiration": {"ExpiredObjectDeleteMarker": True},
                    },
                    {
                        "ID": UPLOADS_RULE_ID,
                        "Status": "Enabled",
                        "Filter": {"Prefix": UPLOADS_PREFIX},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": UPLOADS_NONCURRENT_DAYS},
                    },
                ]
            },
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dump = sub.add_parser("dump", help="pg_dump -Fc and its manifest")
    dump.add_argument(
        "--out", type=Path, default=Path("backups"), help="made 0700 if new; files 0600"
    )
    dump.add_argument(
        "--db",
        default=os.environ.get("DATABASE_URL", ""),
        help="the database (a URL or conninfo; default: DATABASE_URL)",
    )
    dump.add_argument(
        "--pg-exec",
        default=os.environ.get("PG_EXEC", ""),
        help='run the PostgreSQL tools through this, e.g. "docker compose -f '
        'docker-compose.prod.yml exec -T postgres"',
    )
    buckets = sub.add_parser("buckets", help="versioning and the lifecycle rule")
    buckets.add_argument("buckets", nargs="+")
    buckets.add_argument("--noncurrent-days", type=int, default=30)
    buckets.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)

    try:
        if args.command == "dump":
            if not args.db:
                parser.error("--db or DATABASE_URL is required")
            pg = Postgres(db=args.db, pg_exec=shlex.split(args.pg_exec))
            manifest = dump_create(pg=pg, out=args.out)
            print(f"{args.out / manifest.dump}: {manifest.bytes} bytes in {manifest.seconds} s")
            print(f"sha256 {manifest.sha256}")
            for name, count in manifest.main_rows().items():
                print(f"  {name}: {count}")
            print(f"{len(manifest.rows)} tables, {sum(manifest.rows.values())} rows")
        else:
            buckets_protect(
                client=s3_client(args.endpoint_url),
                buckets=args.buckets,
                noncurrent_days=args.noncurrent_days,
            )
            print(f"versioned, non-current versions kept {args.noncurrent_days} days "
                  f"({UPLOADS_PREFIX}: {UPLOADS_NONCURRENT_DAYS} day): "
                  + ", ".join(args.buckets))  # fmt: skip
    except BackupError as error:
        print(f"backup: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
