"""A campaign with known figures (tests/dashboard/, tests/browser/test_dashboard.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from contest.models import Contest, Entry, Participant
from dashboard.services import summary_refresh
from gallery.models import Vote
from tests.factories import ContestFactory, EntryFactory, UserFactory
from transit.models import Agency, Line, Network


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, in UTC (Paris is UTC+1 then)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


OPENS = at(1, 7)  # 8:00 in Paris on 1 November
NOW = at(3, 12)


@dataclass
class Campaign:
    contest: Contest
    entries: list[Entry]


def make_line(network: Network, number: str, order: int) -> Line:
    agency, _ = Agency.objects.get_or_create(network=network, gtfs_id="tan", name="TAN")
    return Line.objects.create(
        network=network,
        agency=agency,
        gtfs_id=number,
        short_name=number,
        long_name=f"Ligne {number}",
        route_type=3,
        colour="#0b5c8a",
        text_colour="#ffffff",
        sort_order=order,
    )


def summarise(contest: Contest) -> None:
    """What the beat job does (dashboard.tasks), from scratch: the data here is back-dated."""
    summary_refresh(contest_id=contest.pk, full=True)


def add_entry(
    contest: Contest, participant: Participant, sent: datetime, **fields: object
) -> Entry:
    entry: Entry = EntryFactory(contest=contest, participant=participant, **fields)
    # auto_now_add: the sending time is set afterwards, as a campaign's history would have it.
    Entry.objects.filter(pk=entry.pk).update(created_at=sent)
    entry.created_at = sent
    return entry


def add_votes(entry: Entry, moments: list[datetime]) -> None:
    for moment in moments:
        vote = Vote.objects.create(entry=entry, user=UserFactory())
        Vote.objects.filter(pk=vote.pk).update(created_at=moment)
    Entry.objects.filter(pk=entry.pk).update(vote_count=len(moments))


@pytest.fixture
def campaign(contest: Contest, entrant: Participant, other_entrant: Participant) -> Campaign:
    """Four entries over three days, two riders (one had entered an earlier contest):

    - 1 Nov 9:15 (Paris), "Lumières", line C1, phone, approved after 1 h, 3 votes;
    - 1 Nov 9:40, "Lumières", line 4, phone, refused (off-topic) after 3 h;
    - 2 Nov 18:05, "Saisons", line C1, computer, approved after 2 h, 1 vote (other rider);
    - 3 Nov 9:30, no theme, no line, device unknown, waiting.
    """
    Contest.objects.filter(pk=contest.pk).update(opens_at=OPENS, closes_at=at(15, 22))
    contest.refresh_from_db()
    network = Network.objects.create(name="Naolib", slug="naolib")
    c1, four = make_line(network, "C1", 1), make_line(network, "4", 2)
    lights, seasons = contest.themes.order_by("position")
    approved, refused = Entry.Moderation.APPROVED, Entry.Moderation.REFUSED
    first = add_entry(
        contest, entrant, at(1, 8, 15), theme=lights, line=c1, device="phone",
        moderation=approved, decided_at=at(1, 9, 15), title="Le tram au lever du jour",
    )  # fmt: skip
    second = add_entry(
        contest, entrant, at(1, 8, 40), theme=lights, line=four, device="phone",
        moderation=refused, refusal_code=Entry.Reason.OFF_TOPIC, decided_at=at(1, 11, 40),
    )  # fmt: skip
    third = add_entry(
        contest, other_entrant, at(2, 17, 5), theme=seasons, line=c1, device="computer",
        moderation=approved, decided_at=at(2, 19, 5), title="Bus de nuit",
    )  # fmt: skip
    fourth = add_entry(contest, entrant, at(3, 8, 30))
    add_votes(first, [at(1, 12), at(2, 9), at(2, 10)])
    add_votes(third, [at(3, 9)])
    # The other rider had entered last year's contest; a contest opening later does not count.
    earlier = ContestFactory(opens_at=at(1, 7) - timedelta(days=365), closes_at=at(1, 7))
    add_entry(earlier, other_entrant, at(1, 7) - timedelta(days=300))
    later = ContestFactory(opens_at=at(10, 7), closes_at=at(20, 7))
    add_entry(later, entrant, at(10, 8))
    summarise(contest)
    return Campaign(contest=contest, entries=[first, second, third, fourth])
