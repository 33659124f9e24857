"""Reads for the contest pages, with the joins each page needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from contest.models import (
    Contest,
    DuplicateMatch,
    Enrollment,
    Entry,
    ModerationEvent,
    Participant,
)
from gallery.models import Photo, Rendition
from gallery.selectors import renditions_by_spec, renditions_hash


def contests_open() -> QuerySet[Contest]:
    now = timezone.now()
    return Contest.objects.filter(status=Contest.Status.OPEN, closes_at__gt=now).order_by(
        "closes_at"
    )


def contest_get_public(*, slug: str) -> Contest | None:
    return (
        Contest.objects.exclude(status=Contest.Status.DRAFT)
        .prefetch_related("themes")
        .filter(slug=slug)
        .first()
    )


def enrollment_current(*, contest: Contest, participant: Participant) -> Enrollment | None:
    """The participant's consent to the contest's current rules, if given."""
    return Enrollment.objects.filter(
        contest=contest, participant=participant, rules_version=contest.rules_version
    ).first()


def entries_of_participant(*, contest: Contest, participant: Participant) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(contest=contest, participant=participant)
        .select_related("photo", "theme")
        .prefetch_related(
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec="thumb"),
                to_attr="thumbs",
            )
        )
    )


@dataclass(frozen=True)
class EntryState:
    code: str  # received, processing, pending, approved, refused, failed
    label: Promise
    detail: str
    final: bool  # nothing more will change without a person deciding

    @property
    def busy(self) -> bool:
        return self.code in ("received", "processing")


def entry_state(entry: Entry) -> EntryState:
    """What the participant is told about one entry."""
    photo: Photo | None = getattr(entry, "photo", None)
    if photo is None or photo.status == Photo.Status.RECEIVED:
        return EntryState("received", _("Received"), "", False)
    if photo.status == Photo.Status.PROCESSING:
        return EntryState("processing", _("Being prepared"), "", False)
    if photo.status == Photo.Status.FAILED:
        detail = str(photo.get_failure_display()) if photo.failure else ""
        return EntryState("failed", _("Could not be used"), detail, True)
    if entry.moderation == Entry.Moderation.REFUSED:
        detail = entry.get_refusal_code_display() if entry.refusal_code else ""
        if entry.refusal_reason:
            detail = f"{detail} — {entry.refusal_reason}" if detail else entry.refusal_reason
        return EntryState("refused", _("Refused"), str(detail), True)
    if entry.moderation == Entry.Moderation.APPROVED:
        return EntryState("approved", _("Published"), "", True)
    return EntryState("pending", _("Waiting for moderation"), "", False)


def thumbs_of(entry: Entry) -> dict[str, Rendition]:
    photo = getattr(entry, "photo", None)
    return {r.format: r for r in getattr(photo, "thumbs", [])} if photo else {}


# --- moderation --------------------------------------------------------------------------

QUEUE_STATES = ("pending", "flagged", "approved", "refused", "all")


@dataclass(frozen=True)
class QueueFilters:
    contest_id: int | None = None
    theme_id: int | None = None
    state: str = "pending"
    duplicates_only: bool = False

    def querystring(self) -> str:
        from django.utils.http import urlencode

        params: dict[str, str | int] = {"state": self.state}
        if self.contest_id:
            params["contest"] = self.contest_id
        if self.theme_id:
            params["theme"] = self.theme_id
        if self.duplicates_only:
            params["duplicates"] = "1"
        return urlencode(params)


def _has_duplicates() -> Exists:
    return Exists(DuplicateMatch.objects.filter(entry=OuterRef("pk")))


def _queue_base(filters: QueueFilters) -> QuerySet[Entry]:
    # Only photos whose renditions are ready can be judged; a rotated one comes back later.
    entries = Entry.objects.filter(photo__status=Photo.Status.READY)
    if filters.contest_id:
        entries = entries.filter(contest_id=filters.contest_id)
    if filters.theme_id:
        entries = entries.filter(theme_id=filters.theme_id)
    return entries


def _state_q(state: str) -> Q:
    return {
        "pending": Q(moderation=Entry.Moderation.PENDING),
        "flagged": Q(flagged=True),
        "approved": Q(moderation=Entry.Moderation.APPROVED),
        "refused": Q(moderation=Entry.Moderation.REFUSED),
    }.get(state, Q())


def moderation_queue(filters: QueueFilters) -> QuerySet[Entry]:
    """The entries to moderate, oldest first, with what a queue row shows."""
    entries = (
        _queue_base(filters)
        .filter(_state_q(filters.state))
        .annotate(has_duplicates=_has_duplicates())
    )
    if filters.duplicates_only:
        entries = entries.filter(has_duplicates=True)
    return (
        entries.select_related("photo", "participant", "theme", "contest", "decided_by")
        .prefetch_related("photo__renditions")
        .order_by("created_at", "id")
    )


def moderation_counts(filters: QueueFilters) -> dict[str, int]:
    """How many entries each filter would show (one query)."""
    base = _queue_base(filters).annotate(has_duplicates=_has_duplicates())
    counts = base.aggregate(
        **{state: Count("pk", filter=_state_q(state)) for state in QUEUE_STATES if state != "all"},
        all=Count("pk"),
        duplicates=Count("pk", filter=Q(has_duplicates=True) & _state_q(filters.state)),
    )
    return {key: value or 0 for key, value in counts.items()}


def entry_after(entry: Entry, filters: QueueFilters) -> Entry | None:
    """The next entry of the queue after `entry` (or the first one when nothing follows)."""
    queue = moderation_queue(filters)
    after = queue.filter(
        Q(created_at__gt=entry.created_at) | Q(created_at=entry.created_at, id__gt=entry.pk)
    ).first()
    return after or queue.exclude(pk=entry.pk).first()


@dataclass(frozen=True)
class TriageView:
    entry: Entry
    renditions: dict[str, dict[str, Rendition]]
    enrollment: Enrollment | None
    others: Sequence[Entry]
    duplicates: Sequence[DuplicateMatch]
    events: list[ModerationEvent]
    preload: list[str]
    renditions_hash: str


def triage_view(*, entry_id: int, filters: QueueFilters) -> TriageView | None:
    """Everything the triage screen shows for one entry, in a fixed number of queries."""
    entry = (
        Entry.objects.select_related("photo", "participant__user", "theme", "contest", "decided_by")
        .prefetch_related("photo__renditions")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        return None
    renditions = renditions_by_spec(entry)
    thumbs = Prefetch(
        "photo__renditions", queryset=Rendition.objects.filter(spec="thumb"), to_attr="thumbs"
    )
    others = list(
        Entry.objects.filter(participant_id=entry.participant_id)
        .exclude(pk=entry.pk)
        .select_related("photo", "contest")
        .prefetch_related(thumbs)
        .order_by("-created_at")[:12]
    )
    duplicates = list(
        DuplicateMatch.objects.filter(entry=entry)
        .select_related("other__photo", "other__participant", "other__contest")
        .prefetch_related(
            Prefetch(
                "other__photo__renditions",
                queryset=Rendition.objects.filter(spec="display"),
                to_attr="displays",
            )
        )
        .order_by("distance")[:6]
    )
    events = list(entry.events.select_related("actor").order_by("-created_at", "-id")[:50])
    enrollment = Enrollment.objects.filter(
        contest_id=entry.contest_id, participant_id=entry.participant_id
    ).first()
    # The next few photos' display renditions, for the browser to fetch ahead.
    upcoming = moderation_queue(filters).filter(
        Q(created_at__gt=entry.created_at) | Q(created_at=entry.created_at, id__gt=entry.pk)
    )[:3]
    preload = list(
        Rendition.objects.filter(
            photo__entry__in=upcoming.values("pk"), spec="display", format="webp"
        ).values_list("file", flat=True)
    )
    from django.core.files.storage import default_storage

    return TriageView(
        entry=entry,
        renditions=renditions,
        enrollment=enrollment,
        others=others,
        duplicates=duplicates,
        events=events,
        preload=[default_storage.url(name) for name in preload],
        renditions_hash=renditions_hash(entry.photo.renditions.all()),
    )


def moderation_events(*, contest_id: int | None = None) -> QuerySet[ModerationEvent]:
    events = ModerationEvent.objects.select_related("entry__contest", "actor").order_by(
        "created_at", "id"
    )
    if contest_id:
        events = events.filter(entry__contest_id=contest_id)
    return events
