"""Two people acting on the allocation at once, on PostgreSQL (real row locks, threads):
two chairs locking lock it once; a hand pick racing the lock either lands before the lock
(and is in the locked allocation) or is refused; never a change after the lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from contest.models import Contest, Entry, Participant
from covers import services
from covers.models import CoverEvent, CoverSettings, Guide, Pick
from tests.conftest import _staff_in, service_missing
from tests.races import together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _together(*actions: Callable[[], Any]) -> tuple[list[object], list[BaseException]]:
    return together(*actions, refusal=services.CoverError)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")


def test_two_chairs_locking_at_once_lock_it_exactly_once(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
) -> None:
    [entry] = shortlist([(entrant, (2600, 1800))])
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    vice = _staff_in("Jury chair", "vice@reseau.example")

    def lock(who: object) -> Callable[[], Any]:
        return lambda: services.allocation_lock(
            contest=contest,
            actor=who,  # type: ignore[arg-type]
            base_url="http://testserver/",
        )

    outcomes, errors = _together(lock(chair), lock(vice))
    assert not errors
    refused = [o for o in outcomes if isinstance(o, services.CoverError)]
    assert len(refused) == 1 and "déjà verrouillée" in refused[0].message
    assert CoverEvent.objects.filter(action=CoverEvent.Action.LOCK).count() == 1
    assert CoverSettings.objects.get(contest=contest).locked_at is not None


def test_a_hand_pick_racing_the_lock_is_in_it_or_refused(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    other_entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
) -> None:
    first, second = shortlist([(entrant, (2600, 1800)), (other_entrant, (2600, 1800))])
    services.pick_set(guide=guide, slot=0, entry=first, actor=chair)  # type: ignore[arg-type]
    marketing = _staff_in("Marketing", "com2@reseau.example")
    outcomes, errors = _together(
        lambda: services.allocation_lock(
            contest=contest,
            actor=chair,  # type: ignore[arg-type]
            base_url="http://testserver/",
        ),
        lambda: services.pick_set(guide=guide, slot=0, entry=second, actor=marketing),  # type: ignore[arg-type]
    )
    assert not errors
    locked_detail = CoverEvent.objects.get(action=CoverEvent.Action.LOCK).detail
    final = Pick.objects.get(guide=guide).entry_id
    if isinstance(outcomes[1], services.CoverError):
        assert final == first.pk  # the lock came first: the pick was refused
    else:
        assert final == second.pk  # the pick came first: the lock took it
    assert f"entry {final})" in locked_detail
