"""Closing a round while others act on it, on PostgreSQL (real row locks, real threads).

Two chairs pressing "close" together close it once; a juror voting while the chair closes
either gets their vote into the results the closing used, or is told the round is closed:
never a vote recorded on a closed round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from jury import services
from jury.models import Juror, JuryEvent, Round, RoundEntry, Task
from tests.conftest import _staff_in, service_missing
from tests.races import together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _together(*actions: Callable[[], Any]) -> tuple[list[object], list[BaseException]]:
    return together(*actions, refusal=services.JuryError)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")


def test_two_chairs_closing_at_once_close_the_round_exactly_once(
    active_round: Callable[..., Round], chair: object
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=3)
    vice = _staff_in("Jury chair", "vice-presidente@reseau.example")

    outcomes, errors = _together(
        lambda: services.round_close(round_id=round.pk, chair=chair, cut=0.0),  # type: ignore[arg-type]
        lambda: services.round_close(round_id=round.pk, chair=vice, cut=1.0),  # type: ignore[arg-type]
    )
    assert not errors
    closed = [o for o in outcomes if isinstance(o, Round)]
    refused = [o for o in outcomes if isinstance(o, services.JuryError)]
    assert len(closed) == 1 and len(refused) == 1
    round.refresh_from_db()
    assert round.state == Round.State.CLOSED
    # The round keeps the cut of the chair who closed it, and the log says it once.
    assert round.cut == closed[0].cut  # type: ignore[attr-defined]
    assert JuryEvent.objects.filter(round=round, action=JuryEvent.Action.CLOSE).count() == 1


def test_a_vote_racing_the_close_is_counted_in_it_or_refused(
    active_round: Callable[..., Round], chair: object, juror: object
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=3, photos=2)
    seat = Juror.objects.get(user=juror)  # type: ignore[misc]
    task = Task.objects.filter(round=round, juror=seat).order_by("pk").first()
    assert task is not None

    # Only this vote is cast: with a cut of 1.0 (every vote yes), its photo advances if and
    # only if the closing counted it.
    outcomes, errors = _together(
        lambda: services.task_vote(task_id=task.pk, juror=seat, version=task.version, value=1),
        lambda: services.round_close(round_id=round.pk, chair=chair, cut=1.0),  # type: ignore[arg-type]
    )
    assert not errors
    vote, closing = outcomes
    assert isinstance(closing, Round)
    task.refresh_from_db()
    round.refresh_from_db()
    advanced = RoundEntry.objects.get(pk=task.round_entry_id).advanced
    if isinstance(vote, services.JuryError):
        assert task.state == Task.State.CANCELLED and task.value is None
        assert not advanced
    else:
        assert task.state == Task.State.DONE and task.value == 1
        assert advanced
        assert task.voted_at is not None and round.closed_at is not None
        assert task.voted_at <= round.closed_at
    # Whatever the order, no vote is left on the closed round but those it counted.
    done = Task.objects.filter(round=round, state=Task.State.DONE)
    assert all(RoundEntry.objects.get(pk=t.round_entry_id).advanced for t in done)
    assert not Task.objects.filter(round=round, state=Task.State.OPEN).exists()
