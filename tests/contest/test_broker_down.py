"""An upload while the broker is unreachable: the database is the source of truth.

A real Redis is started, then stopped, and the rider uploads through the real view on
PostgreSQL with committed transactions, as in production.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from contest.models import Contest, Entry
from photos.models import Photo
from photos.services import originals_storage, photos_requeue_stuck
from tests.conftest import _forget_connections, service_missing
from tests.http import csrf_post, upload_data
from tests.images import upload

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Broker:
    """A Redis of this test's own, that the test can stop and start again."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def queued(self) -> int:
        """Messages waiting in every queue (a photo's job goes to the renditions queue)."""
        client = redis.Redis(port=self.port)
        return sum(int(client.llen(queue.name)) for queue in app.conf.task_queues)


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Broker]:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    if not shutil.which("redis-server"):
        service_missing("redis-server")
    broker = Broker()
    broker.start()
    saved = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)
    app.conf.broker_url = broker.url
    _forget_connections()
    try:
        yield broker
    finally:
        broker.stop()
        app.conf.broker_url = saved
        _forget_connections()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_an_upload_sent_while_the_broker_is_down(
    broker: Broker, contest: Contest, entrant_client: Client
) -> None:
    broker.stop()
    url = reverse("contest:upload", args=[contest.slug])
    response = csrf_post(
        entrant_client,
        url,
        upload_data((upload(seed=11), "Le quai", "Un quai de tram.", contest.themes.first())),
    )
    # The rider is told the photo is received, as on any other day.
    assert response.status_code == 302
    assert response["Location"] == reverse("contest:my_entries", args=[contest.slug])
    page = entrant_client.get(response["Location"]).content.decode()
    assert "Reçue" in page

    entry = Entry.objects.select_related("photo").get()
    assert entry.photo.status == Photo.Status.RECEIVED
    assert originals_storage().exists(entry.photo.original)

    # Once the broker is back, the sweep sends the job that was never sent.
    broker.start()
    Photo.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert photos_requeue_stuck() == 1
    assert broker.queued() == 1


@pytest.mark.django_db(transaction=True)
def test_it_counts_the_photo_kept_during_the_outage_so_it_is_not_taken_twice(
    broker: Broker, contest: Contest, entrant_client: Client
) -> None:
    """The photo kept during the outage still counts: sending it again is refused as a
    duplicate, not accepted twice, and the one entry stays usable."""
    broker.stop()
    url = reverse("contest:upload", args=[contest.slug])
    data = (upload(seed=12), "Le quai", "Un quai de tram.", contest.themes.first())
    csrf_post(entrant_client, url, upload_data(data))
    again = csrf_post(
        entrant_client,
        url,
        upload_data((upload(seed=12), "Le quai", "Un quai de tram.", contest.themes.first())),
    )
    assert again.status_code == 400
    assert Entry.objects.count() == 1
    assert Photo.objects.get().status == Photo.Status.RECEIVED
