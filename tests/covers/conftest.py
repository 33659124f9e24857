"""A contest whose jury has closed a round: its shortlist is what the covers pages work on.

`shortlisted(n)` makes n photos big enough for a DL cover (2600 x 1800: 212 ppi at best),
approved and advanced by a closed yes/no round in which every juror voted yes on each,
with Photo 1 best (the others get fewer yes votes in order). `guide` is a DL guide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from covers.models import Guide
from jury import services as jury_services
from jury.models import Juror, Round, Task
from photos.models import Photo
from photos.services import originals_storage, photo_process
from tests.conftest import _staff_in
from tests.factories import EnrollmentFactory, EntryFactory, ParticipantFactory, UserFactory
from tests.images import photo_bytes
from tests.jury.conftest import chair, juror, other_juror, third_juror  # noqa: F401


@pytest.fixture
def marketing_user(db: None) -> object:
    return _staff_in("Marketing", "com@reseau.example")


@pytest.fixture
def rider(contest: Contest) -> Callable[..., Participant]:
    def make(email: str, credit: str, **enrollment: object) -> Participant:
        participant = ParticipantFactory(user=UserFactory(email=email), credit_name=credit)
        EnrollmentFactory(contest=contest, participant=participant, **enrollment)
        return participant

    return make


def make_entry(
    contest: Contest,
    participant: Participant,
    *,
    seed: int,
    size: tuple[int, int] = (2600, 1800),
    title: str = "",
    moderator: object,
) -> Entry:
    from moderation.services import entry_decide
    from photos.selectors import renditions_hash

    data = photo_bytes(*size, seed=seed)
    name = originals_storage().save(f"c-{seed}.jpg", ContentFile(data))
    photo = Photo.objects.create(
        original=name, original_name="IMG.JPG", original_format="JPEG", original_bytes=len(data)
    )
    entry: Entry = EntryFactory(
        contest=contest, participant=participant, photo=photo, title=title or f"Photo {seed}"
    )
    photo_process(photo_id=photo.pk)
    entry.refresh_from_db()
    entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=renditions_hash(entry.photo.renditions.all()),
    )
    return Entry.objects.select_related("photo", "participant").get(pk=entry.pk)


@pytest.fixture
def shortlist(
    contest: Contest,
    chair: object,  # noqa: F811
    juror: object,  # noqa: F811
    other_juror: object,  # noqa: F811
    third_juror: object,  # noqa: F811
    moderator: object,
    rider: Callable[..., Participant],
) -> Callable[..., list[Entry]]:
    """Closes a yes/no round over the given (participant, size) photos, best first."""

    def make(photos: list[tuple[Participant, tuple[int, int]]]) -> list[Entry]:
        entries = [
            make_entry(contest, participant, seed=k + 1, size=size, moderator=moderator)
            for k, (participant, size) in enumerate(photos)
        ]
        created = jury_services.round_create(
            contest=contest,
            kind=Round.Kind.RATING,
            quorum=3,
            deadline=timezone.now() + timedelta(days=7),
            chair=chair,  # type: ignore[arg-type]
        )
        round = jury_services.round_activate(round_id=created.pk, chair=chair)  # type: ignore[arg-type]
        rank = {entry.pk: k for k, entry in enumerate(entries)}
        for task in Task.objects.filter(round=round).select_related("juror", "round_entry"):
            # Photo 1 gets 5 stars from everyone, the next 4, and so on (never under 1).
            stars = max(1, 5 - rank[task.round_entry.entry_id])
            jury_services.task_vote(
                task_id=task.pk,
                juror=Juror.objects.get(pk=task.juror_id),
                version=task.version,
                value=stars,
            )
        jury_services.round_close(round_id=round.pk, chair=chair, cut=-100.0)  # type: ignore[arg-type]
        return entries

    return make


@pytest.fixture
def guide(contest: Contest) -> Guide:
    return Guide.objects.create(contest=contest, name="Ligne 2", line_label="2", format="DL")
