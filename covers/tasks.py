"""Thin Celery tasks of the covers: take ids, import the service, call it."""

from __future__ import annotations

from celery import shared_task

from photos.errors import StorageUnavailable

# Both services make only what is missing, so a redelivered job is harmless: acks_late.
_IDEMPOTENT: dict[str, object] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (StorageUnavailable, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": False,
    "max_retries": 6,
}


@shared_task(time_limit=120, soft_time_limit=100, **_IDEMPOTENT)  # type: ignore[call-overload]
def prepare_cover(guide_id: int, entry_id: int) -> None:
    from covers.services import cover_prepare

    cover_prepare(guide_id=guide_id, entry_id=entry_id)


# Print packages decode full originals: routed to their own queue (CELERY_TASK_ROUTES), so a
# big build never holds up the photos riders are waiting for (README, "Workers").
@shared_task(time_limit=900, soft_time_limit=840, **_IDEMPOTENT)  # type: ignore[call-overload]
def build_package(package_id: int) -> None:
    from covers.services import package_build

    package_build(package_id=package_id)


@shared_task(ignore_result=True)
def requeue_covers() -> int:
    from covers.services import mockups_requeue

    return mockups_requeue()
