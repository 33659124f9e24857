"""The pipeline through a real Celery worker consuming from a real Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from config.celery import app
from photos.models import Photo, Rendition
from photos.tasks import process_photo

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _wait_for(photo: Photo, *statuses: str, timeout: float = 60) -> Photo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        photo.refresh_from_db()
        if photo.status in statuses:
            return photo
        time.sleep(0.2)
    raise AssertionError(f"photo stayed {photo.status}")


def test_it_processes_a_photo_enqueued_on_commit(
    redis_worker: None, make_photo: Callable[..., Photo], all_renditions: set[tuple[str, str]]
) -> None:
    from django.db import transaction

    with transaction.atomic():
        photo = make_photo(seed=1)
        process_photo.delay_on_commit(photo.pk)
    photo = _wait_for(photo, Photo.Status.READY, Photo.Status.FAILED)
    assert photo.status == Photo.Status.READY
    assert {(r.spec, r.format) for r in photo.renditions.all()} == all_renditions


def test_it_does_no_harm_when_the_job_runs_twice(
    redis_worker: None, make_photo: Callable[..., Photo]
) -> None:
    photo = make_photo(seed=2)
    process_photo.delay(photo.pk)
    process_photo.delay(photo.pk)
    _wait_for(photo, Photo.Status.READY)
    # Let the second message be consumed too.
    deadline = time.monotonic() + 10
    with app.connection_for_write() as connection:
        assert connection.transport_cls == "redis" or "redis" in connection.as_uri()
        queue = connection.default_channel.client
        while time.monotonic() < deadline and queue.llen("celery"):
            time.sleep(0.2)
    time.sleep(1)
    photo.refresh_from_db()
    assert Rendition.objects.filter(photo=photo).count() == 5
    assert photo.attempts == 1


def test_it_records_a_final_failure_for_a_corrupt_photo(
    redis_worker: None, make_photo: Callable[..., Photo]
) -> None:
    from tests.images import photo_bytes

    data = photo_bytes(1600, 1200, seed=4)
    photo = make_photo(data[: len(data) // 3])
    process_photo.delay(photo.pk)
    photo = _wait_for(photo, Photo.Status.FAILED, Photo.Status.READY)
    assert (photo.status, photo.failure) == (Photo.Status.FAILED, "corrupt")
    assert photo.attempts == 1


def test_it_redoes_the_job_of_a_crashed_worker(
    redis_worker: None, make_photo: Callable[..., Photo]
) -> None:
    """A worker died mid-job: the photo is stuck in processing; the sweep sends it again."""
    from datetime import timedelta

    from django.utils import timezone

    from photos.tasks import requeue_stuck_photos

    photo = make_photo(seed=5)
    Photo.objects.filter(pk=photo.pk).update(
        status=Photo.Status.PROCESSING, attempts=1, updated_at=timezone.now() - timedelta(hours=1)
    )
    requeue_stuck_photos.delay()
    photo = _wait_for(photo, Photo.Status.READY, Photo.Status.FAILED)
    assert photo.status == Photo.Status.READY
    assert photo.attempts == 2
