"""Thin Celery tasks of the photo worker: take an id, import the service, call it."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from photos.errors import StorageUnavailable


@shared_task(
    acks_late=True,  # only because photo_process makes just what is missing
    reject_on_worker_lost=True,
    # Storage and database outages last minutes: 1, 2, 4, 8 then every 10 minutes, about an
    # hour in all, without jitter so that no retry comes at once. After that the photo waits
    # in "received" and the stuck-photo sweep sends it again. (Celery's Django fixup closes
    # a broken database connection before the next run.)
    autoretry_for=(StorageUnavailable, OperationalError, InterfaceError),
    retry_backoff=60,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=8,
    time_limit=180,
    soft_time_limit=150,
)
def process_photo(photo_id: int) -> None:
    from photos.services import photo_process

    photo_process(photo_id=photo_id)


@shared_task(ignore_result=True)
def requeue_stuck_photos() -> int:
    from photos.services import photos_requeue_stuck

    return photos_requeue_stuck()
