"""A photo its author withdraws leaves the jury's open rounds at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contest.rights import entry_withdraw
from jury.models import JuryEvent, Round, RoundEntry, Task

pytestmark = pytest.mark.django_db


def test_it_takes_a_withdrawn_photo_out_of_the_open_round_and_cancels_its_tasks(
    active_round: Callable[..., Round], django_capture_on_commit_callbacks: Any
) -> None:
    round = active_round(photos=3)
    leaving = RoundEntry.objects.filter(round=round).select_related("entry__participant").first()
    assert leaving is not None
    assert Task.objects.filter(round_entry=leaving, state=Task.State.OPEN).exists()

    with django_capture_on_commit_callbacks(execute=True):
        entry_withdraw(entry_id=leaving.entry_id, participant=leaving.entry.participant)

    leaving.refresh_from_db()
    assert leaving.withdrawn
    assert not Task.objects.filter(round_entry=leaving, state=Task.State.OPEN).exists()
    assert JuryEvent.objects.filter(action=JuryEvent.Action.WITHDRAWN, round_entry=leaving).exists()
    others = RoundEntry.objects.filter(round=round).exclude(pk=leaving.pk)
    assert not others.filter(withdrawn=True).exists()
