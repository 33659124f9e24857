"""Mail about a branded contest comes from the operator riders know, in their language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from contest.models import Contest, Entry
from moderation import services as moderation
from notifications.models import OutboxMessage
from notifications.services import message_queue, message_send
from photos.selectors import renditions_hash
from tests.factories import ParticipantFactory, UserFactory
from tests.mail import UNDO_WINDOW, deliver_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def branded(contest: Contest) -> Contest:
    contest.brand_name = "Réseau Mistral"
    contest.title_en = "Cover 2027"
    contest.save(update_fields=["brand_name", "title_en"])
    return contest


def _approved_mail(entry: Entry, moderator: object) -> EmailMessage:
    """Approves the entry and returns the one e-mail it sends once the undo window is over."""
    moderation.entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=renditions_hash(entry.photo.renditions.all()),
    )
    [message] = deliver_mail(later=UNDO_WINDOW)
    return message


def test_it_sends_a_decision_from_the_operator_signed_and_in_the_riders_language(
    branded: Contest, ready_entry: Callable[..., Entry], moderator: object
) -> None:
    english = ParticipantFactory(user=UserFactory(email="sam@example.org"), language="en")
    entry = ready_entry(participant=english, title="Night bus")
    message = _approved_mail(entry, moderator)
    assert message.from_email.startswith("Réseau Mistral <")
    assert "Cover 2027" in message.body  # the contest's English title
    # Signed by the operator, above the opt-out footer ("-- " is the signature separator).
    letter, footer = message.body.split("\n-- \n")
    assert letter.rstrip().endswith("Réseau Mistral")
    assert "/desabonnement/" in footer


def test_it_keeps_the_configured_sender_for_an_unbranded_contest(
    contest: Contest, ready_entry: Callable[..., Entry], moderator: object, settings: object
) -> None:
    entry = ready_entry(title="Quai")
    message = _approved_mail(entry, moderator)
    assert message.from_email == settings.DEFAULT_FROM_EMAIL  # type: ignore[attr-defined]


def test_it_sends_a_queued_message_under_the_name_it_was_queued_with(db: None) -> None:
    pk = message_queue(
        key="test:branded",
        to="juror@example.org",
        template="contest/email/signin",
        context={"link": "http://example.org/l", "hours": 1, "minutes": 0},
        language="fr",
        sender_name="Réseau Mistral",
    )
    assert OutboxMessage.objects.get(pk=pk).sender_name == "Réseau Mistral"
    assert message_send(message_id=pk)
    assert mail.outbox[-1].from_email.startswith("Réseau Mistral <")


def test_it_quotes_an_operator_name_that_would_break_the_from_header() -> None:
    from email.utils import getaddresses

    from core.mail import sender

    [(name, address)] = getaddresses([sender("Bus, Tram & Co")])
    assert (name, address) == ("Bus, Tram & Co", "concours@localhost")
