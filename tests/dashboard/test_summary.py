"""The dashboard's summary: counted again only where something changed, from scratch when
asked or when entries were deleted, the same rows however often it runs."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry
from dashboard.models import ContestSummary, SummaryCount
from dashboard.selectors import dashboard_figures
from dashboard.services import summaries_due, summary_rebuild_request, summary_refresh
from dashboard.tasks import refresh_summaries
from gallery.models import Vote
from moderation.models import ModerationEvent
from tests.dashboard.conftest import NOW, Campaign, add_entry, at
from tests.factories import ContestFactory, EntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def rows(contest: Contest) -> list[tuple[object, ...]]:
    return sorted(
        SummaryCount.objects.filter(contest=contest).values_list(
            "hour", "facet", "value", "theme", "line", "count"
        ),
        key=repr,
    )


def test_it_counts_what_was_sent_decided_or_voted_since_its_last_run(campaign: Campaign) -> None:
    contest = campaign.contest
    rebuilt = ContestSummary.objects.get(contest=contest).rebuilt_at
    first, _second, _third, waiting = campaign.entries
    # Since the last run: a new entry, the waiting one decided, a vote.
    EntryFactory(contest=contest, participant=first.participant, device="phone")
    Entry.objects.filter(pk=waiting.pk).update(
        moderation=Entry.Moderation.APPROVED, decided_at=timezone.now()
    )
    Vote.objects.create(entry=first, user=UserFactory())

    state = summary_refresh(contest_id=contest.pk)

    assert state is not None
    assert state.rebuilt_at == rebuilt  # only the changed hours were counted again
    figures = dashboard_figures(contest=contest, now=NOW)
    assert (figures.total, figures.pending, figures.approved, figures.refused) == (5, 1, 3, 1)
    assert figures.phone == 3
    # Decided after 1 h, 3 h, 2 h and now a month: the middle two are 2 h and 3 h.
    assert figures.median_decision == timedelta(hours=2, minutes=30)
    assert sum(n for _day, n in figures.votes_per_day) == 5
    assert (timezone.localdate(), 1) in figures.votes_per_day
    assert figures.per_day[:3] == [
        (date(2026, 11, 1), 2),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 3), 1),
    ]


def test_it_counts_again_an_entry_whose_decision_was_undone(campaign: Campaign) -> None:
    contest = campaign.contest
    refused = campaign.entries[1]
    # An undo puts the entry back in the queue: its decision time goes, the audit row stays.
    Entry.objects.filter(pk=refused.pk).update(
        moderation=Entry.Moderation.PENDING, refusal_code="", decided_at=None
    )
    ModerationEvent.objects.create(
        entry=refused, action=ModerationEvent.Action.UNDO, from_state="refused", to_state="pending"
    )
    summary_refresh(contest_id=contest.pk)
    figures = dashboard_figures(contest=contest, now=NOW)
    assert (figures.pending, figures.refused, figures.refusals) == (2, 0, [])


def test_it_writes_the_same_rows_however_often_it_runs(campaign: Campaign) -> None:
    contest = campaign.contest
    before = rows(contest)
    summary_refresh(contest_id=contest.pk)
    summary_refresh(contest_id=contest.pk)
    assert rows(contest) == before
    summary_refresh(contest_id=contest.pk, full=True)
    assert rows(contest) == before


def test_it_counts_again_from_scratch_when_entries_were_deleted(campaign: Campaign) -> None:
    contest = campaign.contest
    campaign.entries[2].delete()
    summary_refresh(contest_id=contest.pk)
    figures = dashboard_figures(contest=contest, now=NOW)
    assert (figures.total, figures.approved, figures.computer) == (3, 1, 0)
    assert figures.per_theme == [("Lumières de la ville", 2), ("Saisons", 0)]


def test_it_counts_again_from_scratch_when_asked(campaign: Campaign) -> None:
    contest = campaign.contest
    # Back-dated beyond the margin: no run since would look at its hour.
    add_entry(contest, campaign.entries[0].participant, at(2, 9))
    summary_refresh(contest_id=contest.pk)
    assert dashboard_figures(contest=contest, now=NOW).total == 4
    summary_rebuild_request(contest_id=contest.pk)
    summary_refresh(contest_id=contest.pk)
    assert dashboard_figures(contest=contest, now=NOW).total == 5
    assert not ContestSummary.objects.get(contest=contest).rebuild_requested


def test_it_counts_again_from_scratch_once_a_day(campaign: Campaign) -> None:
    contest = campaign.contest
    add_entry(contest, campaign.entries[0].participant, at(2, 9))
    ContestSummary.objects.filter(contest=contest).update(
        rebuilt_at=timezone.now() - timedelta(hours=25)
    )
    summary_refresh(contest_id=contest.pk)
    assert dashboard_figures(contest=contest, now=NOW).total == 5


def test_it_counts_a_deleted_themes_entries_as_without_a_theme(campaign: Campaign) -> None:
    contest = campaign.contest
    contest.themes.get(position=2).delete()
    figures = dashboard_figures(contest=contest, now=NOW)
    assert (figures.per_theme, figures.no_theme) == ([("Lumières de la ville", 2)], 2)


def test_it_refreshes_running_contests_and_those_never_counted(campaign: Campaign) -> None:
    archived = ContestFactory(status=Contest.Status.ARCHIVED)
    due = summaries_due()
    assert campaign.contest.pk in due
    assert archived.pk in due  # never counted
    summary_refresh(contest_id=archived.pk)
    assert archived.pk not in summaries_due()
    summary_rebuild_request(contest_id=archived.pk)
    assert archived.pk in summaries_due()


def test_it_returns_quietly_for_a_contest_that_is_gone() -> None:
    assert summary_refresh(contest_id=987654) is None
    assert not ContestSummary.objects.exists()


def test_it_shows_how_old_the_figures_are(
    campaign: Campaign, persona_client: Callable[[str], Client]
) -> None:
    as_of = timezone.localtime(ContestSummary.objects.get(contest=campaign.contest).as_of)
    page = persona_client("marketing").get(
        reverse("dashboard:dashboard", args=[campaign.contest.slug])
    )
    assert f"Chiffres arrêtés à {as_of:%H:%M}" in page.content.decode()


def test_it_says_the_figures_are_coming_before_the_first_count(
    contest: Contest, persona_client: Callable[[str], Client]
) -> None:
    page = persona_client("marketing").get(reverse("dashboard:dashboard", args=[contest.slug]))
    assert page.status_code == 200
    assert "Les chiffres sont en cours de calcul" in page.content.decode()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_summary_through_a_worker(redis_worker: None, contest: Contest) -> None:
    EntryFactory(contest=contest)
    refresh_summaries.delay()
    refresh_summaries.delay()  # twice: a duplicate does no harm
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not ContestSummary.objects.filter(
        contest=contest, as_of__isnull=False
    ):
        time.sleep(0.2)
    time.sleep(1)  # room for the duplicate
    assert dashboard_figures(contest=contest).total == 1
    assert dashboard_figures(contest=contest).pending == 1


@pytest.mark.django_db(transaction=True)
def test_it_lets_two_runs_at_once_do_no_harm(contest: Contest) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    for n in range(30):
        EntryFactory(contest=contest, device="phone" if n % 2 else "")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            summary_refresh(contest_id=contest.pk, full=True)
        except BaseException as error:  # reported by the assert below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    figures = dashboard_figures(contest=contest)
    assert (figures.total, figures.phone, figures.unknown_device) == (30, 15, 15)
    assert ContestSummary.objects.filter(contest=contest).count() == 1


def test_it_counts_a_contest_again_from_the_command_line(campaign: Campaign) -> None:
    contest = campaign.contest
    add_entry(contest, campaign.entries[0].participant, at(2, 9))
    out = io.StringIO()
    call_command("dashboard_summary", contest.slug, stdout=out)
    assert f"{contest.slug}: 5 entries counted" in out.getvalue()
    assert dashboard_figures(contest=contest, now=NOW).total == 5
    with pytest.raises(CommandError):
        call_command("dashboard_summary", "nope")
