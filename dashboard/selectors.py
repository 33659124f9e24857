"""Marketing's figures for one contest, read from the dashboard's summary.

The counts are the summary's (dashboard.models, kept every minute by dashboard.services):
a few dozen rows whatever the number of entries, right as of `Figures.as_of`. The backlog
(entries waiting, the oldest of them) is read live, from an index. A fixed number of
queries (QUERIES); the days and hours with nothing are filled in here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from contest.devices import COMPUTER, PHONE
from contest.models import Contest, Entry, Theme
from dashboard.models import ContestSummary, SummaryCount
from gallery.models import Share

TOP_COUNT = 10
QUERIES = 6


@dataclass(frozen=True)
class TopShared:
    """A photo by its share-button taps (gallery.Share: once per visitor, network and day)."""

    title: str
    public_id: str
    shares: int


@dataclass(frozen=True)
class TopPhoto:
    title: str
    public_id: str
    votes: int


@dataclass(frozen=True)
class Figures:
    """What the dashboard shows; counts of entries unless named otherwise.

    `pending` and `oldest_pending` are live; the others are as of `as_of` (None before the
    summary's first run).
    """

    now: datetime
    as_of: datetime | None
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
    top_shared: list[TopShared]

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
    """Every figure of the dashboard, in QUERIES queries, none of them over the entries but
    the backlog's (an index range) and the most voted (an index scan: entry_votes)."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    moderation = Entry.Moderation
    facet = SummaryCount.Facet

    # 1: where the summary stands, and the figures that are not sums over hours.
    summary = ContestSummary.objects.filter(contest=contest).first()
    # 2: the contest's totals per facet, and the entries and votes per hour.
    by_day: Counter[date] = Counter()
    by_hour: Counter[int] = Counter()
    votes_by_day: Counter[date] = Counter()
    totals: Counter[tuple[str, str]] = Counter()
    by_theme: Counter[int | None] = Counter()
    by_line: dict[int, tuple[str, int, int]] = {}
    for hour, kind, value, theme_id, line_id, short, long, order, n in (
        SummaryCount.objects.filter(contest=contest)
        .filter(Q(hour__isnull=True) | Q(facet__in=(facet.ENTRIES, facet.VOTES)))
        .values_list(
            "hour", "facet", "value", "theme", "line", "line__short_name", "line__long_name",
            "line__sort_order", "count",
        )
    ):  # fmt: skip
        if hour is not None:
            # Hours in UTC, days and hours of the day in local time: exact while the time
            # zone's offset is a whole number of hours (Europe/Paris).
            local = timezone.localtime(hour, tz)
            if kind == facet.VOTES:
                votes_by_day[local.date()] += n
            else:
                by_day[local.date()] += n
                by_hour[local.hour] += n
        elif kind == facet.THEME:
            by_theme[theme_id] += n
        elif kind == facet.LINE:
            if line_id is not None:  # its line deleted since
                name = " – ".join(part for part in (short, long) if part)
                _name, _order, counted = by_line.get(line_id, (name, order, 0))
                by_line[line_id] = (name, order, counted + n)
        else:
            totals[kind, value] += n
    # 3: the themes, those with no entry too.
    themes = [(theme.name, by_theme[theme.pk]) for theme in Theme.objects.filter(contest=contest)]
    # 4: the backlog, live (entry_public: contest, moderation...).
    backlog = Entry.objects.filter(contest=contest, moderation=moderation.PENDING).aggregate(
        n=Count("*"), first=Min("created_at")
    )
    # 5: the most voted public photos (an index scan: entry_votes).
    top = [
        TopPhoto(title=title, public_id=str(public_id), votes=votes)
        for title, public_id, votes in Entry.objects.filter(
            contest=contest, moderation=moderation.APPROVED, hidden=False, withdrawn_at=None,
            vote_count__gt=0,
        )
        .order_by("-vote_count", "id")
        .values_list("title", "photo__public_id", "vote_count")[:TOP_COUNT]
    ]  # fmt: skip
    # 6: the most shared public photos; shares are few beside entries (one row per visitor,
    # photo, network and day), so a GROUP BY over the contest's is cheap.
    shared = [
        TopShared(title=title, public_id=str(public_id), shares=n)
        for title, public_id, n in Share.objects.filter(
            entry__contest=contest, entry__moderation=moderation.APPROVED,
            entry__hidden=False, entry__withdrawn_at=None,
        )
        .values_list("entry__title", "entry__photo__public_id")
        .annotate(n=Count("*"))
        .order_by("-n", "entry_id")[:TOP_COUNT]
    ]  # fmt: skip
    reasons = dict(Entry.Reason.choices)
    total = totals[facet.ENTRIES, ""]
    phone, computer = totals[facet.DEVICE, PHONE], totals[facet.DEVICE, COMPUTER]
    return Figures(
        now=now,
        as_of=summary.as_of if summary else None,
        total=total,
        pending=backlog["n"],
        approved=totals[facet.MODERATION, moderation.APPROVED],
        refused=totals[facet.MODERATION, moderation.REFUSED],
        oldest_pending=backlog["first"],
        median_decision=summary.median_decision if summary else None,
        per_day=_per_day(by_day, _campaign_days(contest, now, by_day)),
        per_hour=[(hour, by_hour[hour]) for hour in range(24)],
        per_theme=themes,
        no_theme=by_theme[None],
        per_line=[
            (name, n)
            for name, _order, n in sorted(by_line.values(), key=lambda v: (-v[2], v[1], v[0]))
        ],
        phone=phone,
        computer=computer,
        unknown_device=total - phone - computer,
        participants=summary.participants if summary else 0,
        returning=summary.returning if summary else 0,
        refusals=[
            (str(reasons.get(code, code)), n)
            for (kind, code), n in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
            if kind == facet.REFUSAL
        ],
        votes_per_day=_per_day(votes_by_day, _campaign_days(contest, now, votes_by_day)),
        top_voted=top,
        top_shared=shared,
    )
