"""Print eligibility follows the participant's withdrawals at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contest.models import Contest, Entry, Participant
from contest.rights import enrollment_withdraw_use, entry_withdraw
from covers import selectors
from covers.models import Guide, Mockup
from covers.services import cover_prepare
from photos.services import originals_storage

pytestmark = pytest.mark.django_db

BIG = (2600, 1800)


def test_it_makes_a_photo_ineligible_once_its_author_withdraws_the_printed_use(
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
    contest: Contest,
    guide: Guide,
) -> None:
    ana = rider("a@example.org", "Ana")
    shortlist([(ana, BIG)])
    [row] = selectors.guide_candidates(contest=contest, guides=[guide])[guide.pk]
    assert row.reasons == []
    assert enrollment_withdraw_use(contest_id=contest.pk, participant=ana, use="print")
    [row] = selectors.guide_candidates(contest=contest, guides=[guide])[guide.pk]
    assert row.reasons == ["Le participant n'a pas accepté la couverture imprimée."]


def test_it_drops_a_withdrawn_photo_from_the_cover_candidates(
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
    contest: Contest,
    guide: Guide,
) -> None:
    ana, bea = rider("a@example.org", "Ana"), rider("b@example.org", "Bea")
    first, _second = shortlist([(ana, BIG), (bea, BIG)])
    assert entry_withdraw(entry_id=first.pk, participant=ana)
    rows = selectors.guide_candidates(contest=contest, guides=[guide])[guide.pk]
    assert [row.candidate.credit for row in rows] == ["Bea"]


def test_it_deletes_the_cover_mock_ups_of_a_withdrawn_photo(
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
    contest: Contest,
    guide: Guide,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ana = rider("a@example.org", "Ana")
    [entry] = shortlist([(ana, BIG)])
    mockup = cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert mockup is not None and mockup.file
    files = [mockup.file, mockup.overlay_file]
    assert all(originals_storage().exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        assert entry_withdraw(entry_id=entry.pk, participant=ana)

    assert not Mockup.objects.filter(entry=entry).exists()
    assert not any(originals_storage().exists(name) for name in files)
    # Nothing draws it again: it is not a candidate, and its photo is gone.
    assert cover_prepare(guide_id=guide.pk, entry_id=entry.pk) is None
