"""E-mail in tests: the outbox is sent by a worker, so tests run it as the worker would."""

from __future__ import annotations

from django.core import mail

from notifications.services import messages_send_due


def deliver_mail() -> list[mail.EmailMessage]:
    """Sends every due outbox message in this process and returns what was sent so far.

    A test's database transaction never commits, so no task is enqueued: this stands for
    the worker that would have picked the messages up.
    """
    messages_send_due()
    return mail.outbox
