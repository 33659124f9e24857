"""Marketing's figures for one contest, aggregated in the database.

A fixed number of queries whatever the number of entries or votes (QUERIES): a few GROUP
BYs over small keys, added up here; the days and hours with nothing are filled in here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from contest.devices import COMPUTER, PHONE
from contest.models import Contest, Entry, Participant, Theme
from gallery.models import Vote

TOP_COUNT = 10
QUERIES = 7


@dataclass(frozen=True)
class TopPhoto:
    title: str
    public_id: str
    votes: int


@dataclass(frozen=True)
class Figures:
    """What the dashboard shows; counts of entries unless named otherwise."""

    now: datetime
    total: int
    pending: int
    approved: int
    refused: int
    oldest_pending: datetime | None
    median_decision: timedelta | None
    per_day: list[tuple[date, int]]
    per_hour: list[tuple[int, int]]
    per_theme: list[tuple[str, int]]
    no_theme: int
    per_line: list[tuple[str, int]]
    phone: int
    computer: int
    unknown_device: int
    participants: int
    returning: int
    refusals: list[tuple[str, int]]
    votes_per_day: list[tuple[date, int]]
    top_voted: list[TopPhoto]

    @property
    def decided(self) -> int:
        return self.approved + self.refused

    @property
    def approval_rate(self) -> float | None:
        """Approved among decided, in percent; None before the first decision."""
        return round(100 * self.approved / self.decided, 1) if self.decided else None

    @property
    def new(self) -> int:
        return self.participants - self.returning


def _campaign_days(contest: Contest, now: datetime, counted: Mapping[date, int]) -> list[date]:
    """From the opening day to the closing day, or to today while it runs; plus any day
    outside that span that has something (an entry sent before a date was moved)."""
    first = timezone.localdate(contest.opens_at)
    last = timezone.localdate(min(contest.closes_at, now))
    days = {first + timedelta(days=n) for n in range(max((last - first).days + 1, 1))}
    return sorted(days | set(counted))


def _per_day(counted: Mapping[date, int], days: list[date]) -> list[tuple[date, int]]:
    return [(day, counted.get(day, 0)) for day in days]


def dashboard_figures(*, contest: Contest, now: datetime | None = None) -> Figures:
    """Every figure of the dashboard, in QUERIES queries.

    The entries are read in few passes, each a GROUP BY over small keys whose groups are
    then added up here: at 250,000 entries every pass over the table costs (bench/dashboard.py).
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    entries = Entry.objects.filter(contest=contest).order_by()
    moderation = Entry.Moderation

    # 1: by day, hour (local time), device and state: at most days x 24 x 3 x 3 groups.
    by_day: Counter[date] = Counter()
    by_hour: Counter[int] = Counter()
    by_state: Counter[str] = Counter()
    by_device: Counter[str] = Counter()
    oldest_pending: datetime | None = None
    for day, hour, device, state, n, first in (
        entries.annotate(
            day=TruncDate("created_at", tzinfo=tz), hour=ExtractHour("created_at", tzinfo=tz)
        )
        .values("day", "hour", "device", "moderation")
        .annotate(n=Count("*"), first=Min("created_at"))
        .values_list("day", "hour", "device", "moderation", "n", "first")
    ):
        by_day[day] += n
        by_hour[hour] += n
        by_state[state] += n
        by_device[device] += n
        if state == moderation.PENDING and (oldest_pending is None or first < oldest_pending):
            oldest_pending = first
    # 2: by theme, line and refusal reason: at most themes x lines x reasons groups.
    by_theme: Counter[int | None] = Counter()
    by_line: dict[int, tuple[str, int, int]] = {}
    by_reason: Counter[str] = Counter()
    for theme_id, line_id, short, long, order, code, n in (
        entries.values(
            "theme", "line", "line__short_name", "line__long_name", "line__sort_order",
            "refusal_code",
        )
        .annotate(n=Count("*"))
        .values_list(
            "theme", "line", "line__short_name", "line__long_name", "line__sort_order",
            "refusal_code", "n",
        )
    ):  # fmt: skip
        by_theme[theme_id] += n
        if line_id is not None:
            name = " – ".join(part for part in (short, long) if part)
            _name, _order, counted = by_line.get(line_id, (name, order, 0))
            by_line[line_id] = (name, order, counted + n)
        if code:
            by_reason[code] += n
    # 3: the themes, those with no entry too.
    themes = [(theme.name, by_theme[theme.pk]) for theme in Theme.objects.filter(contest=contest)]
    # 4: participants, and those who had entered a contest that opened before this one.
    earlier = Entry.objects.filter(
        participant=OuterRef("pk"), contest__opens_at__lt=contest.opens_at
    ).exclude(contest=contest)
    people = Participant.objects.filter(
        Exists(Entry.objects.filter(contest=contest, participant=OuterRef("pk")))
    ).aggregate(total=Count("id"), returning=Count("id", filter=Q(Exists(earlier))))
    # 5: the median time to a decision.
    decided = by_state[moderation.APPROVED] + by_state[moderation.REFUSED]
    median = _median_decision(entries, decided=decided)
    # 6: votes per day.
    votes_by_day = dict(
        Vote.objects.filter(entry__contest=contest)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    # 7: the most voted public photos (an index scan: entry_votes).
    top = [
        TopPhoto(title=title, public_id=str(public_id), votes=votes)
        for title, public_id, votes in entries.filter(
            moderation=moderation.APPROVED, hidden=False, withdrawn_at=None, vote_count__gt=0
        )
        .order_by("-vote_count", "id")
        .values_list("title", "photo__public_id", "vote_count")[:TOP_COUNT]
    ]
    reasons = dict(Entry.Reason.choices)
    total = sum(by_state.values())
    return Figures(
        now=now,
        total=total,
        pending=by_state[moderation.PENDING],
        approved=by_state[moderation.APPROVED],
        refused=by_state[moderation.REFUSED],
        oldest_pending=oldest_pending,
        median_decision=median,
        per_day=_per_day(by_day, _campaign_days(contest, now, by_day)),
        per_hour=[(hour, by_hour[hour]) for hour in range(24)],
        per_theme=themes,
        no_theme=by_theme[None],
        per_line=[
            (name, n)
            for name, _order, n in sorted(by_line.values(), key=lambda v: (-v[2], v[1], v[0]))
        ],
        phone=by_device[PHONE],
        computer=by_device[COMPUTER],
        unknown_device=total - by_device[PHONE] - by_device[COMPUTER],
        participants=people["total"],
        returning=people["returning"],
        refusals=[
            (str(reasons.get(code, code)), n)
            for code, n in sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
        ],
        votes_per_day=_per_day(votes_by_day, _campaign_days(contest, now, votes_by_day)),
        top_voted=top,
    )


def _median_decision(entries: QuerySet[Entry], *, decided: int) -> timedelta | None:
    """One query, always (none decided: an empty slice), so the count stays fixed.

    `decided` is the number of approved and refused entries, counted beforehand: the
    middle one or two of their sorted durations are all this query fetches.
    """
    middle = max((decided - 1) // 2, 0)
    durations = list(
        entries.filter(decided_at__isnull=False)
        .exclude(moderation=Entry.Moderation.PENDING)
        .annotate(
            took=ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
        )
        .order_by("took")
        .values_list("took", flat=True)[middle : middle + 2]
    )
    if not decided or not durations:
        return None
    if decided % 2 or len(durations) == 1:
        return durations[0]
    return (durations[0] + durations[1]) / 2
