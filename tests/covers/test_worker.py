"""The covers' jobs through a real Celery worker consuming from a real Redis: the mock-up
enqueued on commit, the same job twice, and a print package built from its own queue."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import transaction

from contest.models import Contest, Entry, Participant
from covers import services, tasks
from covers.models import Guide, Mockup, PrintPackage

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _wait(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def test_the_worker_draws_the_mockup_once_even_when_sent_twice(
    redis_worker: None,
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
) -> None:
    [entry] = shortlist([(entrant, (2600, 1800))])
    with transaction.atomic():
        assert services.covers_prepare(contest=contest) == 1
    tasks.prepare_cover.delay(guide.pk, entry.pk)  # the same job again
    ready = Mockup.objects.filter(guide=guide, entry=entry, state=Mockup.State.READY)
    _wait(ready.exists, "the mock-up")
    time.sleep(2)  # the second message is consumed too
    assert Mockup.objects.filter(guide=guide, entry=entry).count() == 1
    assert ready.get().attempts == 1


def test_the_worker_builds_the_print_package_from_its_own_queue(
    redis_worker: None,
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
) -> None:
    [entry] = shortlist([(entrant, (2600, 1800))])
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    package = PrintPackage.objects.get(guide=guide)
    built = PrintPackage.objects.filter(pk=package.pk, state=PrintPackage.State.READY)
    _wait(built.exists, "the print package", timeout=90)
    assert built.get().bytes and built.get().progress == 100
