"""The storage audit: files no row points at, rows whose file is gone, and the repair."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from photos import tasks
from photos.audit import storage_audit
from photos.models import Photo, Rendition
from photos.services import originals_storage, photo_process
from tests.images import photo_bytes

pytestmark = pytest.mark.django_db

TWO_HOURS = 2 * 3600


def _plant(storage: Any, name: str, *, age: int = TWO_HOURS) -> str:
    name = str(storage.save(name, ContentFile(photo_bytes(400, 300, seed=99))))
    if age:
        then = time.time() - age
        os.utime(storage.path(name), (then, then))
    return name


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The photo ids handed to the worker (what the broker would receive)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.process_photo, "delay", lambda photo_id: ids.append(photo_id))
    return ids


@pytest.fixture
def ready(make_photo: Callable[..., Photo]) -> Callable[..., Photo]:
    def make(seed: int) -> Photo:
        photo = make_photo(seed=seed)
        photo_process(photo_id=photo.pk)
        photo.refresh_from_db()
        assert photo.status == Photo.Status.READY
        return photo

    return make


@pytest.fixture
def planted(ready: Callable[..., Photo], make_photo: Callable[..., Photo]) -> dict[str, Any]:
    """A storage with every kind of disagreement, and files that are not the audit's."""
    orphan_original = _plant(originals_storage(), f"{uuid.uuid4().hex}.jpg")
    orphan_rendition = _plant(default_storage, f"renditions/{uuid.uuid4()}/display-0a1b.webp")
    recent = _plant(originals_storage(), f"{uuid.uuid4().hex}.jpg", age=0)
    # Other apps' files in the same storages: covers' mock-ups, the gallery's share images.
    others = [
        (originals_storage(), _plant(originals_storage(), "covers/mockups/1-1.jpg")),
        (default_storage, _plant(default_storage, "renditions/campagne/slug-abc.jpg")),
    ]
    lost_rendition_photo = ready(1)
    lost = lost_rendition_photo.renditions.order_by("pk").first()
    assert lost is not None
    default_storage.delete(lost.file.name)
    waiting = make_photo(seed=2)  # received, not processed yet
    originals_storage().delete(waiting.original)
    published = ready(3)
    originals_storage().delete(published.original)
    healthy = ready(4)
    return {
        "orphan_original": orphan_original,
        "orphan_rendition": orphan_rendition,
        "recent": recent,
        "others": others,
        "lost_rendition_photo": lost_rendition_photo,
        "lost": lost,
        "waiting": waiting,
        "published": published,
        "healthy": healthy,
    }


def test_it_finds_orphans_and_missing_files_both_ways_without_touching_anything(
    planted: dict[str, Any], sent: list[int]
) -> None:
    report = storage_audit()

    assert report.orphan_originals == [planted["orphan_original"]]
    assert report.orphan_renditions == [planted["orphan_rendition"]]
    assert report.recent_orphans == [planted["recent"]]
    assert sorted(report.missing_originals) == sorted(
        [
            (planted["waiting"].pk, planted["waiting"].original),
            (planted["published"].pk, planted["published"].original),
        ]
    )
    assert report.missing_renditions == [(planted["lost"].pk, planted["lost"].file.name)]
    assert not report.clean
    # Only looked.
    assert originals_storage().exists(planted["orphan_original"])
    assert default_storage.exists(planted["orphan_rendition"])
    assert Rendition.objects.filter(pk=planted["lost"].pk).exists()
    assert Photo.objects.get(pk=planted["waiting"].pk).status == Photo.Status.RECEIVED
    assert sent == []


def test_it_repairs_what_it_found_and_a_second_audit_is_clean(
    planted: dict[str, Any],
    sent: list[int],
    django_capture_on_commit_callbacks: Any,
    all_renditions: set[tuple[str, str]],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = storage_audit(repair=True)

    assert report.files_deleted == 2
    assert not originals_storage().exists(planted["orphan_original"])
    assert not default_storage.exists(planted["orphan_rendition"])
    # An upload in progress may not have its row yet: left alone.
    assert originals_storage().exists(planted["recent"])
    for storage, name in planted["others"]:
        assert storage.exists(name)

    # A lost rendition's row is dropped and the worker makes it again.
    assert report.renditions_dropped == 1
    assert not Rendition.objects.filter(pk=planted["lost"].pk).exists()
    photo = planted["lost_rendition_photo"]
    assert sent == [photo.pk]
    photo_process(photo_id=photo.pk)
    made = {(r.spec, r.format) for r in Rendition.objects.filter(photo=photo)}
    assert made == all_renditions
    assert all(default_storage.exists(r.file.name) for r in Rendition.objects.filter(photo=photo))

    # A lost original: a photo not processed yet fails, as the worker would have said...
    assert report.photos_marked == 2
    waiting = Photo.objects.get(pk=planted["waiting"].pk)
    assert (waiting.status, waiting.failure, waiting.original) == ("failed", "missing", "")
    # ...a published one keeps its renditions, and says what it lost.
    published = Photo.objects.get(pk=planted["published"].pk)
    assert (published.status, published.failure, published.original) == ("ready", "missing", "")
    healthy = Photo.objects.get(pk=planted["healthy"].pk)
    assert healthy.original and healthy.failure == ""

    again = storage_audit(repair=True)
    assert again.clean
    assert again.files_deleted == again.photos_marked == again.renditions_dropped == 0


def test_it_keeps_a_lost_renditions_row_when_there_is_no_original_to_make_it_from(
    ready: Callable[..., Photo], sent: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    photo = ready(5)
    name = photo.original
    Photo.objects.filter(pk=photo.pk).update(original="")  # as the retention leaves it
    originals_storage().delete(name)
    lost = photo.renditions.order_by("pk").first()
    assert lost is not None
    default_storage.delete(lost.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        report = storage_audit(repair=True)

    assert report.renditions_unrepairable == [(lost.pk, lost.file.name)]
    assert Rendition.objects.filter(pk=lost.pk).exists()
    assert sent == []


def test_the_worker_fails_a_photo_without_original_rather_than_retrying(
    ready: Callable[..., Photo],
) -> None:
    photo = ready(6)
    Photo.objects.filter(pk=photo.pk).update(original="", status=Photo.Status.RECEIVED)

    photo_process(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.status, photo.failure) == ("failed", "missing")


def test_the_command_reports_then_repairs(
    planted: dict[str, Any], sent: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    out = StringIO()
    call_command("storage_audit", stdout=out)
    text = out.getvalue()
    assert f"orphan original: {planted['orphan_original']}" in text
    assert f"orphan rendition: {planted['orphan_rendition']}" in text
    assert f"left alone): {planted['recent']}" in text
    assert f"missing original: photo {planted['waiting'].pk} " in text
    assert f"missing rendition: #{planted['lost'].pk} " in text
    assert "2 orphan files, 3 rows pointing at a missing file" in text
    assert "repaired" not in text
    assert originals_storage().exists(planted["orphan_original"])

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("storage_audit", "--repair", stdout=out)
    assert "repaired: 2 files deleted, 2 photos marked, 1 renditions to make again" in (
        out.getvalue()
    )

    out = StringIO()
    call_command("storage_audit", stdout=out)
    assert "0 orphan files, 0 rows pointing at a missing file" in out.getvalue()
