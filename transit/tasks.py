"""Thin Celery task of the GTFS import: take the run's id, import the service, call it."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    acks_late=True,  # import_run_execute claims the run first: a re-run does nothing
    reject_on_worker_lost=True,
    # A feed with millions of stop_times rows reads in about a minute; the run is taken
    # again only after services.STALE_AFTER, longer than this.
    time_limit=3600,
    soft_time_limit=3500,
)
def import_feed(run_id: int) -> bool:
    from transit.services import import_run_execute

    return import_run_execute(run_id=run_id)
