"""The dashboard's one write: its summary of a contest (dashboard.models), kept by a beat job.

`summary_refresh` counts again only the hours that changed since its last run: the hours
(UTC) in which entries were sent, of entries sent or decided since then (Entry.decided_at,
and moderation's audit rows for an undo or a corrected line), and of votes cast since then.
Each of those hours is counted again whole from the entries, so a run repeated, or
redelivered after a crash, writes the same rows. A full rebuild counts everything again:
when asked (`summary_rebuild_request`), on a contest's first run, when entries were deleted,
and once a day for what no timestamp shows (a vote erased with its account).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncHour
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from dashboard.models import ContestSummary, SummaryCount
from gallery.models import Vote
from moderation.models import ModerationEvent

# A row whose transaction committed up to this long after its own timestamp is still
# counted: each run looks back this far before the last one's `as_of`.
MARGIN = timedelta(minutes=10)
# Once a day, everything again (see the module docstring).
REBUILD_EVERY = timedelta(hours=24)
# Past this many hours to count again, one pass over the contest is as cheap.
MAX_HOURS = 240
# The beat job keeps these contests' summaries; the others once, and when asked.
RUNNING = (Contest.Status.OPEN, Contest.Status.JUDGING, Contest.Status.RESULTS)

Facet = SummaryCount.Facet
# (facet, value, theme id, line id): a SummaryCount row's key.
Key = tuple[str, str, int | None, int | None]


def summary_refresh(*, contest_id: int, full: bool = False) -> ContestSummary | None:
    """Brings the contest's summary up to now; None when the contest is gone.

    One transaction per contest, under the lock of its ContestSummary row: a second run at
    the same time waits, then finds (almost) nothing left to count.
    """
    with transaction.atomic():
        if not Contest.objects.filter(pk=contest_id).exists():
            return None
        # Two first runs at once: the second INSERT waits for the first, then does nothing.
        ContestSummary.objects.bulk_create(
            [ContestSummary(contest_id=contest_id)], ignore_conflicts=True
        )
        state = ContestSummary.objects.select_for_update().get(contest_id=contest_id)
        # After the lock: a run that waited for another one must not move `as_of` back.
        now = timezone.now()
        full = (
            full
            or state.rebuild_requested
            or state.as_of is None
            or state.rebuilt_at is None
            or now - state.rebuilt_at >= REBUILD_EVERY
        )
        entries = Entry.objects.filter(contest_id=contest_id).order_by()
        votes = Vote.objects.filter(entry__contest_id=contest_id).order_by()
        sent: set[datetime] = set()
        decided: set[datetime] = set()
        voted: set[datetime] = set()
        if not full and state.as_of is not None:
            since = state.as_of - MARGIN
            sent = _hours(entries.filter(created_at__gte=since))
            audited = ModerationEvent.objects.filter(created_at__gte=since).values("entry_id")
            # By state too: a range of the entry_public index (contest, moderation, decided_at).
            decisions = entries.filter(
                moderation__in=(Entry.Moderation.APPROVED, Entry.Moderation.REFUSED),
                decided_at__gte=since,
            )
            decided = _hours(decisions) | _hours(entries.filter(pk__in=audited))
            voted = _hours(votes.filter(created_at__gte=since))
            full = len(sent | decided) + len(voted) > MAX_HOURS
        if not full:
            if sent | decided:
                _count_entries(contest_id, entries, hours=sent | decided)
            if voted:
                _count_votes(contest_id, votes, hours=voted)
            if sent or decided or voted:
                _add_up(contest_id)
            # Entries deleted (an admin's doing): no timestamp shows which hours lost them.
            full = entries.count() < _total(contest_id)
        if full:
            SummaryCount.objects.filter(contest_id=contest_id).delete()
            _count_entries(contest_id, entries, hours=None)
            _count_votes(contest_id, votes, hours=None)
            _add_up(contest_id)
        if full or sent:
            state.participants, state.returning = _participants(contest_id)
        if full or decided:
            state.median_decision = _median_decision(entries, decided=_decided(contest_id))
        state.entries = _total(contest_id)
        state.as_of = now
        if full:
            state.rebuilt_at = now
            state.rebuild_requested = False
        state.save()
    return state


def summary_rebuild_request(*, contest_id: int) -> None:
    """Asks the next run to count the contest again from scratch (and enqueues one)."""
    from dashboard.tasks import refresh_summary

    ContestSummary.objects.filter(contest_id=contest_id).update(rebuild_requested=True)
    refresh_summary.delay_on_commit(contest_id, True)


def summaries_due() -> list[int]:
    """The contests the beat job refreshes: running ones, and any other never counted or
    whose rebuild was asked for."""
    never = ~Exists(ContestSummary.objects.filter(contest=OuterRef("pk")))
    asked = Exists(ContestSummary.objects.filter(contest=OuterRef("pk"), rebuild_requested=True))
    return list(
        Contest.objects.filter(Q(status__in=RUNNING) | Q(never) | Q(asked))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- the counting ----------------------------------------------------------------------------


def _hours(rows: QuerySet[Entry] | QuerySet[Vote]) -> set[datetime]:
    """The UTC hours in which the entries were sent (or the votes cast)."""
    return set(
        rows.annotate(h=TruncHour("created_at", tzinfo=UTC)).values_list("h", flat=True).distinct()
    )


def _count_entries(
    contest_id: int, entries: QuerySet[Entry], *, hours: Collection[datetime] | None
) -> None:
    """Counts the entries sent in `hours` (all, for None) again, facet by facet."""
    rows = entries.annotate(h=TruncHour("created_at", tzinfo=UTC))
    if hours is not None:
        rows = rows.filter(h__in=list(hours))
        SummaryCount.objects.filter(contest_id=contest_id, hour__in=list(hours)).exclude(
            facet=Facet.VOTES
        ).delete()
    counts: Counter[tuple[datetime, Key]] = Counter()
    # One GROUP BY over small keys (their cross product), split into facets here.
    for hour, theme, line, device, state, code, n in (
        rows.values("h", "theme", "line", "device", "moderation", "refusal_code")
        .annotate(n=Count("*"))
        .values_list("h", "theme", "line", "device", "moderation", "refusal_code", "n")
    ):
        counts[hour, (Facet.ENTRIES, "", None, None)] += n
        counts[hour, (Facet.MODERATION, state, None, None)] += n
        counts[hour, (Facet.DEVICE, device, None, None)] += n
        counts[hour, (Facet.THEME, "", theme, None)] += n
        if line is not None:
            counts[hour, (Facet.LINE, "", None, line)] += n
        if code:
            counts[hour, (Facet.REFUSAL, code, None, None)] += n
    _write(contest_id, counts.items())


def _count_votes(
    contest_id: int, votes: QuerySet[Vote], *, hours: Collection[datetime] | None
) -> None:
    rows = votes.annotate(h=TruncHour("created_at", tzinfo=UTC))
    if hours is not None:
        rows = rows.filter(h__in=list(hours))
        SummaryCount.objects.filter(
            contest_id=contest_id, hour__in=list(hours), facet=Facet.VOTES
        ).delete()
    counted = rows.values("h").annotate(n=Count("*")).values_list("h", "n")
    _write(contest_id, (((hour, (Facet.VOTES, "", None, None)), n) for hour, n in counted))


def _write(contest_id: int, counts: Iterable[tuple[tuple[datetime | None, Key], int]]) -> None:
    SummaryCount.objects.bulk_create(
        [
            SummaryCount(
                contest_id=contest_id, hour=hour, facet=facet, value=value, theme_id=theme,
                line_id=line, count=n,
            )
            for (hour, (facet, value, theme, line)), n in counts
            if n
        ],
        batch_size=2000,
    )  # fmt: skip


def _add_up(contest_id: int) -> None:
    """The contest's totals (hour null), from its hourly rows: what the page reads."""
    hourly = SummaryCount.objects.filter(contest_id=contest_id, hour__isnull=False)
    totals = (
        hourly.order_by()
        .values("facet", "value", "theme", "line")
        .annotate(n=Sum("count"))
        .values_list("facet", "value", "theme", "line", "n")
    )
    rows = [((None, (facet, value, theme, line)), n) for facet, value, theme, line, n in totals]
    SummaryCount.objects.filter(contest_id=contest_id, hour__isnull=True).delete()
    _write(contest_id, rows)


def _total(contest_id: int) -> int:
    row = SummaryCount.objects.filter(
        contest_id=contest_id, hour__isnull=True, facet=Facet.ENTRIES
    ).first()
    return row.count if row else 0


def _decided(contest_id: int) -> int:
    return (
        SummaryCount.objects.filter(
            contest_id=contest_id,
            hour__isnull=True,
            facet=Facet.MODERATION,
            value__in=(Entry.Moderation.APPROVED, Entry.Moderation.REFUSED),
        ).aggregate(n=Sum("count"))["n"]
        or 0
    )


def _participants(contest_id: int) -> tuple[int, int]:
    """Everyone who entered the contest, and those who had entered one opened before it."""
    contest = Contest.objects.only("opens_at").get(pk=contest_id)
    earlier = Entry.objects.filter(
        participant=OuterRef("pk"), contest__opens_at__lt=contest.opens_at
    ).exclude(contest_id=contest_id)
    people = Participant.objects.filter(
        Exists(Entry.objects.filter(contest_id=contest_id, participant=OuterRef("pk")))
    ).aggregate(total=Count("id"), returning=Count("id", filter=Q(Exists(earlier))))
    return people["total"], people["returning"]


def _median_decision(entries: QuerySet[Entry], *, decided: int) -> timedelta | None:
    """The middle one or two of the decided entries' sorted durations: all this fetches."""
    if not decided:
        return None
    middle = (decided - 1) // 2
    durations = list(
        entries.filter(decided_at__isnull=False)
        .exclude(moderation=Entry.Moderation.PENDING)
        .annotate(
            took=ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
        )
        .order_by("took")
        .values_list("took", flat=True)[middle : middle + 2]
    )
    if not durations:
        return None
    if decided % 2 or len(durations) == 1:
        return durations[0]
    return (durations[0] + durations[1]) / 2
