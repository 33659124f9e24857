"""E-mail in tests: the outbox is sent by a worker, so tests run it as the worker would."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from notifications.services import messages_send_due

# Long enough for a moderation decision's undo window (tests use the default setting).
UNDO_WINDOW = timedelta(minutes=5)


def deliver_mail(*, later: timedelta | None = None) -> list[mail.EmailMessage]:
    """Sends every due outbox message in this process and returns what was sent so far.

    A test's database transaction never commits, so no task is enqueued: this stands for
    the worker that would have picked the messages up. `later` lets the messages due by then
    go too (a decision's e-mail waits for its undo window).
    """
    messages_send_due(now=timezone.now() + later if later else None)
    return mail.outbox
