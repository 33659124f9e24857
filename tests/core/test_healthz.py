"""/healthz: 200 when the database, the broker and the storage answer, 503 naming the failure."""

from __future__ import annotations

import socket
import time

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_it_answers_ok_when_every_dependency_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_naming_the_broker_when_redis_is_unreachable(
    client: Client, settings: object
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"  # type: ignore[attr-defined]
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "checks": {"database": "ok", "broker": "error", "storage": "ok"},
        "failed": ["broker"],
    }
    assert time.monotonic() - started < 5  # no retry loop


def test_it_answers_timeout_for_a_broker_that_never_answers(
    client: Client, settings: object
) -> None:
    # A listening socket that never speaks: the connection opens, the PING gets no answer.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"  # type: ignore[attr-defined]
        settings.HEALTH_CHECK_TIMEOUT = 0.5  # type: ignore[attr-defined]
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert response.json()["checks"]["broker"] in ("timeout", "error")
    assert elapsed < 2


def test_it_names_the_storage_when_it_fails(client: Client, settings: object) -> None:
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "nowhere",
                "endpoint_url": f"http://127.0.0.1:{closed_port()}",
                "access_key": "x",
                "secret_key": "x",
                "region_name": "eu-west-3",
            },
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_it_needs_no_login_and_takes_no_post(client: Client) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
