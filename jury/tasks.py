"""Thin Celery tasks of the jury: a round's start, and the sweeps beat runs."""

from __future__ import annotations

from celery import shared_task


# round_start_run makes only what is missing, under the round's lock: a redelivered message
# is harmless, hence acks_late. A first round of 250,000 photos takes tens of seconds; the
# limit stays under the broker's visibility timeout (15 minutes, config/settings.py).
@shared_task(
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=600,
    soft_time_limit=570,
)
def start_round(round_id: int) -> None:
    from jury.services import round_start_run

    round_start_run(round_id=round_id)


@shared_task(ignore_result=True)
def requeue_starting_rounds() -> int:
    from jury.services import rounds_requeue_starting

    return rounds_requeue_starting()


@shared_task(ignore_result=True)
def sync_withdrawn_entries() -> int:
    from jury.services import rounds_sync_withdrawn

    return rounds_sync_withdrawn()


@shared_task(ignore_result=True)
def remind_jurors() -> int:
    from jury.services import jurors_remind

    return jurors_remind()
