"""Backups and restores (deploy/backup.py, deploy/restore.py) and the restore drill.

The drill (bench/restore_drill.py) runs here on a small dataset: PostgreSQL at
127.0.0.1:5432 (role coverline, CREATEDB), a moto S3 server of its own, real photos.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.config.compose import resolve, services
from tests.conftest import service_missing
from tests.images import SHARED_PHOTOS
from tests.photos.test_s3 import moto_endpoint, s3  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
sys.path.insert(0, str(ROOT / "bench"))

from backup import (  # noqa: E402
    UPLOADS_PREFIX,
    Manifest,
    _copy_counts,
    buckets_protect,
    private_dir,
    private_open,
    url_with_db,
)
from restore import keys_read, objects_undelete  # noqa: E402

SERVER = "postgres://coverline:coverline@127.0.0.1:5432"


def _postgres_missing() -> str:
    for tool in ("pg_dump", "pg_restore", "psql"):
        if not shutil.which(tool):
            return tool
    try:
        import psycopg

        psycopg.connect(f"{SERVER}/postgres", connect_timeout=3).close()
    except Exception:
        return "PostgreSQL at 127.0.0.1:5432 (role coverline)"
    return ""


@pytest.fixture
def postgres() -> None:
    missing = _postgres_missing()
    if missing:
        service_missing(missing)


@pytest.fixture
def small_db(postgres: None) -> Iterator[str]:
    """A database of its own with two small tables; dropped afterwards with its restores."""
    import psycopg

    name = f"coverline_backup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(f"{SERVER}/{name}", autocommit=True) as conn:
        conn.execute("CREATE TABLE riders (id serial PRIMARY KEY, name text)")
        conn.execute("CREATE TABLE votes (id serial PRIMARY KEY)")
        conn.execute("INSERT INTO riders (name) VALUES ('Zoé'), (E'deux\\nlignes'), ('tab\tulé')")
    yield name
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        for (db,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{name}%"]
        ).fetchall():
            conn.execute(f"DROP DATABASE {db} WITH (FORCE)")


def _run(
    script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The laxest usual umask (files 0644, folders 0755), as on many servers."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def versioned(moto_endpoint: str) -> Iterator[tuple[Any, str]]:  # noqa: F811
    """A versioned bucket of its own on moto's server, and a client for it."""
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    bucket = f"restore-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    yield client, bucket
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in [*page.get("Versions", ()), *page.get("DeleteMarkers", ())]:
            client.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    client.delete_bucket(Bucket=bucket)


def _current(client: Any, bucket: str) -> set[str]:
    listed = client.list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", ())}


# A rider's photo lost by mistake (the restored database points at it), one erased on
# purpose (its row gone), a piece of an upload assembled since, and a photo never deleted.
LOST = "originals/lost.jpg"
ERASED = "originals/erased.jpg"
PIECE = "originals/uploads/8f3c/00000000"
KEPT = "originals/kept.jpg"


def _disaster(client: Any, bucket: str) -> datetime:
    for key in (LOST, ERASED, PIECE, KEPT):
        client.put_object(Bucket=bucket, Key=key, Body=b"photo")
    before = datetime.now(UTC) - timedelta(seconds=2)
    for key in (LOST, ERASED, PIECE):
        client.delete_object(Bucket=bucket, Key=key)
    return before


def test_it_pins_the_object_store_images_to_release_tags() -> None:
    for name in ("minio", "buckets"):
        image = resolve(services()[name]["image"])
        assert image.startswith("quay.io/minio/"), image
        assert ":RELEASE." in image and not image.endswith(":latest"), image


def test_it_versions_both_buckets_and_expires_old_versions_at_every_start() -> None:
    command = services()["buckets"]["command"][0]
    assert 'mc version enable "store/$$bucket"' in command
    assert "--noncurrent-expire-days" in command
    # Replaced, not added again at each start.
    assert command.index("ilm rule rm --all --force") < command.index("ilm rule add")


def test_it_expires_old_versions_of_upload_pieces_after_a_day_at_every_start() -> None:
    command = services()["buckets"]["command"][0]
    assert (
        f'mc ilm rule add --prefix "{UPLOADS_PREFIX}" --noncurrent-expire-days 1 '
        '"store/$$ORIGINALS_BUCKET"'
    ) in command
    assert command.index("ilm rule rm --all --force") < command.index(UPLOADS_PREFIX)


def test_it_makes_the_backup_folder_and_files_readable_by_their_owner_only(
    tmp_path: Path, open_umask: None
) -> None:
    out = tmp_path / "srv" / "backups"
    private_dir(out)
    (out / "old.dump").write_bytes(b"readable by all")
    (out / "old.dump").chmod(0o644)
    with private_open(out / "old.dump") as handle:
        handle.write(b"riders' e-mail addresses")

    assert _mode(out) == 0o700
    # A file left at the name is replaced, with the owner's permissions only.
    assert _mode(out / "old.dump") == 0o600
    assert (out / "old.dump").read_bytes() == b"riders' e-mail addresses"


def test_it_counts_each_tables_rows_as_the_dump_holds_them() -> None:
    lines = [
        "SET statement_timeout = 0;\n",
        "COPY public.riders (id, name) FROM stdin;\n",
        "1\tZoé\n",
        "2\tdeux\\nlignes\n",
        "\\.\n",
        "COPY public.votes (id) FROM stdin;\n",
        "\\.\n",
    ]
    assert _copy_counts(iter(lines)) == {"public.riders": 2, "public.votes": 0}


def test_it_names_another_database_on_the_same_server() -> None:
    assert url_with_db("postgres://u:p@db:5432/coverline?sslmode=require", "copy") == (
        "postgres://u:p@db:5432/copy?sslmode=require"
    )
    assert url_with_db("user=coverline dbname=coverline", "copy") == (
        "user=coverline dbname=coverline dbname=copy"
    )


@pytest.mark.postgres
def test_it_restores_a_dump_into_a_new_database_with_the_same_rows(
    small_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "backups"
    dumped = _run("backup.py", "dump", "--out", str(out), "--db", f"{SERVER}/{small_db}")
    assert dumped.returncode == 0, dumped.stderr
    (dump,) = out.glob("coverline-*.dump")
    manifest = Manifest.read(dump.with_suffix(".json"))
    assert manifest.rows == {"public.riders": 3, "public.votes": 0}
    # Every rider's e-mail is in there: nobody but the owner reads the folder or the files.
    assert _mode(out) == 0o700
    assert _mode(dump) == 0o600 and _mode(dump.with_suffix(".json")) == 0o600
    assert manifest.bytes == dump.stat().st_size

    restored = _run(
        "restore.py", "database", str(dump), "--server", f"{SERVER}/{small_db}",
        "--name", f"{small_db}_copy", "--manage", "",
    )  # fmt: skip
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "2 tables, 3 rows" in restored.stdout

    # Restoring over an existing database is refused: a restore never overwrites.
    again = _run(
        "restore.py", "database", str(dump), "--server", f"{SERVER}/{small_db}",
        "--name", f"{small_db}_copy", "--manage", "",
    )  # fmt: skip
    assert again.returncode == 1
    assert "exists already" in again.stderr


@pytest.mark.postgres
def test_it_refuses_a_dump_that_is_not_the_one_its_manifest_describes(
    small_db: str, tmp_path: Path
) -> None:
    dumped = _run("backup.py", "dump", "--out", str(tmp_path), "--db", f"{SERVER}/{small_db}")
    assert dumped.returncode == 0, dumped.stderr
    (dump,) = tmp_path.glob("coverline-*.dump")
    with dump.open("ab") as handle:
        handle.write(b"\0")
    restored = _run(
        "restore.py", "database", str(dump), "--server", f"{SERVER}/{small_db}",
        "--name", f"{small_db}_bad", "--manage", "",
    )  # fmt: skip
    assert restored.returncode == 1
    assert "sha256 differs" in restored.stderr


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.s3
def test_it_brings_back_the_database_and_the_deleted_photos_in_the_drill(
    postgres: None, tmp_path: Path
) -> None:
    if not (Path(sys.executable).parent / "moto_server").exists():
        service_missing("moto_server")
    if not SHARED_PHOTOS.is_dir():
        service_missing(f"the shared photos ({SHARED_PHOTOS})")
    from restore_drill import drill_run

    result = drill_run(entries=2, riders=2, workdir=tmp_path)

    assert result.ok, result.problems
    assert result.manifest is not None and result.restore is not None
    assert result.restore.rows == result.manifest.rows
    assert result.manifest.rows["public.photos_photo"] == 2
    # One photo's original and renditions were deleted; the audit saw each missing, and
    # each came back from its previous version.
    assert result.deleted and sorted(result.recovered) == sorted(result.deleted)
    assert result.audit_after_disaster is not None
    assert result.audit_after_disaster.missing == len(result.deleted)
    assert result.audit_after_recovery is not None
    assert result.audit_after_recovery.missing == 0
    assert result.served["gallery_status"] == 200
    assert result.served["gallery_missing"] == []
    assert result.served["rendition_size"][0] > 0


@pytest.mark.s3
def test_it_brings_back_only_the_files_the_restored_database_misses(
    versioned: tuple[Any, str], tmp_path: Path
) -> None:
    client, bucket = versioned
    since = _disaster(client, bucket)
    keys_file = tmp_path / "restored.missing-keys"
    keys_file.write_text(f"s3://{bucket}/{LOST}\ns3://other-bucket/{ERASED}\n")
    wanted, others = keys_read(keys_file, bucket=bucket)
    assert (wanted, others) == ([LOST], 1)

    assert objects_undelete(client=client, bucket=bucket, keys=wanted, dry_run=True) == [LOST]
    assert _current(client, bucket) == {KEPT}
    assert objects_undelete(client=client, bucket=bucket, keys=wanted, since=since) == [LOST]

    # The erased photo and the upload piece stay deleted.
    assert _current(client, bucket) == {KEPT, LOST}


@pytest.mark.s3
def test_it_never_brings_back_upload_pieces_even_with_all_since(
    versioned: tuple[Any, str],
) -> None:
    client, bucket = versioned
    since = _disaster(client, bucket)

    # A time without a timezone is UTC, not a TypeError.
    naive = since.replace(tzinfo=None)
    restored = objects_undelete(client=client, bucket=bucket, keys=None, since=naive)

    assert restored == [ERASED, LOST]
    assert _current(client, bucket) == {KEPT, LOST, ERASED}


@pytest.mark.s3
def test_it_restores_from_the_command_line_with_a_keys_file_or_a_naive_time(
    versioned: tuple[Any, str],
    moto_endpoint: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    client, bucket = versioned
    since = _disaster(client, bucket)
    keys_file = tmp_path / "restored.missing-keys"
    keys_file.write_text(f"s3://{bucket}/{LOST}\n")
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_S3_REGION_NAME": "us-east-1"}  # fmt: skip
    common = ["objects", "--bucket", bucket, "--endpoint-url", moto_endpoint]

    # One or the other: nothing is brought back without saying which.
    neither = _run("restore.py", *common, env=env)
    assert neither.returncode == 2
    assert "--keys-file" in neither.stderr

    naive = f"{since.replace(tzinfo=None):%Y-%m-%dT%H:%M:%S}"
    dry = _run("restore.py", *common, "--all-since", naive, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "WARNING" in dry.stderr
    assert dry.stdout.splitlines() == [ERASED, LOST, "2 objects to bring back"]

    done = _run("restore.py", *common, "--keys-file", str(keys_file), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [LOST, "1 objects brought back"]
    assert _current(client, bucket) == {KEPT, LOST}


@pytest.mark.s3
def test_it_gives_upload_pieces_a_one_day_lifecycle(versioned: tuple[Any, str]) -> None:
    client, bucket = versioned
    buckets_protect(client=client, buckets=[bucket], noncurrent_days=30)
    buckets_protect(client=client, buckets=[bucket], noncurrent_days=30)  # idempotent

    rules = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    expiries = {
        rule["Filter"].get("Prefix", ""): rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for rule in rules
    }
    assert expiries == {"": 30, UPLOADS_PREFIX: 1}


@pytest.mark.s3
@pytest.mark.django_db
def test_it_prints_where_each_missing_and_orphan_file_is_for_the_restore(
    s3: Any,  # noqa: F811
    ready_entry: Callable[..., Any],
) -> None:
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from photos.services import originals_storage
    from tests.photos.test_s3 import BUCKET

    entry = ready_entry(seed=41)
    originals_storage().delete(entry.photo.original)
    late = originals_storage().save("after-the-dump.jpg", ContentFile(b"x"))
    out = __import__("io").StringIO()

    call_command("storage_audit", "--keys", stdout=out)

    lines = out.getvalue().splitlines()
    assert f"missing key: s3://{BUCKET}/originals/{entry.photo.original}" in lines
    assert f"orphan key: s3://{BUCKET}/originals/{late}" in lines
