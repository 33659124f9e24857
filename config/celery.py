"""The Celery app: configured from Django settings (CELERY_* names)."""

import os
from pathlib import Path
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Every task enqueues after commit the same way, and never raises a broker error there.
app = Celery("coverline", task_cls="core.tasks:OnCommitTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def check_database(**_kwargs: Any) -> None:
    """Refuse to start a worker that cannot reach the database.

    Otherwise it reports ready, takes tasks, fails them and (acks_late or not) loses its
    place in the queue: better that the orchestrator sees it die at once.
    """
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:
        # SystemExit, since Celery logs and swallows ordinary exceptions from signal handlers.
        raise SystemExit(f"coverline worker: the database is unreachable ({exc})") from exc
    finally:
        connection.close()


@signals.worker_ready.connect
def mark_ready(**_kwargs: Any) -> None:
    """Touches COVERLINE_WORKER_READY_FILE, when set, once the worker takes tasks.

    `make run` waits for it before printing the logins, so that they come after the
    worker's banner instead of being buried under it.
    """
    ready_file = os.environ.get("COVERLINE_WORKER_READY_FILE")
    if ready_file:
        Path(ready_file).touch()
