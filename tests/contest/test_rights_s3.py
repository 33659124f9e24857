"""A withdrawn photo's files leave S3 too (moto's S3 server)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contest.models import Entry, Participant
from contest.rights import entry_withdraw
from tests.photos.test_s3 import BUCKET, moto_endpoint, s3  # noqa: F401

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def _keys(client: Any) -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_it_deletes_a_withdrawn_photos_original_and_renditions_from_s3(
    s3: Any,  # noqa: F811
    ready_entry: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = ready_entry(seed=21)
    stored = _keys(s3)
    assert any(key.startswith("originals/") for key in stored)
    assert any(key.startswith("media/renditions/") for key in stored)

    with django_capture_on_commit_callbacks(execute=True):
        assert entry_withdraw(entry_id=entry.pk, participant=entrant)

    assert _keys(s3) == []
