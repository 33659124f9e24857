"""Decision e-mails through a real Celery worker over Redis: sent once, even twice queued."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core import mail

from contest.models import Entry
from moderation.models import ModerationEvent
from moderation.services import entry_decide
from moderation.tasks import send_decision_email
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
    send_decision_email.delay(event.pk)  # a duplicate of the one the decision queued
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        event.refresh_from_db()
        if event.email == ModerationEvent.Email.SENT:
            break
        time.sleep(0.2)
    time.sleep(3)  # room for the duplicate to run too
    assert event.email == ModerationEvent.Email.SENT
    assert [m.subject for m in mail.outbox].count(mail.outbox[0].subject) == 1
    assert len(mail.outbox) == 1
