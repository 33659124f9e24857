"""Moderation: decisions claimed with a conditional UPDATE, audited, mailed once, undoable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contest.models import Entry
from contest.releases import release_close, release_open
from contest.services import (
    contest_gallery_changed,
    entry_place_check,
    entry_shuffle_key_give,
)
from core.errors import ApplicationError
from moderation import tasks
from moderation.models import DuplicateMatch, EntryReport, ModerationEvent
from notifications.services import message_queue, messages_cancel
from photos.models import Photo
from photos.selectors import renditions_hash
from photos.services import photo_reprocess
from transit.models import Line, Stop

# Reasons after which the participant is invited to send another photo.
RESEND_REASONS = {
    Entry.Reason.OFF_TOPIC,
    Entry.Reason.LOW_QUALITY,
    Entry.Reason.PERSON,
    Entry.Reason.DUPLICATE,
    Entry.Reason.OTHER,
}


class DecisionConflict(ApplicationError):
    """Someone else decided first, or the photo changed since the moderator saw it."""

    def __init__(self, message: str, entry: Entry) -> None:
        super().__init__(message)
        self.entry = entry


class DuplicateNotConfirmed(DecisionConflict):
    """The photo looks like another entry's: approving it needs the moderator's confirmation."""


@dataclass(frozen=True)
class Decision:
    entry: Entry
    event: ModerationEvent


def _conflict(entry_id: int) -> DecisionConflict:
    entry = Entry.objects.select_related("decided_by").get(pk=entry_id)
    if entry.decided_by is not None and entry.moderation != Entry.Moderation.PENDING:
        who = entry.decided_by.get_full_name() or entry.decided_by.get_username()
        message = _("%(who)s already decided on this photo (%(state)s).") % {
            "who": who,
            "state": entry.get_moderation_display(),
        }
    else:
        message = _("This photo changed since you saw it: look at it again.")
    return DecisionConflict(message, entry)


def entry_decide(
    *,
    entry_id: int,
    version: int,
    moderator: User,
    approve: bool,
    seen_renditions: str = "",
    reason: str = "",
    note: str = "",
    duplicate_confirmed: bool = False,
) -> Decision:
    """Approves or refuses the entry as it was when the moderator saw it (`version`).

    Raises DecisionConflict when another decision came first or the renditions changed, and
    DuplicateNotConfirmed when approving a possible duplicate without `duplicate_confirmed`.
    """
    now = timezone.now()
    with transaction.atomic():
        entry = (
            Entry.objects.select_related("photo")
            .prefetch_related("photo__renditions")
            .filter(pk=entry_id)
            .first()
        )
        if entry is None or entry.version != version:
            raise _conflict(entry_id)
        photo: Photo = entry.photo
        current = renditions_hash(photo.renditions.all())
        if photo.status != Photo.Status.READY or (approve and current != seen_renditions):
            raise _conflict(entry_id)
        to_state = Entry.Moderation.APPROVED if approve else Entry.Moderation.REFUSED
        if not approve and reason not in Entry.Reason.values:
            raise ValueError(f"unknown reason {reason!r}")
        # A copy of another rider's photo approved by habit (A, A, A...) is published under the
        # wrong name: the moderator confirms having compared the two.
        if (
            approve
            and not duplicate_confirmed
            and DuplicateMatch.objects.filter(entry_id=entry_id).exists()
        ):
            raise DuplicateNotConfirmed(
                _("This photo looks like another one: compare them before approving it."), entry
            )
        claimed = Entry.objects.filter(pk=entry_id, version=version).update(
            moderation=to_state,
            version=F("version") + 1,
            decided_by=moderator,
            decided_at=now,
            refusal_code="" if approve else reason,
            refusal_reason="" if approve else note.strip()[:300],
            approved_renditions=current if approve else "",
            flagged=False,
            hidden=False,
        )
        if not claimed:
            raise _conflict(entry_id)
        if approve:
            entry_shuffle_key_give(entry_id=entry_id, contest_id=entry.contest_id)
        contest_gallery_changed(contest_id=entry.contest_id)
        # What an earlier decision still had to say (inside its undo window) is overtaken.
        _entry_messages_cancel(entry_id=entry.pk)
        # A decision on an already approved, reported entry that keeps it is not mailed.
        mail = entry.moderation != to_state
        event = ModerationEvent.objects.create(
            entry=entry,
            actor=moderator,
            action=ModerationEvent.Action.APPROVE if approve else ModerationEvent.Action.REFUSE,
            from_state=entry.moderation,
            to_state=to_state,
            reason="" if approve else reason,
            note=note.strip(),
            email=ModerationEvent.Email.PENDING if mail else ModerationEvent.Email.NONE,
            was_flagged=entry.flagged,
            was_hidden=entry.hidden,
        )
        _decision_messages_queue(event=event, entry=entry, mail=mail, now=now)
    entry.refresh_from_db()
    return Decision(entry=entry, event=event)


def entry_undo(*, event_id: int, moderator: User) -> Entry:
    """Takes back the moderator's own decision within the undo window."""
    now = timezone.now()
    window = timedelta(seconds=settings.MODERATION_UNDO_SECONDS)
    with transaction.atomic():
        event = ModerationEvent.objects.select_related("entry").filter(pk=event_id).first()
        if (
            event is None
            or event.actor_id != moderator.pk
            or event.action not in (ModerationEvent.Action.APPROVE, ModerationEvent.Action.REFUSE)
            or event.created_at < now - window
        ):
            raise DecisionConflict(
                _("This decision can no longer be undone."), event.entry if event else Entry()
            )
        entry = event.entry
        # Only if nothing happened to the entry since: same state, same decider, same time.
        claimed = Entry.objects.filter(
            pk=entry.pk,
            moderation=event.to_state,
            decided_by=moderator,
            decided_at__gte=event.created_at - timedelta(seconds=1),
        ).update(
            moderation=event.from_state,
            version=F("version") + 1,
            decided_by=None,
            decided_at=None,
            refusal_code="",
            refusal_reason="",
            approved_renditions="",
            flagged=event.was_flagged,
            hidden=event.was_hidden,
        )
        if not claimed:
            raise _conflict(entry.pk)
        contest_gallery_changed(contest_id=entry.contest_id)
        _entry_messages_cancel(entry_id=entry.pk)
        ModerationEvent.objects.create(
            entry=entry,
            actor=moderator,
            action=ModerationEvent.Action.UNDO,
            from_state=event.to_state,
            to_state=event.from_state,
        )
    entry.refresh_from_db()
    return entry


@dataclass(frozen=True)
class BulkOutcome:
    decided: list[Entry]
    conflicts: list[DecisionConflict]


def entries_decide_bulk(
    *,
    choices: Iterable[tuple[int, int, str]],
    moderator: User,
    approve: bool,
    reason: str = "",
    note: str = "",
) -> BulkOutcome:
    """Decides each (entry id, version, renditions hash) on its own: one conflict stops
    nothing else."""
    decided, conflicts = [], []
    for entry_id, version, seen in choices:
        try:
            decided.append(
                entry_decide(
                    entry_id=entry_id,
                    version=version,
                    moderator=moderator,
                    approve=approve,
                    seen_renditions=seen,
                    reason=reason,
                    note=note,
                ).entry
            )
        except DecisionConflict as conflict:
            conflicts.append(conflict)
    return BulkOutcome(decided=decided, conflicts=conflicts)


def entry_rotate(*, entry_id: int, version: int, moderator: User) -> Entry:
    """Turns the photo a quarter clockwise; it is out of the queue until remade."""
    with transaction.atomic():
        entry = Entry.objects.select_related("photo").filter(pk=entry_id).first()
        if (
            entry is None
            or entry.version != version
            or entry.moderation != Entry.Moderation.PENDING
        ):
            raise _conflict(entry_id)
        if not Entry.objects.filter(pk=entry_id, version=version).update(version=F("version") + 1):
            raise _conflict(entry_id)
        photo_reprocess(photo=entry.photo, rotation=(entry.photo.rotation + 90) % 360)
        ModerationEvent.objects.create(
            entry=entry,
            actor=moderator,
            action=ModerationEvent.Action.ROTATE,
            from_state=entry.moderation,
            to_state=entry.moderation,
            note=f"{(entry.photo.rotation + 90) % 360}°",
        )
    entry.refresh_from_db()
    return entry


def _place_text(line: Line | None, stop: Stop | None) -> str:
    """ "2 · Commerce": the audit note's words for a place, "—" for a part not given."""
    number = (line.short_name or line.long_name or line.gtfs_id) if line else "—"
    return f"{number} · {stop.name if stop else '—'}"


def entry_place_correct(
    *, entry_id: int, moderator: User, line: Line | None, stop: Stop | None
) -> Entry:
    """Sets the line and stop of an entry, at any moderation state, with the riders' checks.

    Raises contest.services.EntryRefused for a line or stop not of the contest's network, or
    a stop the line does not serve; Entry.DoesNotExist when the entry is gone.
    """
    with transaction.atomic():
        # Locked: two moderators correcting at once each write a true "from" in the log.
        entry = Entry.objects.select_for_update().get(pk=entry_id)
        if (entry.line_id, entry.stop_id) == (
            line.pk if line else None,
            stop.pk if stop else None,
        ):
            return entry
        # The entry's own line and stop stay allowed when a newer feed made them inactive.
        entry_place_check(
            contest=entry.contest, line=line, stop=stop, kept=(entry.line_id, entry.stop_id)
        )
        before = _place_text(entry.line, entry.stop)
        # Not a decision on the photo: its version (the guard of decisions) stays as it is.
        Entry.objects.filter(pk=entry_id).update(line=line, stop=stop)
        if entry.moderation == Entry.Moderation.APPROVED:
            # The gallery's cached pages show the line and stop of public photos.
            contest_gallery_changed(contest_id=entry.contest_id)
        ModerationEvent.objects.create(
            entry=entry,
            actor=moderator,
            action=ModerationEvent.Action.PLACE,
            from_state=entry.moderation,
            to_state=entry.moderation,
            note=f"{before} → {_place_text(line, stop)}",
        )
    entry.line, entry.stop = line, stop
    return entry


def entry_mark_identifiable(*, entry_id: int, moderator: User, identifiable: bool) -> Entry:
    """Marks (or clears) "identifiable person" on an entry: marked, it needs the person's
    release before a printed cover, and its rider is asked for it (contest.releases).

    Not a decision on the photo: its version (the decisions' guard) stays, and it may stay
    in the gallery. A second identical click changes and records nothing. Raises
    Entry.DoesNotExist for an entry gone or withdrawn.
    """
    with transaction.atomic():
        entry = (
            Entry.objects.select_related("contest", "participant__user")
            .filter(pk=entry_id, withdrawn_at=None)
            .get()
        )
        # Conditional: of two moderators clicking at once, one writes the audit row.
        changed = Entry.objects.filter(
            pk=entry_id, withdrawn_at=None, needs_release=not identifiable
        ).update(needs_release=identifiable)
        if not changed:
            entry.refresh_from_db()
            return entry
        entry.needs_release = identifiable
        if identifiable:
            release_open(entry=entry)
        else:
            release_close(entry=entry)
        ModerationEvent.objects.create(
            entry=entry,
            actor=moderator,
            action=ModerationEvent.Action.IDENTIFY
            if identifiable
            else ModerationEvent.Action.UNIDENTIFY,
            from_state=entry.moderation,
            to_state=entry.moderation,
        )
    return entry


def _decision_messages_queue(
    *, event: ModerationEvent, entry: Entry, mail: bool, now: datetime
) -> None:
    """Queues the participant's e-mail and the answers to the reports, after the undo window.

    In the decision's transaction: both exist exactly when the decision does. Each report is
    marked answered here, so the next decision does not answer it again; an undo gives the
    pending ones back (_entry_messages_cancel).
    """
    # Not before the undo window is over, so an undone decision is never mailed.
    due = now + timedelta(seconds=settings.MODERATION_UNDO_SECONDS + 2)
    about = f"entry:{entry.pk}"
    contest = entry.contest
    if mail:
        participant = entry.participant
        message_queue(
            key=f"decision:{event.pk}",
            to=participant.email,
            template="moderation/email/approved"
            if event.action == ModerationEvent.Action.APPROVE
            else "moderation/email/refused",
            context={"event_id": event.pk},
            language=participant.language or settings.LANGUAGE_CODE,
            brand=contest,
            about=about,
            not_before=due,
        )
    reports = entry.reports.filter(answered_at=None).exclude(email="")
    for report in reports.only("pk", "email", "language"):
        # Claimed by a conditional UPDATE: a report is answered by one decision only.
        if not EntryReport.objects.filter(pk=report.pk, answered_at=None).update(answered_at=now):
            continue
        message_queue(
            key=f"report-answer:{event.pk}:{report.pk}",
            to=report.email,
            template="moderation/email/report_answer",
            context={"event_id": event.pk},
            language=report.language or settings.LANGUAGE_CODE,
            brand=contest,
            about=about,
            not_before=due,
        )


def _entry_messages_cancel(*, entry_id: int) -> None:
    """Cancels what an undone or overtaken decision had still to mail, gives its reports back."""
    for key in messages_cancel(about=f"entry:{entry_id}"):
        kind, event_id, *report = key.split(":")
        if kind == "decision":
            ModerationEvent.objects.filter(
                pk=int(event_id), email=ModerationEvent.Email.PENDING
            ).update(email=ModerationEvent.Email.CANCELLED)
        elif kind == "report-answer" and report:
            EntryReport.objects.filter(pk=int(report[0])).update(answered_at=None)


def _still_decided(event_id: int) -> ModerationEvent | None:
    """The decision event if it still stands (not undone, not overtaken), else None."""
    event = (
        ModerationEvent.objects.select_related("entry__participant__user", "entry__contest")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return None
    latest = (
        event.entry.events.filter(
            action__in=(
                ModerationEvent.Action.APPROVE,
                ModerationEvent.Action.REFUSE,
                ModerationEvent.Action.UNDO,
            )
        )
        .values_list("pk", flat=True)
        .first()
    )
    if latest != event.pk or event.entry.moderation != event.to_state:
        return None
    return event


def decision_email_context(context: dict[str, Any]) -> dict[str, Any] | None:
    """The decision e-mail's template context, read when it is sent (outbox hook).

    None (the message is cancelled) when the decision no longer stands: the outbox's own
    cancellation covers undo and later decisions; this covers anything else that moved it.
    """
    event = _still_decided(int(context["event_id"]))
    if event is None:
        ModerationEvent.objects.filter(
            pk=context["event_id"], email=ModerationEvent.Email.PENDING
        ).update(email=ModerationEvent.Email.CANCELLED)
        return None
    entry = event.entry
    approved = event.action == ModerationEvent.Action.APPROVE
    resend = (
        not approved
        and event.reason in RESEND_REASONS
        and entry.contest.is_accepting_entries(timezone.now())
    )
    return {
        "entry": entry,
        "contest": entry.contest,
        "credit_name": entry.participant.credit_name,
        "reason": Entry.Reason(event.reason).label if event.reason else "",
        "note": event.note if event.reason == Entry.Reason.OTHER else "",
        "my_entries_url": settings.SITE_URL
        + reverse("contest:my_entries", args=[entry.contest.slug]),
        "resend_url": settings.SITE_URL + reverse("contest:upload", args=[entry.contest.slug])
        if resend
        else "",
    }


def decision_email_sent(context: dict[str, Any]) -> None:
    """Outbox hook: the audit log shows that the participant was told."""
    ModerationEvent.objects.filter(pk=context["event_id"]).update(
        email=ModerationEvent.Email.SENT, email_sent_at=timezone.now()
    )


def report_answer_context(context: dict[str, Any]) -> dict[str, Any] | None:
    """The report answer's template context, read when it is sent (outbox hook)."""
    event = _still_decided(int(context["event_id"]))
    if event is None:
        return None
    return {"entry": event.entry, "kept": event.to_state == Entry.Moderation.APPROVED}


def entry_match_duplicates(*, entry_id: int) -> int:
    """Records the entries whose photo looks like this one (here and in earlier contests)."""
    threshold = settings.MODERATION_DUPLICATE_DISTANCE
    entry = Entry.objects.select_related("photo").filter(pk=entry_id).first()
    if entry is None or not entry.photo.phash:
        return 0
    mine = int(entry.photo.phash, 16)
    candidates = (
        Entry.objects.exclude(pk=entry_id)
        .exclude(photo__phash="")
        .filter(contest__opens_at__lte=entry.contest.closes_at)
        .values_list("pk", "photo__phash")
    )
    matches = []
    for other_id, phash in candidates.iterator(chunk_size=5000):
        distance = (mine ^ int(phash, 16)).bit_count()
        if distance <= threshold:
            matches.append(DuplicateMatch(entry_id=entry_id, other_id=other_id, distance=distance))
            matches.append(DuplicateMatch(entry_id=other_id, other_id=entry_id, distance=distance))
    DuplicateMatch.objects.bulk_create(matches, ignore_conflicts=True)
    return len(matches) // 2


def entry_photo_ready(photo_id: int) -> None:
    """Hook of the photo worker: look for look-alikes once the perceptual hash is saved."""
    entry_id = Entry.objects.filter(photo_id=photo_id).values_list("pk", flat=True).first()
    if entry_id is not None:
        tasks.match_duplicates.delay_on_commit(entry_id)
