"""Backups and restores (deploy/backup.py, deploy/restore.py) and the restore drill.

The drill (bench/restore_drill.py) runs here on a small dataset: PostgreSQL at
127.0.0.1:5432 (role coverline, CREATEDB), a moto S3 server of its own, real photos.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.config.compose import resolve, services
from tests.conftest import service_missing
from tests.images import SHARED_PHOTOS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
sys.path.insert(0, str(ROOT / "bench"))

from backup import Manifest, _copy_counts, url_with_db  # noqa: E402

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


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


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
    dumped = _run("backup.py", "dump", "--out", str(tmp_path), "--db", f"{SERVER}/{small_db}")
    assert dumped.returncode == 0, dumped.stderr
    (dump,) = tmp_path.glob("coverline-*.dump")
    manifest = Manifest.read(dump.with_suffix(".json"))
    assert manifest.rows == {"public.riders": 3, "public.votes": 0}
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
