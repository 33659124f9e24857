"""Thin Celery tasks of moderation: take an id, import the service, call it.

Decision e-mails, report answers and the digest are sent by the outbox (notifications).
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def match_duplicates(entry_id: int) -> int:
    from moderation.services import entry_match_duplicates

    return entry_match_duplicates(entry_id=entry_id)


@shared_task(ignore_result=True)
def send_moderation_digest() -> int:
    from moderation.digest import moderation_digest_send

    return moderation_digest_send()
