"""The outbox: the request records an e-mail, a worker sends it once, retries, gives up."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest
from notifications import services
from notifications.models import OutboxMessage
from tests.http import csrf_post
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db


class DownMailServer:
    """Stands for an SMTP server that refuses: every send raises."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


def test_it_answers_the_rider_at_once_when_the_mail_server_is_down(
    contest: Contest, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = DownMailServer()
    monkeypatch.setattr(services, "send_templated_mail", down)
    response = csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "lea@example.org"}
    )
    assert response.status_code == 200
    assert "lea@example.org" in response.content.decode()
    # The request only recorded the message: nothing talked to the mail server yet.
    assert down.calls == 0
    message = OutboxMessage.objects.get()
    assert (message.to, message.state) == ("lea@example.org", OutboxMessage.State.PENDING)
    assert message.template == "contest/email/signin"


def test_it_sends_a_message_once_however_often_its_job_runs(contest: Contest) -> None:
    csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "lea@example.org"}
    )
    message = OutboxMessage.objects.get()
    assert services.message_send(message_id=message.pk) is True
    assert services.message_send(message_id=message.pk) is False
    assert deliver_mail() and len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert message.sent_at is not None
    assert "jeton=" in mail.outbox[0].body


def test_it_retries_later_and_gives_up_after_its_attempts(
    contest: Contest, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = DownMailServer()
    monkeypatch.setattr(services, "send_templated_mail", down)
    scheduled: list[int] = []
    monkeypatch.setattr(
        services.tasks.send_message,
        "apply_async",
        lambda args, countdown: scheduled.append(countdown),
    )
    message_id = services.message_queue(
        key="test:retry",
        to="lea@example.org",
        template="contest/email/signin",
        context={},
        language="fr",
    )
    assert services.message_send(message_id=message_id) is False
    message = OutboxMessage.objects.get(pk=message_id)
    assert message.state == OutboxMessage.State.PENDING
    assert message.attempts == 1
    assert "connection unexpectedly closed" in message.last_error
    assert message.not_before > timezone.now()
    # Not due yet: a redelivered job does not send it before its time.
    assert services.message_send(message_id=message_id) is False
    assert down.calls == 1
    for _attempt in range(2, services.MAX_ATTEMPTS + 1):
        OutboxMessage.objects.filter(pk=message_id).update(not_before=timezone.now())
        services.message_send(message_id=message_id)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert message.attempts == services.MAX_ATTEMPTS
    assert scheduled == sorted(scheduled)  # each retry waits at least as long as the last
    assert len(scheduled) == services.MAX_ATTEMPTS - 1 and scheduled[0] >= 30


def test_it_sweeps_up_messages_whose_job_was_lost(
    contest: Contest, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(services.tasks.send_message, "delay", sent.append)
    lost, stuck, fresh = (
        services.message_queue(key=to, to=to, template="t", context={}, language="fr")
        for to in ("a@example.org", "b@example.org", "c@example.org")
    )
    an_hour_ago = timezone.now() - timedelta(hours=1)
    OutboxMessage.objects.filter(pk=lost).update(not_before=an_hour_ago)
    # Claimed by a worker that died before sending.
    OutboxMessage.objects.filter(pk=stuck).update(
        state=OutboxMessage.State.SENDING, not_before=an_hour_ago
    )
    assert services.messages_requeue() == 2
    assert sorted(sent) == sorted([lost, stuck])
    assert fresh not in sent


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_sign_in_link(contest: Contest, redis_worker: None) -> None:
    """The request enqueues after commit; a Celery worker over Redis sends the mail."""
    import time

    csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "lea@example.org"}
    )
    for _ in range(100):
        if OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).exists():
            break
        time.sleep(0.1)
    assert OutboxMessage.objects.get().state == OutboxMessage.State.SENT
    assert [m.to for m in mail.outbox] == [["lea@example.org"]]
