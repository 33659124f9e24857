"""The real sending path: Django's SMTP backend talking to an SMTP server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry
from moderation.services import entry_decide
from notifications import services
from notifications.models import OutboxMessage
from photos.selectors import renditions_hash
from tests.factories import ParticipantFactory, UserFactory
from tests.http import csrf_post
from tests.mail import UNDO_WINDOW, deliver_mail

pytestmark = pytest.mark.django_db


class Mailbox:
    """An SMTP server's handler: answers each DATA with the next scripted reply (then 250)."""

    def __init__(self) -> None:
        self.data_replies: list[str] = []
        self.rcpt_replies: list[str] = []
        self.received: list[EmailMessage] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _smtp_settings(settings: Any, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    _smtp_settings(settings, port)
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retries the outbox schedules (no broker in these tests)."""
    scheduled: list[float] = []
    monkeypatch.setattr(
        services.tasks.send_message,
        "apply_async",
        lambda args, countdown: scheduled.append(countdown),
    )
    return scheduled


def _approve(entry: Entry, moderator: object) -> None:
    entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=renditions_hash(entry.photo.renditions.all()),
    )


def _part(message: EmailMessage, content_type: str) -> str:
    part = message.get_body(preferencelist=(content_type.split("/")[1],))
    assert part is not None and part.get_content_type() == content_type
    return str(part.get_content())


def test_it_sends_a_branded_decision_as_text_and_html_over_smtp(
    smtp: Mailbox, contest: Contest, ready_entry: Callable[..., Entry], moderator: object
) -> None:
    contest.brand_name = "Réseau Mistral"
    contest.brand_colour = "#7a1f5c"
    contest.save(update_fields=["brand_name", "brand_colour"])
    entry = ready_entry(title="Tram & quai")
    _approve(entry, moderator)
    deliver_mail(later=UNDO_WINDOW)
    [message] = smtp.received
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"].addresses[0].display_name == "Réseau Mistral"
    assert message["Subject"] == "Votre photo « Tram & quai » est publiée"
    text = _part(message, "text/plain")
    html = _part(message, "text/html")
    assert "Bonne nouvelle" in text and "Tram & quai" in text
    assert "Bonne nouvelle" in html and "Tram &amp; quai" in html
    assert "#7a1f5c" in html  # the contest's colour, not the product's
    assert 'lang="fr"' in html
    unsubscribe = str(message["List-Unsubscribe"]).strip()  # a long header is folded
    assert unsubscribe.startswith("<http://testserver/e-mails/desabonnement/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in html and unsubscribe.strip("<>") in text


def test_it_sends_the_sign_in_link_with_no_way_to_unsubscribe(
    smtp: Mailbox, contest: Contest, settings: Any
) -> None:
    csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "lea@example.org"}
    )
    deliver_mail()
    [message] = smtp.received
    assert message["List-Unsubscribe"] is None
    assert "desabonnement" not in message.as_string()
    assert "jeton=" in _part(message, "text/plain")
    assert settings.EMAIL_BRAND_NAME in _part(message, "text/html")


def test_it_retries_after_a_451_and_sends_once(
    smtp: Mailbox, contest: Contest, retries: list[float]
) -> None:
    smtp.data_replies = ["451 4.3.0 Try again later"]
    csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "lea@example.org"}
    )
    deliver_mail()
    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 1)
    assert "451" in message.last_error
    assert retries == [services.RETRY_DELAYS[0]]
    assert not smtp.received
    OutboxMessage.objects.update(not_before=timezone.now())  # the retry falls due
    deliver_mail()
    deliver_mail()  # the sweep again, or a duplicated job: nothing more
    assert len(smtp.received) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 2, "")


def test_it_gives_up_at_once_on_a_550(
    smtp: Mailbox, contest: Contest, retries: list[float]
) -> None:
    smtp.rcpt_replies = ["550 5.1.1 No such mailbox"]
    csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "nobody@example.org"}
    )
    deliver_mail()
    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts) == (OutboxMessage.State.FAILED, 1)
    assert "550" in message.last_error and "No such mailbox" in message.last_error
    assert retries == []
    assert not smtp.received


def test_it_retries_when_the_mail_server_cannot_be_reached(
    contest: Contest, settings: Any, retries: list[float]
) -> None:
    _smtp_settings(settings, _free_port())  # nothing listens there
    csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "lea@example.org"}
    )
    deliver_mail()
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING
    assert "ConnectionRefusedError" in message.last_error
    assert retries == [services.RETRY_DELAYS[0]]


def test_it_skips_an_opted_out_kind_and_still_sends_sign_in_links(
    smtp: Mailbox, contest: Contest, ready_entry: Callable[..., Entry], moderator: object
) -> None:
    rider = ParticipantFactory(user=UserFactory(email="sam@example.org"), language="en")
    _approve(ready_entry(participant=rider, title="First"), moderator)
    deliver_mail(later=UNDO_WINDOW)
    [first] = smtp.received
    one_click = str(first["List-Unsubscribe"]).strip().strip("<>").removeprefix("http://testserver")
    # What a mail client does for "unsubscribe": a POST, with no CSRF token.
    response = Client(enforce_csrf_checks=True).post(one_click, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "sam@example.org" in response.content.decode()

    _approve(ready_entry(participant=rider, title="Second"), moderator)
    csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "sam@example.org"}
    )
    deliver_mail(later=UNDO_WINDOW)
    assert [m["Subject"] for m in smtp.received[1:]] == [
        "Votre lien de connexion au concours photo"
    ]
    skipped = OutboxMessage.objects.get(template="moderation/email/approved", state="skipped")
    assert skipped.to == "sam@example.org"
