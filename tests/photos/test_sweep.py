"""The stuck-photo sweep against a real broker: it sends again what was lost, not what waits.

Issue 12: under a backlog, photos merely waiting their turn were sent a second time. The
sweep now asks the broker how many messages wait in the renditions queue; these tests fill
or empty that queue in a real Redis (REDIS_TEST_URL, a database of its own) and in the dev
run's filesystem broker, with no worker consuming it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.utils import timezone

from config.celery import app
from photos.models import Photo
from photos.services import photos_requeue_stuck
from photos.tasks import process_photo
from tests.conftest import _forget_connections, service_missing

pytestmark = pytest.mark.django_db

QUEUE = "renditions"


@pytest.fixture
def use_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Points the app at another broker for the test; the usual one is back afterwards."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options)

    def use(url: str, options: dict[str, Any] | None = None) -> None:
        # Celery reads CELERY_BROKER_URL from the environment before its own settings.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url = url
        app.conf.broker_transport_options = options or {}
        _forget_connections()

    yield use
    app.conf.broker_url, app.conf.broker_transport_options = saved
    _forget_connections()


@pytest.fixture
def broker(use_broker: Callable[..., None]) -> Iterator[redis.Redis]:
    """The app's broker is an empty Redis database; nothing consumes it."""
    url = os.environ.get("REDIS_TEST_URL", "")
    if not url:
        service_missing("Redis (REDIS_TEST_URL)")
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.RedisError:
        service_missing(f"Redis at {url}")
    use_broker(url)
    yield client
    client.flushdb()


def queued_photo_ids(client: redis.Redis) -> list[int]:
    """The photo of each message waiting in the renditions queue, oldest first."""
    ids = []
    for raw in reversed(client.lrange(QUEUE, 0, -1)):  # LPUSH in, RPOP out
        envelope = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        ids.append(int(args[0]))
    return ids


def stale(photo: Photo, *, status: str = Photo.Status.RECEIVED, minutes: int = 10) -> datetime:
    """As if the photo had not moved for `minutes` (PHOTO_STUCK_AFTER is 5)."""
    when = timezone.now() - timedelta(minutes=minutes)
    Photo.objects.filter(pk=photo.pk).update(status=status, updated_at=when)
    return when


def sweep(capture: Callable[..., Any]) -> int:
    with capture(execute=True):
        return photos_requeue_stuck()


def updated_at(photo: Photo) -> datetime:
    return Photo.objects.values_list("updated_at", flat=True).get(pk=photo.pk)


@pytest.mark.redis
def test_it_leaves_photos_waiting_their_turn_behind_a_backlog(
    broker: redis.Redis,
    make_photo: Callable[..., Photo],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    photos = [make_photo(seed=seed) for seed in range(3)]
    for photo in photos:
        process_photo.delay(photo.pk)
    waited = [stale(photo, minutes=10 + i) for i, photo in enumerate(photos)]

    assert sweep(django_capture_on_commit_callbacks) == 0
    assert sweep(django_capture_on_commit_callbacks) == 0

    assert queued_photo_ids(broker) == [photo.pk for photo in photos]
    assert [updated_at(photo) for photo in photos] == waited


@pytest.mark.redis
def test_it_sends_once_again_a_photo_whose_message_was_lost(
    broker: redis.Redis,
    make_photo: Callable[..., Photo],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    lost = make_photo(seed=1)
    just_sent = make_photo(seed=2)  # its message was lost too, but it is not stale yet
    stale(lost)

    assert sweep(django_capture_on_commit_callbacks) == 1
    assert queued_photo_ids(broker) == [lost.pk]
    # Its new message waits in the queue now: the next sweeps leave it alone.
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert queued_photo_ids(broker) == [lost.pk]
    assert just_sent.pk not in queued_photo_ids(broker)
    assert Photo.objects.get(pk=lost.pk).status == Photo.Status.RECEIVED


@pytest.mark.redis
def test_it_sends_the_oldest_photos_beyond_the_messages_that_wait(
    broker: redis.Redis,
    make_photo: Callable[..., Photo],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Redis emptied, then a new upload queued: one message waits for three stale photos,
    so at least two lost theirs: the two oldest (the queue is first in, first out)."""
    oldest, older, newer = (make_photo(seed=seed) for seed in range(3))
    stale(oldest, minutes=30)
    stale(older, minutes=20)
    stale(newer, minutes=10)
    process_photo.delay(newer.pk)

    assert sweep(django_capture_on_commit_callbacks) == 2
    assert queued_photo_ids(broker) == [newer.pk, oldest.pk, older.pk]


@pytest.mark.redis
def test_it_sends_again_a_photo_still_processing_past_the_time_limit_even_behind_a_backlog(
    broker: redis.Redis,
    make_photo: Callable[..., Photo],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Its worker died mid-job (the task's hard limit is 3 minutes); the queue is irrelevant."""
    waiting = [make_photo(seed=seed) for seed in range(2)]
    for photo in waiting:
        process_photo.delay(photo.pk)
        stale(photo)
    orphan = make_photo(seed=3)
    Photo.objects.filter(pk=orphan.pk).update(attempts=1)
    stale(orphan, status=Photo.Status.PROCESSING, minutes=6)
    hopeless = make_photo(seed=4)
    Photo.objects.filter(pk=hopeless.pk).update(attempts=3)
    stale(hopeless, status=Photo.Status.PROCESSING)
    busy = make_photo(seed=5)  # within its time limit
    stale(busy, status=Photo.Status.PROCESSING, minutes=2)

    assert sweep(django_capture_on_commit_callbacks) == 1
    assert queued_photo_ids(broker) == [*(photo.pk for photo in waiting), orphan.pk]
    assert (Photo.objects.get(pk=hopeless.pk).failure, Photo.objects.get(pk=busy.pk).status) == (
        Photo.Failure.GAVE_UP,
        Photo.Status.PROCESSING,
    )
    assert sweep(django_capture_on_commit_callbacks) == 0


def test_it_sends_nothing_and_raises_nothing_while_the_broker_is_down(
    use_broker: Callable[..., None],
    make_photo: Callable[..., Photo],
    django_capture_on_commit_callbacks: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    use_broker(f"redis://127.0.0.1:{port}/0")
    received, processing = make_photo(seed=1), make_photo(seed=2)
    waited = [stale(received), stale(processing, status=Photo.Status.PROCESSING)]

    with caplog.at_level(logging.WARNING, logger="photos.services"):
        assert sweep(django_capture_on_commit_callbacks) == 0

    # Untouched: the next sweep, with the broker back, sends them at once.
    assert [updated_at(received), updated_at(processing)] == waited
    assert "the broker did not answer" in caplog.text


def test_it_counts_the_backlog_of_the_dev_runs_filesystem_broker(
    use_broker: Callable[..., None],
    tmp_path: Path,
    make_photo: Callable[..., Photo],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    use_broker(
        "filesystem://localhost/",
        {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            # Kombu's default is ./control, in the work tree.
            "control_folder": str(tmp_path / "control"),
        },
    )
    waiting, lost = make_photo(seed=1), make_photo(seed=2)
    process_photo.delay(waiting.pk)
    stale(waiting, minutes=10)
    stale(lost, minutes=20)

    # One message waits, for two stale photos: only the older one goes again.
    assert sweep(django_capture_on_commit_callbacks) == 1
    assert updated_at(lost) > updated_at(waiting)
    assert len(list(folder.glob(f"*.{QUEUE}.msg"))) == 2


def test_the_sweep_never_waits_behind_the_queue_it_watches(settings: Any) -> None:
    def queue_of(task: str) -> str:
        return str(app.amqp.router.route({}, task)["queue"].name)

    assert queue_of("photos.tasks.requeue_stuck_photos") == settings.QUEUE_NAMES["default"]
    assert queue_of("photos.tasks.process_photo") == settings.QUEUE_NAMES["renditions"]
