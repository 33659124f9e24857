from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile

from contest.models import Contest, Entry, Participant
from gallery import images
from gallery.models import Photo
from gallery.services import originals_storage
from tests.factories import EntryFactory
from tests.photos import photo_bytes


@pytest.fixture
def make_photo(contest: Contest, entrant: Participant) -> Callable[..., Photo]:
    """A received photo whose original is really in the originals storage."""

    def make(data: bytes | None = None, *, seed: int = 0, fmt: str = "JPEG") -> Photo:
        data = data if data is not None else photo_bytes(900, 700, seed=seed, fmt=fmt)
        entry: Entry = EntryFactory(contest=contest, participant=entrant)
        name = originals_storage().save(f"test-{entry.pk}.{fmt.lower()}", ContentFile(data))
        return Photo.objects.create(
            entry=entry,
            original=name,
            original_name="IMG.JPG",
            original_format=fmt,
            original_bytes=len(data),
        )

    return make


@pytest.fixture
def all_renditions() -> set[tuple[str, str]]:
    return {(spec.name, fmt) for spec in images.RENDITION_SPECS for fmt in spec.formats}
