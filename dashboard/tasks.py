"""Thin Celery tasks of the dashboard: its summary, kept every minute by beat.

The dashboard only reads the other apps' rows; these tasks write its own summary tables
(dashboard.models) through dashboard.services, and nothing else.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def refresh_summaries() -> int:
    """Beat, every minute: one refresh per contest that is due, each in a task of its own."""
    from dashboard.services import summaries_due

    due = summaries_due()
    for contest_id in due:
        refresh_summary.delay(contest_id)
    return len(due)


# Idempotent (each hour is counted again whole), so a redelivery after a crash is harmless.
@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=170, soft_time_limit=150)
def refresh_summary(contest_id: int, full: bool = False) -> None:
    from dashboard.services import summary_refresh

    summary_refresh(contest_id=contest_id, full=full)
