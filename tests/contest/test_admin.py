"""The admin pages of resumable uploads and of releases: staff read them, nobody edits them,
and an upload deleted there goes with its pieces."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Participant, Release, TusUpload
from contest.resumable import parts_storage
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


def _upload(
    contest: Contest, participant: Participant, offset: int, state: str = "receiving"
) -> TusUpload:
    upload_id = uuid.uuid4()
    return TusUpload.objects.create(
        id=upload_id,
        contest=contest,
        participant=participant,
        length=2_000_000,
        offset=offset,
        state=state,
        file_key=f"uploads/{upload_id.hex}",
        expires_at=timezone.now() + timedelta(days=1),
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_the_uploads_under_way_with_how_much_arrived_and_filters_by_state(
    staff: Any, contest: Contest, entrant: Participant, other_entrant: Participant
) -> None:
    under_way = _upload(contest, entrant, offset=1_260_000)
    _upload(contest, other_entrant, offset=2_000_000, state=TusUpload.State.DONE)
    client = _client(staff)
    listing = reverse("admin:contest_tusupload_changelist")

    everything = client.get(listing)
    receiving = client.get(listing, {"state__exact": "receiving"})
    detail = client.get(reverse("admin:contest_tusupload_change", args=[under_way.pk]))

    assert everything.status_code == receiving.status_code == detail.status_code == 200
    assert everything.context["cl"].result_count == 2
    page = receiving.content.decode()
    assert receiving.context["cl"].result_count == 1
    assert "63 %" in page and str(entrant) in page and "1,9" in page  # 1,9 Mo
    assert str(other_entrant) not in page
    # Read only: no form to change it, and none to add one.
    assert 'name="offset"' not in detail.content.decode()
    assert client.get(reverse("admin:contest_tusupload_add")).status_code == 403


def test_it_deletes_an_upload_with_its_pieces_but_not_one_being_checked(
    staff: Any, contest: Contest, entrant: Participant, tmp_path: Path
) -> None:
    upload = _upload(contest, entrant, offset=4)
    piece = parts_storage().save(f"{upload.file_key}/000000000000-ab.part", ContentFile(b"abcd"))
    TusUpload.objects.filter(pk=upload.pk).update(parts=[piece])
    checked = _upload(contest, entrant, offset=2_000_000, state=TusUpload.State.COMPLETING)
    client = _client(staff)

    deleted = client.post(
        reverse("admin:contest_tusupload_delete", args=[upload.pk]), {"post": "yes"}
    )
    refused = client.post(
        reverse("admin:contest_tusupload_delete", args=[checked.pk]), {"post": "yes"}
    )

    assert deleted.status_code == 302
    assert refused.status_code == 403
    assert list(TusUpload.objects.values_list("pk", flat=True)) == [checked.pk]
    assert not parts_storage().exists(piece)


def test_it_keeps_the_uploads_from_staff_without_the_permission_and_from_riders(
    moderator: Any, contest: Contest, entrant: Participant
) -> None:
    upload = _upload(contest, entrant, offset=10)
    for url in (
        reverse("admin:contest_tusupload_changelist"),
        reverse("admin:contest_tusupload_change", args=[upload.pk]),
        reverse("admin:contest_release_changelist"),
    ):
        assert _client(moderator).get(url).status_code == 403
        rider = _client(entrant.user).get(url)
        assert rider.status_code == 302 and "/login/" in rider["Location"]
    delete = reverse("admin:contest_tusupload_delete", args=[upload.pk])
    assert _client(moderator).post(delete, {"post": "yes"}).status_code == 403
    assert TusUpload.objects.filter(pk=upload.pk).exists()


def test_it_lists_the_releases_read_only_and_finds_one_by_name_or_address(
    staff: Any, contest: Contest
) -> None:
    asked = Release.objects.create(
        entry=EntryFactory(contest=contest, title="Le quai"),
        state=Release.State.ASKED,
        depicted_name="Jeanne Martin",
        depicted_email="jeanne@exemple.fr",
        asked_at=timezone.now(),
    )
    Release.objects.create(
        entry=EntryFactory(contest=contest, title="Le dépôt"),
        state=Release.State.CONFIRMED,
        depicted_name="Paul Durand",
        depicted_email="paul@exemple.fr",
    )
    client = _client(staff)
    listing = reverse("admin:contest_release_changelist")

    by_name = client.get(listing, {"q": "jeanne mart"})
    by_email = client.get(listing, {"q": "paul@exemple"})
    confirmed = client.get(listing, {"state__exact": "confirmed"})
    detail = client.get(reverse("admin:contest_release_change", args=[asked.pk]))

    assert by_name.status_code == by_email.status_code == detail.status_code == 200
    assert by_name.context["cl"].result_count == 1
    assert "Le quai" in by_name.content.decode() and "Jeanne Martin" in by_name.content.decode()
    assert reverse("admin:contest_entry_change", args=[asked.entry_id]) in by_name.content.decode()
    assert [r.depicted_name for r in by_email.context["cl"].result_list] == ["Paul Durand"]
    assert [r.depicted_name for r in confirmed.context["cl"].result_list] == ["Paul Durand"]
    assert 'name="depicted_name"' not in detail.content.decode()
    assert client.get(reverse("admin:contest_release_add")).status_code == 403
    delete = reverse("admin:contest_release_delete", args=[asked.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Release.objects.count() == 2
