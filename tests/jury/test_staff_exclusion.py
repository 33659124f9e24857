"""The jury never judges the photos of the operator's staff kept to the gallery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from contest.models import Contest, Entry
from jury import services
from jury.models import RoundEntry
from tests.factories import EnrollmentFactory, ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_first_round_leaves_out_the_staffs_gallery_only_photos(
    contest: Contest,
    chair: object,
    juror: object,
    approved: Callable[..., Entry],
) -> None:
    contest.excluded_domains = "reseau.example"
    contest.excluded_policy = Contest.ExcludedPolicy.GALLERY_ONLY
    contest.save()
    agent = ParticipantFactory(user=UserFactory(email="agent@reseau.example"))
    EnrollmentFactory(contest=contest, participant=agent)
    approved(seed=1, participant=agent)
    rider_photo = approved(seed=2)

    created = services.round_create(
        contest=contest,
        kind="yesno",
        quorum=1,
        deadline=timezone.now() + timedelta(days=3),
        chair=chair,  # type: ignore[arg-type]
    )
    round = services.round_activate(round_id=created.pk, chair=chair)  # type: ignore[arg-type]
    judged = RoundEntry.objects.filter(round=round).values_list("entry_id", flat=True)
    assert list(judged) == [rider_photo.pk]
