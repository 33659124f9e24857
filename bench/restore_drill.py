"""The restore drill (README "Backups"): back up, lose everything, restore, check; timed.

    .venv/bin/python bench/restore_drill.py [--entries 8] [--riders 30] [--keep]
    make restore-drill

Against PostgreSQL (127.0.0.1:5432, role coverline) and a moto S3 server of its own, with
both buckets versioned and given the lifecycle rule (deploy/backup.py buckets):

1. seeds a database of its own with a contest, riders and approved entries of real photos
   (bench/stack_seed.py: upload, renditions, a moderator's approval);
2. backs it up (deploy/backup.py: pg_dump -Fc and its manifest);
3. the disaster: the database is dropped, and the originals and renditions of half the
   photos are deleted from the buckets (a mistaken deletion: delete markers on top); at
   the same time a rider's erased original (no row) and an assembled upload's piece are
   deleted on purpose;
4. restores the dump into a new database (deploy/restore.py) and, from their previous
   versions, only the deleted objects its audit finds missing (their delete markers
   removed): the ones deleted on purpose stay deleted;
5. checks: the restored rows are the manifest's and the live database's, no migration is
   missing, storage_audit finds the deleted files missing before the object recovery and
   nothing missing after it, a restored photo's rendition is served and decodes (Pillow),
   and the gallery page answers with every photo.

Prints the timings and the result; exits non-zero when a check fails. Databases, moto and
the work folder are removed at the end (--keep keeps the folder, with the dump).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "deploy"))

from backup import Manifest, Postgres, buckets_protect, dump_create  # noqa: E402
from restore import (  # noqa: E402
    AuditResult,
    RestoreReport,
    dump_restore,
    keys_read,
    migrations_check,
    objects_undelete,
    rows_count,
    storage_check,
)
from stack import (  # noqa: E402
    MEDIA_BUCKET,
    ORIGINALS_BUCKET,
    POSTGRES,
    PYTHON,
    Stack,
    StackConfig,
    port_open,
    wait_for,
)

BIN = REPO / ".venv" / "bin"
# Real photos of several makers, formats and sizes (shared/data/photos/SOURCES.md).
DRILL_PHOTOS = [
    "jpeg_nokia8.3-5g_gps.jpg",
    "heic_iphone13promax_exif-orient6_irot.heic",
    "jpeg_pixel-hdrplus_orient6_extended-xmp_icc.jpg",
    "jpeg_xiaomi-mi9t_orient6.jpg",
    "jpeg_nokia-n70_iptc.jpg",
    "jpeg_orient3_landscape.jpg",
    "png_screenshot_transportr-departs-fr.png",
    "jpeg_iphone13mini_hdr-gainmap_mpo.jpg",
]
CONTEST = "exercice"


@dataclass
class DrillResult:
    entries: int = 0
    objects: int = 0
    object_bytes: int = 0
    manifest: Manifest | None = None
    restore: RestoreReport | None = None
    deleted: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    # Deleted on purpose at the same time (no row points at them): must stay deleted.
    deleted_on_purpose: list[str] = field(default_factory=list)
    audit_after_disaster: AuditResult | None = None
    audit_after_recovery: AuditResult | None = None
    served: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Drill:
    """The drill's own moto server, databases and work folder."""

    def __init__(self, *, workdir: Path | None = None, tag: str = "") -> None:
        tag = tag or f"{os.getpid()}_{datetime.now(UTC):%H%M%S}"
        self.source_db = f"coverline_drill_{tag}"
        self.restored_db = f"coverline_drill_{tag}_restored"
        self.stack = Stack(
            StackConfig(
                database=self.source_db,
                drop_at_stop=True,
                workdir=workdir,
                env={
                    # No broker or shared cache: the seeding's follow-up jobs are not what
                    # is drilled, and other runs use the shared Redis.
                    "CELERY_BROKER_URL": "memory://",
                    "CACHE_URL": "locmemcache://",
                    # Renditions' URLs name moto itself (no nginx in front here).
                    "AWS_S3_CUSTOM_DOMAIN": "",
                    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                    "SECURE_SSL_REDIRECT": "0",
                    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
                },
            )
        )
        self.workdir = self.stack.workdir
        self.server = Postgres(db=f"{POSTGRES}/postgres")

    def db_url(self, name: str) -> str:
        return f"{POSTGRES}/{name}"

    def env(self, database: str) -> dict[str, str]:
        return self.stack.env(DATABASE_URL=self.db_url(database))

    # -- life cycle -----------------------------------------------------------------------
    def __enter__(self) -> Drill:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.stack._spawn(
            "moto",
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.stack.moto_port)],
            {**os.environ},
        )
        wait_for(lambda: port_open(self.stack.moto_port), timeout=60, what="moto_server")
        # moto keeps its state for as long as it runs: start from nothing.
        reset = f"{self.stack.s3_url}/moto-api/reset"
        urllib.request.urlopen(urllib.request.Request(reset, method="POST"))  # noqa: S310
        s3 = self.stack.s3()
        for bucket in (MEDIA_BUCKET, ORIGINALS_BUCKET):
            s3.create_bucket(Bucket=bucket)
        buckets_protect(client=s3, buckets=[MEDIA_BUCKET, ORIGINALS_BUCKET], noncurrent_days=30)
        # media/ readable by anyone, as the compose file's `mc anonymous set download`.
        s3.put_bucket_policy(
            Bucket=MEDIA_BUCKET,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": ["s3:GetObject"],
                            "Resource": [f"arn:aws:s3:::{MEDIA_BUCKET}/media/*"],
                        }
                    ],
                }
            ),
        )
        self.stack._prepare_database()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.server.psql(f"DROP DATABASE IF EXISTS {self.restored_db} WITH (FORCE)")
        self.stack._drop_database()
        self.stack.stop_process("moto")

    # -- the steps ------------------------------------------------------------------------------
    def seed(self, *, entries: int, riders: int) -> list[str]:
        seeded = self.stack.seed(
            contest=CONTEST, riders=riders, public_entries=entries, photos=DRILL_PHOTOS
        )
        return list(seeded["public"])

    def stored(self) -> tuple[int, int]:
        """Current objects in both buckets, and their bytes."""
        count = size = 0
        s3 = self.stack.s3()
        for bucket in (MEDIA_BUCKET, ORIGINALS_BUCKET):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", ()):
                    count += 1
                    size += item["Size"]
        return count, size

    def disaster(self, public_ids: list[str]) -> list[str]:
        """Drops the database; deletes these photos' originals and renditions. The keys."""
        originals = self.stack.sql(
            "SELECT original FROM photos_photo WHERE public_id::text = ANY(%s)", [public_ids]
        )
        self.server.psql(f"DROP DATABASE {self.source_db} WITH (FORCE)")
        s3 = self.stack.s3()
        deleted = []
        for (name,) in originals:
            s3.delete_object(Bucket=ORIGINALS_BUCKET, Key=f"originals/{name}")
            deleted.append(f"{ORIGINALS_BUCKET}/originals/{name}")
        for public_id in public_ids:
            for key in self.stack.s3_keys(MEDIA_BUCKET, f"media/renditions/{public_id}/"):
                s3.delete_object(Bucket=MEDIA_BUCKET, Key=key)
                deleted.append(f"{MEDIA_BUCKET}/{key}")
        return deleted

    def delete_on_purpose(self) -> list[str]:
        """An erased rider's original and an assembled upload's piece: stored, deleted."""
        s3 = self.stack.s3()
        keys = [
            f"originals/erased-{os.getpid()}.jpg",
            f"originals/uploads/{os.getpid()}/00000000",
        ]
        for key in keys:
            s3.put_object(Bucket=ORIGINALS_BUCKET, Key=key, Body=b"x" * 1024)
            s3.delete_object(Bucket=ORIGINALS_BUCKET, Key=key)
        return [f"{ORIGINALS_BUCKET}/{key}" for key in keys]

    def current(self, place: str) -> bool:
        bucket, _, key = place.partition("/")
        try:
            self.stack.s3().head_object(Bucket=bucket, Key=key)
        except Exception:
            return False
        return True

    def verify(self, public_ids: list[str], restored: str) -> dict[str, Any]:
        """The gallery and a restored photo's rendition, seen by the app on the restored db."""
        done = subprocess.run(
            [str(PYTHON), __file__, "verify", json.dumps([CONTEST, public_ids, restored])],
            cwd=REPO,
            env=self.env(self.restored_db),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return {"error": done.stderr[-3000:]}
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def _objects_recover(drill: Drill, result: DrillResult, *, since: datetime) -> None:
    """The objects the restored database misses (its audit's keys file) back, and only them."""
    assert result.audit_after_disaster is not None
    missing_file, _orphan_file = result.audit_after_disaster.keys_write(
        drill.workdir, drill.restored_db
    )
    started = time.monotonic()
    s3 = drill.stack.s3()
    for bucket in (MEDIA_BUCKET, ORIGINALS_BUCKET):
        wanted, _others = keys_read(missing_file, bucket=bucket)
        keys = objects_undelete(client=s3, bucket=bucket, keys=wanted, since=since)
        result.recovered += [f"{bucket}/{key}" for key in keys]
    result.seconds["objects"] = time.monotonic() - started
    if sorted(result.recovered) != sorted(result.deleted):
        result.problems.append("the objects brought back are not the ones deleted")
    back = [place for place in result.deleted_on_purpose if drill.current(place)]
    if back:
        result.problems.append(f"deleted on purpose, yet brought back: {back}")


def drill_run(*, entries: int, riders: int, workdir: Path | None = None) -> DrillResult:
    result = DrillResult()
    seconds = result.seconds
    started = time.monotonic()
    with Drill(workdir=workdir) as drill:
        seconds["setup"] = time.monotonic() - started
        started = time.monotonic()
        public_ids = drill.seed(entries=entries, riders=riders)
        seconds["seed"] = time.monotonic() - started
        result.entries = len(public_ids)
        result.objects, result.object_bytes = drill.stored()
        source = Postgres(db=drill.db_url(drill.source_db))

        started = time.monotonic()
        manifest = dump_create(pg=source, out=drill.workdir / "backups")
        seconds["dump"] = time.monotonic() - started
        result.manifest = manifest
        live = rows_count(pg=source, db=source.db, tables=list(manifest.rows))
        if live != manifest.rows:
            result.problems.append("the manifest's counts are not the live database's")

        lost = public_ids[: max(1, len(public_ids) // 2)]
        disaster_at = datetime.now(UTC) - timedelta(seconds=1)
        result.deleted = drill.disaster(lost)
        result.deleted_on_purpose = drill.delete_on_purpose()

        started = time.monotonic()
        dump = drill.workdir / "backups" / manifest.dump
        report = dump_restore(pg=drill.server, dump=dump, manifest=manifest, name=drill.restored_db)
        seconds["restore"] = time.monotonic() - started
        result.restore = report
        if report.mismatches:
            result.problems.append(f"row counts differ: {report.mismatches}")
        env = drill.env(drill.restored_db)
        manage = [str(PYTHON), "manage.py"]
        report.migrations_ok, report.migrations_output = migrations_check(manage=manage, env=env)
        if not report.migrations_ok:
            result.problems.append("migrate --check: migrations missing")

        result.audit_after_disaster = storage_check(manage=manage, env=env)
        if result.audit_after_disaster.missing != len(result.deleted):
            result.problems.append(
                f"storage_audit saw {result.audit_after_disaster.missing} missing files "
                f"after the disaster, {len(result.deleted)} were deleted"
            )

        _objects_recover(drill, result, since=disaster_at)

        started = time.monotonic()
        result.audit_after_recovery = storage_check(manage=manage, env=env)
        seconds["audit"] = time.monotonic() - started
        if result.audit_after_recovery.missing or result.audit_after_recovery.orphans:
            result.problems.append(f"storage_audit: {result.audit_after_recovery.output}")

        result.served = drill.verify(public_ids, lost[0])
        if result.served.get("error"):
            result.problems.append(f"the site check failed: {result.served['error']}")
        else:
            if result.served["gallery_status"] != 200:
                result.problems.append(f"gallery answered {result.served['gallery_status']}")
            if result.served["gallery_missing"]:
                result.problems.append(f"not in the gallery: {result.served['gallery_missing']}")
            if not result.served.get("rendition_size"):
                result.problems.append("the restored photo's rendition did not decode")
    return result


def verify(contest: str, public_ids: list[str], restored: str) -> dict[str, Any]:
    """In the app's environment (the restored database): the pages and a rendition."""

    import django

    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.test import Client
    from PIL import Image

    from photos.models import Rendition

    client = Client()
    gallery = client.get(f"/concours/{contest}/galerie/")
    body = gallery.content.decode()
    photo_page = client.get(f"/photo/{restored}/")
    rendition = Rendition.objects.filter(photo__public_id=restored).order_by("-width").first()
    result: dict[str, Any] = {
        "gallery_status": gallery.status_code,
        "gallery_missing": [pid for pid in public_ids if pid not in body],
        "photo_status": photo_page.status_code,
    }
    if rendition is not None:
        url = rendition.file.url
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - moto
            data = response.read()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            result.update(
                rendition_url=url,
                rendition_bytes=len(data),
                rendition_format=image.format,
                rendition_size=list(image.size),
            )
    return result


def _print(result: DrillResult) -> None:
    manifest, report = result.manifest, result.restore
    print(f"restore drill, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, PostgreSQL + moto S3")
    print(
        f"setup: moto, buckets versioned, a new database migrated in "
        f"{result.seconds.get('setup', 0):.1f} s"
    )
    print(f"seeded: {result.entries} approved entries of real photos in "
          f"{result.seconds.get('seed', 0):.1f} s; {result.objects} objects, "
          f"{result.object_bytes / 1e6:.1f} MB in the buckets")  # fmt: skip
    if manifest:
        print(f"dump: {manifest.bytes / 1e3:.0f} kB, {len(manifest.rows)} tables, "
              f"{sum(manifest.rows.values())} rows, pg_dump {manifest.seconds:.2f} s "
              f"(with the manifest {result.seconds['dump']:.2f} s)")  # fmt: skip
        for table, count in manifest.main_rows().items():
            restored = report.rows.get(table) if report else None
            print(f"  {table}: {count} -> {restored}")
    if report:
        print(f"restore: pg_restore into a new database and the counts in "
              f"{result.seconds.get('restore', 0):.2f} s (pg_restore {report.seconds:.2f} s); "
              f"migrate --check {'ok' if report.migrations_ok else 'FAILED'}")  # fmt: skip
    if result.audit_after_disaster:
        print(f"disaster: database dropped, {len(result.deleted)} objects deleted; "
              f"storage_audit then: {result.audit_after_disaster.missing} missing")  # fmt: skip
    if "objects" in result.seconds:
        print(f"objects: {len(result.recovered)} brought back from their previous versions "
              f"in {result.seconds['objects']:.2f} s (the audit's missing keys); "
              f"{len(result.deleted_on_purpose)} deleted on purpose left deleted")  # fmt: skip
    if result.audit_after_recovery:
        print(f"storage_audit after: {result.audit_after_recovery.output.splitlines()[-1]} "
              f"({result.seconds['audit']:.1f} s)")  # fmt: skip
    served = result.served
    if served and not served.get("error"):
        print(f"site: gallery {served['gallery_status']} with "
              f"{result.entries - len(served['gallery_missing'])}/{result.entries} photos, "
              f"photo page {served['photo_status']}; restored rendition "
              f"{served.get('rendition_format')} {served.get('rendition_size')} "
              f"({served.get('rendition_bytes')} bytes) served and decoded")  # fmt: skip
    print("RESULT: " + ("ok" if result.ok else "FAILED"))
    for problem in result.problems:
        print(f"  - {problem}")


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "verify":
        contest, public_ids, restored = json.loads(sys.argv[2])
        print(json.dumps(verify(contest, public_ids, restored)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=8, help="approved entries (photos)")
    parser.add_argument("--riders", type=int, default=30, help="riders with a session")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (the dump)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="coverline-drill-"))
    try:
        result = drill_run(entries=args.entries, riders=args.riders, workdir=workdir)
        _print(result)
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
