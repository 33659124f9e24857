from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile

from contest.models import Contest, Participant
from photos import imaging
from photos.models import Photo
from photos.services import originals_storage
from tests.factories import EntryFactory
from tests.images import photo_bytes


@pytest.fixture
def make_photo(contest: Contest, entrant: Participant) -> Callable[..., Photo]:
    """A received photo whose original is really in the originals storage."""

    def make(data: bytes | None = None, *, seed: int = 0, fmt: str = "JPEG") -> Photo:
        data = data if data is not None else photo_bytes(900, 700, seed=seed, fmt=fmt)
        name = originals_storage().save(f"test-{seed}.{fmt.lower()}", ContentFile(data))
        photo = Photo.objects.create(
            original=name,
            original_name="IMG.JPG",
            original_format=fmt,
            original_bytes=len(data),
        )
        EntryFactory(contest=contest, participant=entrant, photo=photo)
        return photo

    return make


@pytest.fixture
def all_renditions() -> set[tuple[str, str]]:
    return {(spec.name, fmt) for spec in imaging.RENDITION_SPECS for fmt in spec.formats}
