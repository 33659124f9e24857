"""Thin Celery tasks of the jury: the sweeps beat runs."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def sync_withdrawn_entries() -> int:
    from jury.services import rounds_sync_withdrawn

    return rounds_sync_withdrawn()


@shared_task(ignore_result=True)
def remind_jurors() -> int:
    from jury.services import jurors_remind

    return jurors_remind()
