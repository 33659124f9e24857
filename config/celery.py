"""The Celery app: configured from Django settings (CELERY_* names)."""

import os
from contextvars import Token
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


# The request id (core.logging) travels with the tasks a request enqueues: a message header
# set as the message leaves, restored in the worker around the task, so the task's log
# records carry the id of the request that asked for it.
REQUEST_ID_HEADER = "coverline_request_id"
_task_request_ids: dict[str, Token[str | None]] = {}


@signals.before_task_publish.connect
def add_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    from core.logging import current_request_id

    request_id = current_request_id.get()
    if headers is not None and request_id and not headers.get(REQUEST_ID_HEADER):
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect
def restore_request_id(task_id: str = "", task: Any = None, **_kwargs: Any) -> None:
    from core.logging import current_request_id, valid_request_id

    # A worker puts a message's own headers on the request; apply() keeps them in .headers.
    headers = task.request.headers or {}
    request_id = valid_request_id(
        getattr(task.request, REQUEST_ID_HEADER, None) or headers.get(REQUEST_ID_HEADER)
    )
    # A task that a request did not enqueue (beat, a retry of one) is named by its own id.
    _task_request_ids[task_id] = current_request_id.set(request_id or f"task-{task_id}")


@signals.task_postrun.connect
def forget_request_id(task_id: str = "", **_kwargs: Any) -> None:
    from core.logging import current_request_id

    token = _task_request_ids.pop(task_id, None)
    if token is not None:
        current_request_id.reset(token)
