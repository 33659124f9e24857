"""Retention on S3 (moto's S3 server): a non-winner's original leaves the bucket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from contest.retention import months_before, retention_run
from covers.models import Guide, Pick
from tests.photos.test_s3 import BUCKET, moto_endpoint, s3  # noqa: F401

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def _keys(client: Any) -> set[str]:
    listed = client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listed.get("Contents", [])}


def test_it_deletes_a_non_winners_original_from_s3_and_keeps_the_rest(
    s3: Any,  # noqa: F811
    ready_entry: Callable[..., Entry],
    other_entrant: Participant,
    contest: Contest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    winner = ready_entry(seed=41)
    loser = ready_entry(seed=42, participant=other_entrant)
    guide = Guide.objects.create(contest=contest, name="Ligne 2", line_label="2")
    Pick.objects.create(guide=guide, entry=winner, slot=0)
    Contest.objects.filter(pk=contest.pk).update(
        status=Contest.Status.ARCHIVED,
        archived_at=months_before(timezone.now(), 6) - timedelta(days=1),
    )
    before = _keys(s3)
    loser_key, winner_key = (f"originals/{e.photo.original}" for e in (loser, winner))

    with django_capture_on_commit_callbacks(execute=True):
        run = retention_run()

    assert [item["entry"] for item in run.removed] == [loser.pk]
    assert before - _keys(s3) == {loser_key}
    assert winner_key in _keys(s3)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_run().originals_removed == 0
