"""Thin Celery tasks of the outbox: take an id, import the service, call it."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    acks_late=True,  # message_send claims the row first: a re-run sends nothing
    reject_on_worker_lost=True,
    time_limit=60,
    soft_time_limit=50,
)
def send_message(message_id: int) -> bool:
    from notifications.services import message_send

    return message_send(message_id=message_id)


@shared_task(ignore_result=True)
def requeue_messages() -> int:
    from notifications.services import messages_requeue

    return messages_requeue()
