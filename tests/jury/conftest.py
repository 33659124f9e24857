"""Jury personas and a contest with approved photos to judge.

`juror`, `other_juror` and `third_juror` sit on the contest's jury (signed in by link, as
jurors are); `chair` runs it (password login); `marketing` sees the results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from contest.models import Contest, Entry
from jury import services
from jury.models import Juror, Round
from tests.conftest import _staff_in


def _seat(contest: Contest, user: object, alias: str) -> Juror:
    return Juror.objects.create(contest=contest, user=user, alias=alias)


@pytest.fixture
def juror(contest: Contest) -> object:
    user = _staff_in("Jury", "jury@reseau.example")
    user.is_staff = False  # type: ignore[attr-defined]
    user.save()  # type: ignore[attr-defined]
    _seat(contest, user, "J1")
    return user


@pytest.fixture
def other_juror(contest: Contest) -> object:
    user = _staff_in("Jury", "photographe@studio.example")
    user.is_staff = False  # type: ignore[attr-defined]
    user.save()  # type: ignore[attr-defined]
    _seat(contest, user, "J2")
    return user


@pytest.fixture
def third_juror(contest: Contest) -> object:
    user = _staff_in("Jury", "asso@usagers.example")
    user.is_staff = False  # type: ignore[attr-defined]
    user.save()  # type: ignore[attr-defined]
    _seat(contest, user, "J3")
    return user


@pytest.fixture
def chair(db: None) -> object:
    return _staff_in("Jury chair", "presidente@reseau.example")


JURY_PERSONAS = (
    "anonymous",
    "entrant",
    "other_entrant",
    "moderator",
    "juror",
    "other_juror",
    "chair",
    "marketing",
)


@pytest.fixture
def approved_photos(approved: Callable[..., Entry]) -> Callable[[int], list[Entry]]:
    """`n` public entries, processed and approved for real (seeds 1..n)."""

    def make(n: int) -> list[Entry]:
        return [approved(seed=k + 1, title=f"Photo {k + 1}") for k in range(n)]

    return make


@pytest.fixture
def active_round(
    contest: Contest,
    chair: object,
    juror: object,
    other_juror: object,
    third_juror: object,
    approved_photos: Callable[[int], list[Entry]],
) -> Callable[..., Round]:
    """A first round started on `photos` approved photos with the three jurors."""

    def make(
        *, kind: str = Round.Kind.YESNO, quorum: int = 2, photos: int = 4, **extra: object
    ) -> Round:
        approved_photos(photos)
        created = services.round_create(
            contest=contest,
            kind=kind,
            quorum=quorum,
            deadline=timezone.now() + timedelta(days=7),
            chair=chair,  # type: ignore[arg-type]
            **extra,  # type: ignore[arg-type]
        )
        return services.round_activate(round_id=created.pk, chair=chair)  # type: ignore[arg-type]

    return make
