"""Moderators mark a photo "identifiable person": audited, only by moderators, from the
triage screen (P), and cleared the same way."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Entry, Release
from moderation.models import ModerationEvent
from moderation.services import entry_mark_identifiable
from notifications.models import OutboxMessage
from tests.conftest import PERSONAS
from tests.http import csrf_post

pytestmark = pytest.mark.django_db
ReadyEntry = Callable[..., Entry]


def _post_mark(client: Client, entry: Entry, identifiable: bool, **extra: str) -> object:
    return csrf_post(
        client,
        reverse("moderation:triage_identifiable", args=[entry.pk]),
        {"identifiable": "1" if identifiable else "0"},
        page=reverse("contest:home"),
        **extra,
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_moderators_mark_a_photo(
    persona: str, persona_client: Callable[[str], Client], ready_entry: ReadyEntry
) -> None:
    entry = ready_entry()
    response = _post_mark(persona_client(persona), entry, True)
    entry.refresh_from_db()
    if persona == "moderator":
        assert entry.needs_release
        assert response.status_code == 302  # type: ignore[attr-defined]
    else:
        assert response.status_code in (302, 403)  # type: ignore[attr-defined]
        assert not entry.needs_release
        assert not Release.objects.exists()
        assert not ModerationEvent.objects.filter(action="identify").exists()


def test_it_marks_from_the_triage_screen_with_an_audit_row_and_a_key(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry(title="Marché du samedi")
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    page = client.get(reverse("moderation:triage_entry", args=[entry.pk])).content.decode()
    assert 'data-key="p"' in page and "Marquer : personne reconnaissable (P)" in page
    response = client.post(
        reverse("moderation:triage_identifiable", args=[entry.pk]),
        {"identifiable": "1"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "« Marché du samedi » marquée : personne reconnaissable." in text
    assert "Retirer la marque (P)" in text and "Autorisation nécessaire" in text
    assert "Marquée : personne reconnaissable" in text  # the history
    entry.refresh_from_db()
    assert entry.needs_release
    # Not a decision: the moderators' version guard and the moderation state stay.
    assert (entry.version, entry.moderation) == (0, Entry.Moderation.PENDING)
    [event] = ModerationEvent.objects.filter(entry=entry)
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "identify",
        moderator,
        "pending",
        "pending",
    )
    assert event.created_at is not None
    assert Release.objects.get(entry=entry).state == Release.State.REQUESTED
    assert OutboxMessage.objects.filter(template="contest/email/release_needed").count() == 1


def test_a_second_click_records_nothing_and_clearing_is_audited(
    ready_entry: ReadyEntry, moderator: object, other_moderator: object
) -> None:
    entry = ready_entry()
    entry_mark_identifiable(entry_id=entry.pk, moderator=moderator, identifiable=True)  # type: ignore[arg-type]
    entry_mark_identifiable(entry_id=entry.pk, moderator=other_moderator, identifiable=True)  # type: ignore[arg-type]
    assert ModerationEvent.objects.filter(entry=entry).count() == 1
    cleared = entry_mark_identifiable(
        entry_id=entry.pk,
        moderator=other_moderator,  # type: ignore[arg-type]
        identifiable=False,
    )
    assert not cleared.needs_release
    actions = list(
        ModerationEvent.objects.filter(entry=entry)
        .order_by("created_at", "id")
        .values_list("action", "actor__email")
    )
    assert actions == [
        ("identify", "modo@reseau.example"),
        ("unidentify", "modo2@reseau.example"),
    ]
    assert not Release.objects.filter(entry=entry).exists()
    assert OutboxMessage.objects.get(template="contest/email/release_needed").state == "cancelled"


def test_clearing_keeps_a_release_the_person_already_confirmed(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry()
    entry_mark_identifiable(entry_id=entry.pk, moderator=moderator, identifiable=True)  # type: ignore[arg-type]
    Release.objects.filter(entry=entry).update(state=Release.State.CONFIRMED)
    entry_mark_identifiable(entry_id=entry.pk, moderator=moderator, identifiable=False)  # type: ignore[arg-type]
    assert Release.objects.get(entry=entry).state == Release.State.CONFIRMED


def test_a_withdrawn_photo_cannot_be_marked(ready_entry: ReadyEntry, moderator: object) -> None:
    entry = ready_entry()
    Entry.objects.filter(pk=entry.pk).update(withdrawn_at=timezone.now())
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    response = client.post(
        reverse("moderation:triage_identifiable", args=[entry.pk]), {"identifiable": "1"}
    )
    assert response.status_code == 404
    assert not ModerationEvent.objects.exists()


def test_the_audit_csv_lists_the_marks(ready_entry: ReadyEntry, moderator: object) -> None:
    entry = ready_entry()
    entry_mark_identifiable(entry_id=entry.pk, moderator=moderator, identifiable=True)  # type: ignore[arg-type]
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    response = client.get(reverse("moderation:audit_csv"))
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert ",identify," in body and "modo@reseau.example" in body
