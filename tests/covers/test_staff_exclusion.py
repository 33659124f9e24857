"""A photo of the operator's staff is never a cover candidate, even when its address was
listed after the jury chose it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contest.models import Contest, Entry, Participant
from covers.selectors import candidates

pytestmark = pytest.mark.django_db


def test_a_listed_staff_photo_leaves_the_cover_candidates(
    contest: Contest,
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
) -> None:
    agent = rider("agent@reseau.example", "Agent A.")
    other = rider("lea@example.org", "Léa M.")
    staff_photo, rider_photo = shortlist([(agent, (2600, 1800)), (other, (2600, 1800))])
    assert [c.entry.pk for c in candidates(contest=contest)] == [staff_photo.pk, rider_photo.pk]

    contest.excluded_domains = "reseau.example"
    contest.excluded_policy = Contest.ExcludedPolicy.GALLERY_ONLY
    contest.save()
    assert [c.entry.pk for c in candidates(contest=contest)] == [rider_photo.pk]
