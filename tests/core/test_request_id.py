"""Request ids: from the proxy or made here, on the response, in the logs and in the tasks."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from config.celery import REQUEST_ID_HEADER, app
from core.logging import RequestIdFilter
from core.middleware import RequestIdMiddleware

pytestmark = pytest.mark.django_db

PROXY_ID = "3f2b9c0e8a7d4e1f9b6a5c4d3e2f1a0b"  # as nginx's $request_id looks


class Collected(logging.Handler):
    """Keeps the records it sees, with the request id the settings' filter gives them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected() -> Iterator[Collected]:
    handler = Collected()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_it_passes_on_the_proxys_request_id(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=PROXY_ID)
    assert response["X-Request-ID"] == PROXY_ID


@pytest.mark.parametrize(
    "sent", ["", "short", "a" * 65, "id with spaces and more", 'x"}\n{"level":"CRITICAL"']
)
def test_it_replaces_a_malformed_request_id_with_its_own(client: Client, sent: str) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] != sent
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_gets_an_id_of_its_own(client: Client) -> None:
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_it_writes_the_request_id_in_json_log_lines(tmp_path: Path) -> None:
    """The settings as production has them (LOG_FORMAT=json), in a process of their own."""
    script = f"""
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
response = Client().get("/healthz", HTTP_X_REQUEST_ID="{PROXY_ID}")
print("status", response.status_code)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "json-log-test",
            "LOG_FORMAT": "json",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
            "COVERLINE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            # A closed port: the failed check logs a warning within the request.
            "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "status 503" in done.stdout
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    broker = [line for line in lines if "broker failed" in line["message"]]
    assert broker, done.stderr
    assert broker[0]["request_id"] == PROXY_ID
    assert broker[0]["level"] == "WARNING"
    assert broker[0]["logger"] == "core.health"


def test_a_task_applied_with_the_header_logs_the_requests_id(collected: Collected) -> None:
    @app.task(name="tests.core.log_something", shared=False)
    def log_something() -> None:
        logging.getLogger("tests.core").warning("in the task")

    log_something.apply(headers={REQUEST_ID_HEADER: PROXY_ID})
    record = next(r for r in collected.records if r.getMessage() == "in the task")
    assert record.request_id == PROXY_ID  # type: ignore[attr-defined]


@app.task(name="tests.core.log_in_a_task")
def log_in_a_task(text: str) -> None:
    # Registered at import, before any worker starts, so the test worker knows it.
    logging.getLogger("tests.core").warning(text)


def test_a_real_worker_logs_the_id_of_the_request_that_enqueued_its_task(
    redis_worker: None, collected: Collected
) -> None:
    """A request enqueues a task; the worker (Redis, a real consumer) logs with its id."""

    def view(request: HttpRequest) -> HttpResponse:
        log_in_a_task.delay("enqueued by a request")
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID=PROXY_ID))
    assert response["X-Request-ID"] == PROXY_ID

    def logged() -> list[logging.LogRecord]:
        return [r for r in collected.records if r.getMessage() == "enqueued by a request"]

    for _ in range(100):
        if logged():
            break
        time.sleep(0.1)
    assert [r.request_id for r in logged()] == [PROXY_ID]  # type: ignore[attr-defined]
    assert logged()[0].threadName != threading.current_thread().name  # the worker's thread


def test_djangos_own_records_of_the_request_carry_its_id_and_later_ones_do_not(
    client: Client, collected: Collected
) -> None:
    client.get("/no-such-page/", HTTP_X_REQUEST_ID=PROXY_ID)
    # "Not Found: ..." is logged by Django after every middleware has returned.
    (not_found,) = [r for r in collected.records if r.name == "django.request"]
    assert not_found.request_id == PROXY_ID  # type: ignore[attr-defined]
    logging.getLogger("tests.core").warning("afterwards")
    after = next(r for r in collected.records if r.getMessage() == "afterwards")
    assert after.request_id == "-"  # type: ignore[attr-defined]
