"""Thin Celery tasks of contest: the sweeps beat runs."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True, time_limit=1800, soft_time_limit=1700)
def run_retention() -> int:
    from contest.retention import retention_run

    return retention_run().originals_removed


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def sweep_tus_uploads() -> int:
    from contest.resumable import tus_uploads_sweep

    return tus_uploads_sweep()
