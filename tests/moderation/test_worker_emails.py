"""Decision e-mails through a real Celery worker over Redis: sent once, even twice queued."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core import mail

from contest.models import Entry
from moderation.models import ModerationEvent
from moderation.services import entry_decide
from notifications.models import OutboxMessage
from notifications.tasks import send_message
from photos.selectors import renditions_hash

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_it_sends_a_decision_email_once_through_the_worker(
    redis_worker: None, ready_entry: Callable[..., Entry], moderator: object, settings: object
) -> None:
    settings.MODERATION_UNDO_SECONDS = 0  # type: ignore[attr-defined]
    entry = ready_entry(title="Quai du tram")
    event = entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=renditions_hash(entry.photo.renditions.all()),
    ).event
    message = OutboxMessage.objects.get(key=f"decision:{event.pk}")
    send_message.apply_async((message.pk,), countdown=2)  # a duplicate of the queued job
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        event.refresh_from_db()
        if event.email == ModerationEvent.Email.SENT:
            break
        time.sleep(0.2)
    time.sleep(3)  # room for the duplicate to run too
    assert event.email == ModerationEvent.Email.SENT
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.SENT, 1)
    assert len(mail.outbox) == 1
