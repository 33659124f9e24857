"""Thin Celery tasks of the photo worker: take an id, import the service, call it."""

from __future__ import annotations

from celery import shared_task

from photos.errors import StorageUnavailable


@shared_task(
    acks_late=True,  # only because photo_process makes just what is missing
    reject_on_worker_lost=True,
    autoretry_for=(StorageUnavailable,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
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
