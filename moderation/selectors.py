"""Reads for the moderation pages and the digest, with the joins each needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.http import urlencode

from contest.models import Enrollment, Entry
from contest.selectors import entries_public
from moderation.models import DuplicateMatch, EntryReport, ModerationEvent
from photos.models import Photo, Rendition
from photos.selectors import renditions_by_spec, renditions_hash
from transit import badges
from transit.models import Line

QUEUE_STATES = ("pending", "flagged", "approved", "refused", "all")


@dataclass(frozen=True)
class QueueFilters:
    contest_id: int | None = None
    theme_id: int | None = None
    state: str = "pending"
    duplicates_only: bool = False

    def querystring(self) -> str:
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


def queue_rows(entries: Iterable[Entry]) -> list[tuple[Entry, str, Rendition | None]]:
    """(entry, hash of the renditions shown, JPEG thumb) per queue row, from the prefetch.

    The row's checkbox carries the hash: a bulk approval is bound to what was seen too.
    """
    rows = []
    for entry in entries:
        renditions = list(entry.photo.renditions.all())
        thumb = next((r for r in renditions if r.spec == "thumb" and r.format == "jpeg"), None)
        rows.append((entry, renditions_hash(renditions), thumb))
    return rows


def entry_exists(*, entry_id: int) -> bool:
    return Entry.objects.filter(pk=entry_id).exists()


def photo_of_entry(*, public_id: UUID) -> Photo | None:
    """The photo of an entry, by its public id (the moderators' full-resolution view)."""
    return Photo.objects.filter(public_id=public_id, entry__isnull=False).first()


def entry_id_after(*, entry_id: int, filters: QueueFilters) -> int | None:
    """The id of the queue's next entry after `entry_id`, or of its first when it is gone."""
    entry = Entry.objects.filter(pk=entry_id).first()
    if entry is None:
        first = moderation_queue(filters).first()
        return first.pk if first else None
    after = entry_after(entry, filters)
    return after.pk if after else None


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
        Entry.objects.select_related(
            "photo",
            "participant__user",
            "theme",
            "contest__network",
            "decided_by",
            "line",
            "stop",
            "release",
        )
        .prefetch_related("photo__renditions")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        return None
    renditions = renditions_by_spec(entry.photo)
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


def entry_for_place(*, entry_id: int) -> Entry | None:
    """The entry whose line and stop a moderator corrects, with its contest's network."""
    return (
        Entry.objects.select_related("contest__network", "line", "stop").filter(pk=entry_id).first()
    )


def line_colours_version(*, network_id: int) -> tuple[str, str] | None:
    """(network slug, version of its lines' colours) for the badges' stylesheet, in one
    query; None when the network has no line."""
    rows = list(
        Line.objects.filter(network_id=network_id)
        .order_by("pk")
        .values_list("pk", "colour", "text_colour", "network__slug")
    )
    if not rows:
        return None
    return rows[0][3], badges.stylesheet_version([(pk, c, t) for pk, c, t, _slug in rows])


def moderation_events(*, contest_id: int | None = None) -> QuerySet[ModerationEvent]:
    events = ModerationEvent.objects.select_related("entry__contest", "actor").order_by(
        "created_at", "id"
    )
    if contest_id:
        events = events.filter(entry__contest_id=contest_id)
    return events


def entry_get_reportable(*, public_id: UUID) -> Entry | None:
    """The public entry whose photo is `public_id`, with its thumbs; None for any other.

    The same visibility rule as the photo page (contest.selectors.entries_public): pending,
    refused, hidden, unprocessed and unconsented entries are None alike, so the report page
    never tells whether such a photo exists.
    """
    return (
        entries_public()
        .filter(photo__public_id=public_id)
        .select_related("photo", "contest")
        .prefetch_related(
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec="thumb", format__in=("jpeg", "webp")),
                to_attr="thumbs",
            )
        )
        .first()
    )


@dataclass(frozen=True)
class ContestBacklog:
    title: str
    waiting: int


@dataclass(frozen=True)
class ModerationBacklog:
    """The entries that have waited too long for a moderator, as the digest tells them."""

    waiting: int
    new: int
    reported: int
    oldest_since: datetime | None
    contests: list[ContestBacklog]


def moderation_backlog(*, now: datetime) -> ModerationBacklog:
    """Entries waiting longer than MODERATION_DIGEST_AFTER_HOURS.

    A new entry waits from its creation once its photo is ready (the queue does not show it
    before). A reported entry waits from its first report since the last decision: counting
    from the latest report would keep a photo reported every few hours out of the digest.
    """
    cutoff = now - timedelta(hours=settings.MODERATION_DIGEST_AFTER_HOURS)
    first_report = (
        EntryReport.objects.filter(
            entry=OuterRef("pk"),
            created_at__gt=Coalesce(OuterRef("decided_at"), OuterRef("created_at")),
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        Entry.objects.filter(
            Q(moderation=Entry.Moderation.PENDING, photo__status=Photo.Status.READY)
            | Q(flagged=True)
        )
        .annotate(first_report=Subquery(first_report))
        # The digest is written in the site's first language: the contest's French title.
        .values_list("contest_id", "contest__title_fr", "moderation", "created_at", "first_report")
    )
    waiting: list[tuple[int, bool, datetime]] = []
    titles: dict[int, str] = {}
    for contest_id, title, moderation, created_at, first_report_at in rows:
        new = moderation == Entry.Moderation.PENDING
        # A flagged entry with no report row (flagged by hand) waits from its creation.
        since = created_at if new or first_report_at is None else first_report_at
        if since <= cutoff:
            waiting.append((contest_id, new, since))
            titles[contest_id] = title
    per_contest: dict[int, int] = {}
    for contest_id, _new, _since in waiting:
        per_contest[contest_id] = per_contest.get(contest_id, 0) + 1
    new_count = sum(1 for _contest_id, new, _since in waiting if new)
    return ModerationBacklog(
        waiting=len(waiting),
        new=new_count,
        reported=len(waiting) - new_count,
        oldest_since=min((since for _contest_id, _new, since in waiting), default=None),
        contests=sorted(
            (ContestBacklog(title=titles[pk], waiting=count) for pk, count in per_contest.items()),
            key=lambda backlog: (-backlog.waiting, backlog.title),
        ),
    )


def moderator_emails() -> list[str]:
    """The addresses of active users allowed to moderate (the Moderators group, superusers)."""
    users = get_user_model().objects.with_perm(
        "contest.moderate_entry",
        is_active=True,
        include_superusers=True,
        # Sesame's backend is also configured; permissions come from the model backend.
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return sorted({email for email in users.values_list("email", flat=True) if email})
