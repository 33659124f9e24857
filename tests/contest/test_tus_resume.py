"""An upload taken up again after a reload or a closed browser: in a new session of the same
rider it goes on from where it stands; nobody else can read it, add to it or end it; once
expired it is gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contest.models import Contest, Entry, Participant, TusUpload
from tests.contest.test_tus import PHOTO, TUS, _create, _csrf, _patch

pytestmark = pytest.mark.django_db


def test_it_lets_the_rider_go_on_in_a_new_session_and_makes_one_entry(
    entrant_client: Client, contest: Contest, entrant: Participant
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    assert _patch(entrant_client, url, 0, data[:5000]).status_code == 204
    # The browser closed: another session of the same rider, with a CSRF token of its own.
    later = Client(enforce_csrf_checks=True)
    later.force_login(entrant.user)
    _csrf(later, contest)

    head = later.head(url, **TUS)
    rest = _patch(later, url, int(head["Upload-Offset"]), data[5000:])

    assert head.status_code == 200 and head["Upload-Offset"] == "5000"
    assert rest.status_code == 204 and rest["Upload-Result"] == "done"
    assert Entry.objects.get().participant == entrant


def test_it_lets_no_one_else_add_to_an_upload_or_end_it(
    entrant_client: Client, contest: Contest, other_entrant: Participant
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    _patch(entrant_client, url, 0, data[:5000])
    other = Client(enforce_csrf_checks=True)
    other.force_login(other_entrant.user)
    _csrf(other, contest)
    anonymous = Client(enforce_csrf_checks=True)
    _csrf(anonymous, contest)

    for client in (other, anonymous):
        assert client.head(url, **TUS).status_code == 404
        assert _patch(client, url, 5000, data[5000:]).status_code == 404
        token = client.cookies["csrftoken"].value
        assert client.delete(url, HTTP_X_CSRFTOKEN=token, **TUS).status_code == 404

    upload = TusUpload.objects.get()
    assert (upload.offset, upload.state) == (5000, TusUpload.State.RECEIVING)
    assert not Entry.objects.exists()


def test_it_answers_404_for_an_expired_upload_and_removes_it(
    entrant_client: Client, contest: Contest
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    _patch(entrant_client, url, 0, data[:5000])
    TusUpload.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    assert entrant_client.head(url, **TUS).status_code == 404
    assert _patch(entrant_client, url, 5000, data[5000:]).status_code == 404
    assert not TusUpload.objects.exists()
