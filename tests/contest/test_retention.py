"""Retention: originals of refused photos and of non-winners leave storage on schedule."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry, Participant, RetentionRun
from contest.retention import months_before, retention_run
from contest.selectors import entries_public
from contest.tasks import run_retention
from covers.models import Guide, Pick
from moderation.services import entry_decide
from photos.models import Photo
from photos.services import originals_storage
from tests.conftest import service_missing
from tests.races import together

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused(ready_entry: Callable[..., Entry], moderator: Any) -> Callable[..., Entry]:
    def make(**kwargs: Any) -> Entry:
        entry = ready_entry(**kwargs)
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,
            approve=False,
            reason=Entry.Reason.OFF_TOPIC,
        )
        entry.refresh_from_db()
        return entry

    return make


def _stored(entry: Entry) -> str:
    """The entry's original key, checked to be in storage."""
    name = Photo.objects.get(pk=entry.photo_id).original
    assert name
    assert originals_storage().exists(name)
    return name


def _rendition_files(entry: Entry) -> list[str]:
    return [r.file.name for r in entry.photo.renditions.all()]


def _run(capture: Any, **kwargs: Any) -> RetentionRun:
    with capture(execute=True):
        return retention_run(**kwargs)


def _archive(contest: Contest, at: datetime) -> None:
    Contest.objects.filter(pk=contest.pk).update(status=Contest.Status.ARCHIVED, archived_at=at)


def test_it_deletes_a_refused_photos_original_after_the_contests_days_and_not_before(
    refused: Callable[..., Entry],
    contest: Contest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = refused(seed=1)
    name = _stored(entry)
    renditions = _rendition_files(entry)
    assert contest.refused_originals_days == 30
    # The refusal moved 29 days into the past: one day early.
    Entry.objects.filter(pk=entry.pk).update(decided_at=timezone.now() - timedelta(days=29))

    early = _run(django_capture_on_commit_callbacks)

    assert early.originals_removed == 0
    assert originals_storage().exists(name)

    Entry.objects.filter(pk=entry.pk).update(decided_at=timezone.now() - timedelta(days=31))
    run = _run(django_capture_on_commit_callbacks)

    assert run.originals_removed == 1
    assert run.removed == [
        {
            "entry": entry.pk,
            "photo": entry.photo_id,
            "contest": contest.pk,
            "reason": "refused",
            "file": name,
        }
    ]
    assert run.finished_at is not None
    assert not originals_storage().exists(name)
    photo = Photo.objects.get(pk=entry.photo_id)
    assert photo.original == ""
    # The renditions stay: a moderator may still look at the photo again.
    assert photo.status == Photo.Status.READY
    assert renditions
    assert all(default_storage.exists(r) for r in renditions)


def test_it_follows_each_contests_own_refusal_period(
    refused: Callable[..., Entry],
    contest: Contest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Contest.objects.filter(pk=contest.pk).update(refused_originals_days=7)
    entry = refused(seed=2)
    name = _stored(entry)

    assert _run(django_capture_on_commit_callbacks, now=timezone.now()).originals_removed == 0
    run = _run(django_capture_on_commit_callbacks, now=timezone.now() + timedelta(days=8))

    assert [item["entry"] for item in run.removed] == [entry.pk]
    assert not originals_storage().exists(name)


def test_it_deletes_non_winners_originals_months_after_archiving_and_keeps_the_winners(
    approved: Callable[..., Entry],
    other_entrant: Participant,
    contest: Contest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    winner = approved(seed=3)
    loser = approved(seed=4, participant=other_entrant)
    guide = Guide.objects.create(contest=contest, name="Ligne 2", line_label="2")
    Pick.objects.create(guide=guide, entry=winner, slot=0)
    winner_original, loser_original = _stored(winner), _stored(loser)
    loser_renditions = _rendition_files(loser)
    now = timezone.now()
    # Archived five months and a bit ago: the default 6 months are not over.
    _archive(contest, months_before(now, 5) - timedelta(days=2))

    assert _run(django_capture_on_commit_callbacks).originals_removed == 0
    assert originals_storage().exists(loser_original)

    _archive(contest, months_before(now, 6) - timedelta(days=1))
    run = _run(django_capture_on_commit_callbacks)

    assert run.removed == [
        {
            "entry": loser.pk,
            "photo": loser.photo_id,
            "contest": contest.pk,
            "reason": "not_winner",
            "file": loser_original,
        }
    ]
    assert not originals_storage().exists(loser_original)
    assert originals_storage().exists(winner_original)
    assert Photo.objects.get(pk=winner.photo_id).original == winner_original
    # The approved photo stays in the gallery, renditions and all.
    assert all(default_storage.exists(r) for r in loser_renditions)
    assert set(entries_public(contest_id=contest.pk)) == {winner, loser}


def test_it_starts_the_non_winners_clock_when_it_first_sees_the_contest_archived(
    approved: Callable[..., Entry],
    contest: Contest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = approved(seed=5)
    name = _stored(entry)
    Contest.objects.filter(pk=contest.pk).update(status=Contest.Status.ARCHIVED)
    seen = timezone.now()

    _run(django_capture_on_commit_callbacks, now=seen)
    contest.refresh_from_db()
    assert contest.archived_at == seen

    in_five_months = _run(django_capture_on_commit_callbacks, now=seen + timedelta(days=150))
    assert in_five_months.originals_removed == 0
    in_seven_months = _run(django_capture_on_commit_callbacks, now=seen + timedelta(days=200))
    assert [item["entry"] for item in in_seven_months.removed] == [entry.pk]
    assert not originals_storage().exists(name)


def test_it_removes_nothing_on_a_second_run_and_logs_zero(
    refused: Callable[..., Entry], django_capture_on_commit_callbacks: Any
) -> None:
    entry = refused(seed=6)
    later = timezone.now() + timedelta(days=31)
    assert _run(django_capture_on_commit_callbacks, now=later).originals_removed == 1

    second = _run(django_capture_on_commit_callbacks, now=later)

    assert second.originals_removed == 0
    assert second.removed == []
    assert RetentionRun.objects.count() == 2
    assert Photo.objects.get(pk=entry.photo_id).original == ""


def test_it_removes_nothing_on_a_dry_run_but_lists_what_is_due(
    refused: Callable[..., Entry], django_capture_on_commit_callbacks: Any
) -> None:
    entry = refused(seed=7)
    name = _stored(entry)
    later = timezone.now() + timedelta(days=31)

    run = _run(django_capture_on_commit_callbacks, now=later, dry_run=True)

    assert run.dry_run
    assert run.originals_removed == 1
    assert [item["entry"] for item in run.removed] == [entry.pk]
    assert originals_storage().exists(name)
    assert Photo.objects.get(pk=entry.photo_id).original == name


def test_the_command_prints_what_it_removed_and_its_dry_run_deletes_nothing(
    refused: Callable[..., Entry], django_capture_on_commit_callbacks: Any
) -> None:
    entry = refused(seed=8)
    name = _stored(entry)
    Entry.objects.filter(pk=entry.pk).update(decided_at=timezone.now() - timedelta(days=40))

    dry = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retention", "--dry-run", stdout=dry)
    assert f"due: entry {entry.pk} " in dry.getvalue()
    assert "1 originals due (dry run, nothing deleted)" in dry.getvalue()
    assert originals_storage().exists(name)

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retention", stdout=out)
    assert f"removed: entry {entry.pk} " in out.getvalue()
    assert f"refused) {name}" in out.getvalue()
    assert "1 originals removed" in out.getvalue()
    assert not originals_storage().exists(name)


def test_it_runs_daily_from_beat_through_a_thin_task(
    refused: Callable[..., Entry], django_capture_on_commit_callbacks: Any
) -> None:
    job = settings.CELERY_BEAT_SCHEDULE["contest-retention"]
    assert job["task"] == run_retention.name
    assert job["schedule"] == timedelta(days=1)
    entry = refused(seed=9)
    Entry.objects.filter(pk=entry.pk).update(decided_at=timezone.now() - timedelta(days=31))

    with django_capture_on_commit_callbacks(execute=True):
        assert run_retention() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert run_retention() == 0


def test_the_rules_page_states_the_contests_retention_periods(
    entrant_client: Client, contest: Contest
) -> None:
    Contest.objects.filter(pk=contest.pk).update(
        refused_originals_days=15, non_winner_originals_months=3
    )

    page = entrant_client.get(reverse("contest:rules", args=[contest.slug])).content.decode()

    assert "Combien de temps nous gardons vos photos" in page
    assert "son fichier original est supprimé 15 jours après la décision" in page
    assert "sont supprimés 3 mois après l’archivage du concours" in page


def test_months_are_calendar_months_clamped_to_the_shorter_month() -> None:
    moment = datetime(2027, 8, 31, 12, 0, tzinfo=timezone.get_current_timezone())
    assert months_before(moment, 6) == moment.replace(month=2, day=28)
    assert months_before(moment, 8) == moment.replace(year=2026, month=12)


def test_a_moderator_asking_for_a_purged_original_gets_a_404_not_an_error(
    refused: Callable[..., Entry],
    persona_client: Callable[[str], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = refused(seed=10)
    _run(django_capture_on_commit_callbacks, now=timezone.now() + timedelta(days=31))

    response = persona_client("moderator").get(
        reverse("moderation:original", args=[entry.photo.public_id])
    )

    assert response.status_code == 404


def test_the_runs_are_listed_read_only_in_the_admin(
    refused: Callable[..., Entry], staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    entry = refused(seed=11)
    run = _run(django_capture_on_commit_callbacks, now=timezone.now() + timedelta(days=31))
    client = Client()
    client.force_login(staff)

    listing = client.get(reverse("admin:contest_retentionrun_changelist"))
    detail = client.get(reverse("admin:contest_retentionrun_change", args=[run.pk]))
    contest_page = client.get(reverse("admin:contest_contest_change", args=[entry.contest_id]))

    assert listing.status_code == detail.status_code == contest_page.status_code == 200
    assert f'"entry": {entry.pk}' in html.unescape(detail.content.decode())
    assert 'name="refused_originals_days"' in contest_page.content.decode()
    assert 'name="non_winner_originals_months"' in contest_page.content.decode()
    assert client.get(reverse("admin:contest_retentionrun_add")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remove_each_original_once(refused: Callable[..., Entry]) -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    entries = [refused(seed=seed) for seed in (12, 13, 14)]
    names = [_stored(entry) for entry in entries]
    later = timezone.now() + timedelta(days=31)

    outcomes, errors = together(
        lambda: retention_run(now=later), lambda: retention_run(now=later), refusal=Exception
    )

    assert not errors
    runs = [outcome for outcome in outcomes if isinstance(outcome, RetentionRun)]
    assert len(runs) == 2, outcomes
    removed = [item["entry"] for run in runs for item in run.removed]
    assert sorted(removed) == sorted(entry.pk for entry in entries)
    assert not any(originals_storage().exists(name) for name in names)
