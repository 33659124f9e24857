from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile

from contest.models import Contest, Entry, Participant
from gallery.models import Photo
from gallery.services import originals_storage, photo_process
from tests.factories import EntryFactory
from tests.photos import photo_bytes


@pytest.fixture
def ready_entry(contest: Contest, entrant: Participant) -> Callable[..., Entry]:
    """An entry whose photo went through the real pipeline and waits for moderation."""

    def make(*, seed: int = 0, participant: Participant | None = None, **fields: object) -> Entry:
        data = photo_bytes(900, 600, seed=seed)
        entry: Entry = EntryFactory(contest=contest, participant=participant or entrant, **fields)
        name = originals_storage().save(f"t-{entry.pk}.jpg", ContentFile(data))
        photo = Photo.objects.create(
            entry=entry,
            original=name,
            original_name="IMG_1.JPG",
            original_format="JPEG",
            original_bytes=len(data),
        )
        photo_process(photo_id=photo.pk)
        entry.refresh_from_db()
        return entry

    return make
