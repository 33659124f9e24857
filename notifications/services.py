"""Writes of the outbox: record a message, send it once, retry what failed or was lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from core.mail import send_templated_mail
from notifications import tasks
from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

# Seconds before the n-th retry (then the last value again), and when to give up.
RETRY_DELAYS = (30, 120, 600, 1800)
MAX_ATTEMPTS = 8
# A claimed message whose worker vanished is sent again after this long.
SENDING_TIMEOUT = timedelta(minutes=10)


def message_queue(
    *, to: str, template: str, context: dict[str, object], language: str, sender_name: str = ""
) -> int:
    """Records an e-mail to send and enqueues it once the caller's transaction commits.

    The request never talks to the mail server: a slow or failing one never makes a rider
    wait or see an error. `context` must be JSON (the worker renders the templates).
    """
    message = OutboxMessage.objects.create(
        to=to,
        template=template,
        context=context,
        language=language,
        sender_name=sender_name,
        not_before=timezone.now(),
    )
    tasks.send_message.delay_on_commit(message.pk)
    return message.pk


def message_send(*, message_id: int) -> bool:
    """Sends the message if it is due and nobody else is sending it; True once sent.

    Claimed by a conditional UPDATE first, so a redelivered task or the sweep never sends
    twice. A failure gives the claim back with a later `not_before` and schedules the retry
    for then, or marks the message failed after MAX_ATTEMPTS.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, state=OutboxMessage.State.PENDING, not_before__lte=now
    ).update(state=OutboxMessage.State.SENDING, attempts=F("attempts") + 1, not_before=now)
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        send_templated_mail(
            to=message.to,
            template=message.template,
            context=message.context,
            language=message.language or settings.LANGUAGE_CODE,
            sender_name=message.sender_name,
        )
    except Exception as exc:  # SMTP refusals, dropped connections, time-outs alike
        failed = message.attempts >= MAX_ATTEMPTS
        delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
        OutboxMessage.objects.filter(pk=message_id).update(
            state=OutboxMessage.State.FAILED if failed else OutboxMessage.State.PENDING,
            not_before=now + timedelta(seconds=delay),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning("e-mail %s not sent (attempt %s): %s", message_id, message.attempts, exc)
        if not failed:
            tasks.send_message.apply_async((message_id,), countdown=delay)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        state=OutboxMessage.State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def messages_requeue() -> int:
    """Enqueues the due messages whose task was lost (broker down, worker killed)."""
    now = timezone.now()
    OutboxMessage.objects.filter(
        state=OutboxMessage.State.SENDING, not_before__lt=now - SENDING_TIMEOUT
    ).update(state=OutboxMessage.State.PENDING)
    ids = list(
        OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, not_before__lte=now - timedelta(minutes=1)
        ).values_list("pk", flat=True)[:500]
    )
    for message_id in ids:
        tasks.send_message.delay(message_id)
    return len(ids)


def messages_send_due() -> int:
    """Sends every due message now, in this process (tests and management commands)."""
    sent = 0
    for message_id in OutboxMessage.objects.filter(
        state=OutboxMessage.State.PENDING, not_before__lte=timezone.now()
    ).values_list("pk", flat=True):
        sent += message_send(message_id=message_id)
    return sent
