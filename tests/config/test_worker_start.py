"""The Celery worker as the operator starts it: a real process, a real broker folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _worker_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "worker-test",
            "CELERY_BROKER_URL": "filesystem://localhost/",
            "COVERLINE_VAR_DIR": str(tmp_path),
        }
    )
    for folder in ("broker/queue", "broker/control"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    return env


def test_it_refuses_to_start_a_worker_whose_database_is_unreachable(tmp_path: Path) -> None:
    # A port where nothing listens: the worker must stop at once instead of taking tasks
    # that it can only fail.
    env = _worker_env(tmp_path, "postgres://nobody:x@127.0.0.1:9/nowhere")
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "INFO"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "database is unreachable" in done.stdout + done.stderr
    assert "ready." not in done.stdout + done.stderr


def test_it_starts_a_worker_whose_database_answers(tmp_path: Path) -> None:
    env = _worker_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "INFO"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = ""
        for line in process.stdout:
            seen += line
            if "ready." in line or len(seen) > 50_000:
                break
        assert "ready." in seen, seen
    finally:
        process.terminate()
        process.wait(timeout=30)
