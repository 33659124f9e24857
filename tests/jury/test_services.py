"""The jury's rules, through its services: rounds, fair dealing, votes, closing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from contest.models import Contest
from jury import selectors, services
from jury.models import Juror, JuryEvent, Round, RoundEntry, Task

pytestmark = pytest.mark.django_db


def test_it_deals_each_photo_to_a_quorum_of_distinct_jurors_with_even_loads(
    active_round: Callable[..., Round],
) -> None:
    round = active_round(quorum=2, photos=5)
    tasks = list(Task.objects.filter(round=round).values_list("round_entry_id", "juror_id"))
    per_entry = Counter(e for e, _j in tasks)
    assert set(per_entry.values()) == {2}
    assert len(set(tasks)) == len(tasks)
    loads = Counter(j for _e, j in tasks)
    assert max(loads.values()) - min(loads.values()) <= 1
    codes = list(RoundEntry.objects.filter(round=round).values_list("code", flat=True))
    assert len(set(codes)) == 5 and all(c.startswith("1") for c in codes)


def test_it_never_gives_a_juror_their_own_photo(
    contest: Contest,
    chair: object,
    juror: object,
    other_juror: object,
    approved: Callable[..., object],
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from contest.models import Participant
    from tests.factories import EnrollmentFactory

    # The juror also entered the contest.
    participant = Participant.objects.create(
        user=juror,
        credit_name="Jury J.",
        age_bracket="adult",  # type: ignore[misc]
    )
    EnrollmentFactory(contest=contest, participant=participant)
    own = approved(seed=1, participant=participant)
    approved(seed=2)
    created = services.round_create(
        contest=contest,
        kind="yesno",
        quorum=1,
        deadline=timezone.now() + timedelta(days=3),
        chair=chair,  # type: ignore[arg-type]
    )
    services.round_activate(round_id=created.pk, chair=chair)  # type: ignore[arg-type]
    mine = Juror.objects.get(user=juror)
    assert not Task.objects.filter(juror=mine, round_entry__entry=own).exists()


def test_a_vote_and_the_close_count_and_freeze(
    active_round: Callable[..., Round], juror: object, chair: object
) -> None:
    round = active_round(quorum=3, photos=2)
    mine = Juror.objects.get(user=juror)
    for task in Task.objects.filter(juror=mine):
        services.task_vote(task_id=task.pk, juror=mine, version=task.version, value=1)
    results = selectors.round_results(round=round)
    assert [r.votes for r in results.rows] == [1, 1]
    assert results.preview() == [(1.0, 2)]
    closed = services.round_close(round_id=round.pk, chair=chair, cut=1.0)  # type: ignore[arg-type]
    assert closed.state == Round.State.CLOSED
    assert RoundEntry.objects.filter(round=round, advanced=True).count() == 2
    task = Task.objects.filter(juror=mine).first()
    assert task is not None
    with pytest.raises(services.JuryError):
        services.task_vote(task_id=task.pk, juror=mine, version=task.version, value=0)
    assert JuryEvent.objects.filter(action=JuryEvent.Action.CLOSE).count() == 1
