"""Starting a round is a worker's job (a first round deals every photo of the contest): the
chair's start is recorded and audited, the job lists and deals the photos, a re-run makes
only what is missing, a refused start leaves a draft with the reason, the sweep re-sends a
start left waiting, and tasks (kept without database constraints) still go with what they
point at."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry
from jury import services, tasks
from jury.models import Juror, JuryEvent, Round, RoundEntry, Task
from tests.jury.test_chair_pages import chair_client, page_text, post  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def _draft(contest: Contest, chair: object, *, quorum: int = 2) -> Round:
    return services.round_create(
        contest=contest,
        kind=Round.Kind.YESNO,
        quorum=quorum,
        deadline=timezone.now() + timedelta(days=7),
        chair=chair,  # type: ignore[arg-type]
    )


def _dealt_evenly(round: Round, quorum: int) -> None:
    per_entry = Counter(Task.objects.filter(round=round).values_list("round_entry_id", flat=True))
    assert set(per_entry.values()) == {quorum}
    assert set(per_entry) == set(
        RoundEntry.objects.filter(round=round).values_list("pk", flat=True)
    )
    loads = Counter(Task.objects.filter(round=round).values_list("juror_id", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 1


@pytest.mark.usefixtures("juror", "other_juror", "third_juror")
def test_it_records_the_chairs_start_and_shows_its_progress_until_the_round_is_active(
    chair_client: Client,  # noqa: F811 - the fixture imported above
    contest: Contest,
    chair: object,
    approved_photos: Callable[[int], list[Entry]],
) -> None:
    approved_photos(5)
    round = _draft(contest, chair)
    url = reverse("jury:round", args=[contest.slug, round.pk])
    status_url = reverse("jury:round_start_status", args=[contest.slug, round.pk])

    response = post(
        chair_client,
        reverse("jury:round_activate", args=[contest.slug, round.pk]),
        {"back": "chair"},
        follow=True,
    )

    round.refresh_from_db()
    assert round.state == Round.State.STARTING
    assert response.redirect_chain[-1][0] == url
    text = page_text(response)
    assert "Le tour est en cours de démarrage" in text
    assert "Étape 1 sur 3" in text
    assert 'role="status"' in response.content.decode()
    asked = JuryEvent.objects.get(round=round, action=JuryEvent.Action.START)
    assert asked.actor == chair
    assert not Task.objects.filter(round=round).exists()
    # Polled: nothing changed, nothing to swap (the status region does not repeat itself).
    polled = chair_client.get(status_url, {"etape": "0"}, headers={"HX-Request": "true"})
    assert polled.status_code == 204
    # Twice the start: refused, nothing else recorded.
    post(chair_client, reverse("jury:round_activate", args=[contest.slug, round.pk]), {})
    assert JuryEvent.objects.filter(round=round, action=JuryEvent.Action.START).count() == 1

    done = services.round_start_run(round_id=round.pk)

    assert done is not None and done.state == Round.State.ACTIVE
    _dealt_evenly(round, 2)
    started = JuryEvent.objects.get(round=round, action=JuryEvent.Action.ACTIVATE)
    assert started.actor == chair and started.detail == "5 photos, 3 jurors"
    polled = chair_client.get(status_url, {"etape": "2"}, headers={"HX-Request": "true"})
    assert polled.status_code == 200 and polled["HX-Refresh"] == "true"
    page = chair_client.get(url)
    assert "Mettre en pause le tour 1" in page_text(page)


@pytest.mark.usefixtures("juror", "other_juror", "third_juror")
def test_a_second_run_of_the_job_makes_only_what_is_missing(
    contest: Contest, chair: object, approved_photos: Callable[[int], list[Entry]]
) -> None:
    entries = approved_photos(4)
    round = _draft(contest, chair)
    services.round_start(round_id=round.pk, chair=chair)  # type: ignore[arg-type]
    # A first run that listed one photo and was killed.
    RoundEntry.objects.create(round=round, entry=entries[0], code="1AAAAA")

    services.round_start_run(round_id=round.pk)
    services.round_start_run(round_id=round.pk)  # the message delivered again

    round.refresh_from_db()
    assert round.state == Round.State.ACTIVE
    codes = list(RoundEntry.objects.filter(round=round).values_list("code", flat=True))
    assert len(codes) == 4 == len(set(codes)) and "1AAAAA" in codes
    assert Task.objects.filter(round=round).count() == 4 * 2
    _dealt_evenly(round, 2)
    assert JuryEvent.objects.filter(round=round, action=JuryEvent.Action.ACTIVATE).count() == 1


@pytest.mark.usefixtures("juror", "other_juror")
def test_a_start_the_rules_refuse_leaves_a_draft_with_the_reason_and_can_be_retried(
    chair_client: Client,  # noqa: F811 - the fixture imported above
    contest: Contest,
    chair: object,
    third_juror: object,
    approved_photos: Callable[[int], list[Entry]],
) -> None:
    approved_photos(3)
    seat = Juror.objects.get(user=third_juror)  # type: ignore[misc]
    Juror.objects.filter(pk=seat.pk).update(active=False)
    round = _draft(contest, chair, quorum=3)  # three per photo, two jurors
    services.round_start(round_id=round.pk, chair=chair)  # type: ignore[arg-type]

    services.round_start_run(round_id=round.pk)

    round.refresh_from_db()
    assert round.state == Round.State.DRAFT
    assert "invitez d'autres jurés" in round.start_error.replace("’", "'")
    failed = JuryEvent.objects.get(round=round, action=JuryEvent.Action.START_FAILED)
    assert failed.detail == round.start_error
    assert not Task.objects.filter(round=round).exists()
    page = page_text(chair_client.get(reverse("jury:round", args=[contest.slug, round.pk])))
    assert "Le dernier démarrage a échoué" in page and "Lancer le tour 1" in page

    Juror.objects.filter(pk=seat.pk).update(active=True)
    services.round_activate(round_id=round.pk, chair=chair)  # type: ignore[arg-type]

    round.refresh_from_db()
    assert round.state == Round.State.ACTIVE and round.start_error == ""
    assert RoundEntry.objects.filter(round=round).count() == 3
    _dealt_evenly(round, 3)


@pytest.mark.usefixtures("juror", "other_juror", "third_juror")
def test_a_quorum_raised_or_a_juror_invited_while_starting_counts_at_the_start(
    contest: Contest, chair: object, approved_photos: Callable[[int], list[Entry]]
) -> None:
    approved_photos(4)
    round = _draft(contest, chair, quorum=2)
    services.round_start(round_id=round.pk, chair=chair)  # type: ignore[arg-type]

    services.round_raise_quorum(round_id=round.pk, chair=chair, quorum=3)  # type: ignore[arg-type]
    newcomer = services.juror_invite(
        contest=contest,
        email="nouvelle@studio.example",
        chair=chair,  # type: ignore[arg-type]
        language="fr",
        base_url="http://testserver",
    )
    assert not Task.objects.filter(round=round).exists()  # dealt by the start, not here
    services.round_start_run(round_id=round.pk)

    _dealt_evenly(round, 3)
    assert Task.objects.filter(round=round, juror=newcomer).count() == 3  # 12 tasks, 4 jurors


def test_the_sweep_sends_again_only_a_start_left_waiting(
    contest: Contest, chair: object, approved_photos: Callable[[int], list[Entry]]
) -> None:
    approved_photos(1)
    round = _draft(contest, chair)
    services.round_start(round_id=round.pk, chair=chair)  # type: ignore[arg-type]

    assert services.rounds_requeue_starting() == 0  # just asked: its message is on its way
    Round.objects.filter(pk=round.pk).update(
        start_requested_at=timezone.now() - timedelta(minutes=10)
    )
    assert services.rounds_requeue_starting() == 1


@pytest.mark.usefixtures("juror", "other_juror", "third_juror")
def test_tasks_go_with_their_juror_entry_or_round_without_database_constraints(
    active_round: Callable[..., Round], contest: Contest
) -> None:
    round = active_round(photos=3, quorum=2)
    seat = Juror.objects.filter(contest=contest).first()
    assert seat is not None and Task.objects.filter(juror=seat).exists()
    round_entry = RoundEntry.objects.filter(round=round).first()
    assert round_entry is not None

    seat.delete()
    round_entry.entry.delete()
    assert not Task.objects.filter(juror_id=seat.pk).exists()
    assert not Task.objects.filter(round_entry_id=round_entry.pk).exists()
    round.delete()
    assert not Task.objects.filter(round_id=round.pk).exists()


@pytest.fixture
def three_photos(approved_photos: Callable[[int], list[Entry]]) -> list[Entry]:
    return approved_photos(3)


def _state(round: Round) -> str | None:
    """The round's state, or None while the worker (another thread on the same SQLite
    database in tests) holds a table lock."""
    try:
        return Round.objects.values_list("state", flat=True).get(pk=round.pk)
    except OperationalError:
        return None


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("juror", "other_juror", "third_juror")
def test_a_real_worker_starts_the_round_after_the_commit(
    # The photos first: their approval's own jobs must not run in the worker meanwhile.
    three_photos: list[Entry],
    redis_worker: None,
    contest: Contest,
    chair: object,
) -> None:
    round = _draft(contest, chair)
    with transaction.atomic():
        services.round_start(round_id=round.pk, chair=chair)  # type: ignore[arg-type]
    tasks.start_round.delay(round.pk)  # the same job again

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _state(round) != Round.State.ACTIVE:
        time.sleep(0.2)
    assert _state(round) == Round.State.ACTIVE
    time.sleep(2)  # the second message is consumed too
    _dealt_evenly(round, 2)
    assert JuryEvent.objects.filter(round=round, action=JuryEvent.Action.ACTIVATE).count() == 1
