"""Resumable uploads with the originals on S3 (moto's S3 server): the pieces are objects of
the private bucket while the photo arrives, and none is left once it is entered or swept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from contest.models import Contest, Entry, TusUpload
from contest.resumable import tus_uploads_sweep
from tests.contest.test_tus import PHOTO, _create, _patch, _sha1
from tests.photos.test_s3 import BUCKET, moto_endpoint, s3  # noqa: F401

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def _pieces(client: Any) -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="originals/uploads/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_it_keeps_the_pieces_in_the_bucket_and_none_once_entered(
    s3: Any,  # noqa: F811
    entrant_client: Client,
    contest: Contest,
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    half = len(data) // 2
    assert _patch(entrant_client, url, 0, data[:half]).status_code == 204
    assert len(_pieces(s3)) == 1
    last = _patch(entrant_client, url, half, data[half:], HTTP_UPLOAD_CHECKSUM=_sha1(data[half:]))
    assert last["Upload-Result"] == "done"
    entry = Entry.objects.get()
    assert _pieces(s3) == []
    original = s3.get_object(Bucket=BUCKET, Key=f"originals/{entry.photo.original}")
    assert original["Body"].read() == data


def test_it_sweeps_an_abandoned_upload_out_of_the_bucket(
    s3: Any,  # noqa: F811
    entrant_client: Client,
    contest: Contest,
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    _patch(entrant_client, url, 0, data[:5000])
    _patch(entrant_client, url, 5000, data[5000:9000])
    assert len(_pieces(s3)) == 2
    TusUpload.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert tus_uploads_sweep() == 1
    assert _pieces(s3) == []
    assert not TusUpload.objects.exists()
