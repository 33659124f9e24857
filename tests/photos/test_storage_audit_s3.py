"""The storage audit on S3 (moto's S3 server): one listing per storage, same findings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from contest.models import Entry
from photos import tasks
from photos.audit import storage_audit
from photos.models import Photo, Rendition
from photos.services import originals_storage
from tests.photos.test_s3 import BUCKET, moto_endpoint, s3  # noqa: F401

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def _keys(client: Any) -> set[str]:
    listed = client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listed.get("Contents", [])}


def test_it_finds_and_repairs_orphans_and_lost_files_on_s3(
    s3: Any,  # noqa: F811
    ready_entry: Callable[..., Entry],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(tasks.process_photo, "delay", lambda photo_id: sent.append(photo_id))
    kept = ready_entry(seed=31)
    broken = ready_entry(seed=32)
    orphan_original = originals_storage().save(f"{uuid.uuid4().hex}.jpg", ContentFile(b"x"))
    orphan_rendition = default_storage.save(
        f"renditions/{uuid.uuid4()}/thumb-0a1b.webp", ContentFile(b"x")
    )
    mockup = originals_storage().save("covers/mockups/1-1.jpg", ContentFile(b"x"))
    share = default_storage.save("renditions/campagne/slug-abc.jpg", ContentFile(b"x"))
    lost = Rendition.objects.filter(photo_id=broken.photo_id).order_by("pk").first()
    assert lost is not None
    default_storage.delete(lost.file.name)
    lost_original = kept.photo.original
    originals_storage().delete(lost_original)

    now = timezone.now()
    fresh = storage_audit(now=now)
    # Just stored: too recent to be called orphans.
    assert sorted(fresh.recent_orphans) == sorted([orphan_original, orphan_rendition])
    assert fresh.missing_originals == [(kept.photo_id, lost_original)]
    assert fresh.missing_renditions == [(lost.pk, lost.file.name)]

    with django_capture_on_commit_callbacks(execute=True):
        report = storage_audit(repair=True, now=now + timedelta(hours=2))

    assert report.orphan_originals == [orphan_original]
    assert report.orphan_renditions == [orphan_rendition]
    assert report.files_deleted == 2
    keys = _keys(s3)
    assert f"originals/{orphan_original}" not in keys
    assert f"media/{orphan_rendition}" not in keys
    assert {f"originals/{mockup}", f"media/{share}"} <= keys
    assert not Rendition.objects.filter(pk=lost.pk).exists()
    assert sent == [broken.photo_id]
    photo = Photo.objects.get(pk=kept.photo_id)
    assert (photo.status, photo.failure, photo.original) == ("ready", "missing", "")

    assert storage_audit(now=now + timedelta(hours=2)).clean
