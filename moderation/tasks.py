"""Thin Celery tasks of moderation: take an id, import the service, call it."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task


@shared_task(
    acks_late=True,  # decision_email_send claims the event first: a re-run sends nothing
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    max_retries=8,
    time_limit=60,
    soft_time_limit=50,  # the global soft limit (150 s) is above this task's hard limit
)
def send_decision_email(event_id: int) -> bool:
    from moderation.services import decision_email_send

    return decision_email_send(event_id=event_id)


@shared_task(ignore_result=True)
def requeue_decision_emails() -> int:
    from moderation.services import decision_emails_requeue

    return decision_emails_requeue()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def match_duplicates(entry_id: int) -> int:
    from moderation.services import entry_match_duplicates

    return entry_match_duplicates(entry_id=entry_id)


@shared_task(ignore_result=True)
def send_moderation_digest() -> int:
    from moderation.digest import moderation_digest_send

    return moderation_digest_send()


@shared_task(
    acks_late=True,  # each report is claimed before its e-mail, and given back on failure
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    max_retries=8,
    time_limit=120,
    soft_time_limit=100,
)
def answer_reports(event_id: int) -> int:
    from moderation.services import entry_reports_answer

    return entry_reports_answer(event_id=event_id)
