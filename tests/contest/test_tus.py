"""Resumable uploads (tus 1.0): the protocol, the upload page's checks before a byte is
received, one entry per completed photo whatever is sent twice, nothing kept of a refusal,
the sweep of abandoned uploads, and a real tus client interrupted half-way."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant, TusUpload
from contest.resumable import TusError, tus_upload_append, tus_uploads_sweep
from photos.models import Photo
from tests.factories import ParticipantFactory, UserFactory
from tests.images import SHARED_PHOTOS, photo_bytes

pytestmark = pytest.mark.django_db

TUS: dict[str, Any] = {"HTTP_TUS_RESUMABLE": "1.0.0"}
PHOTO = SHARED_PHOTOS / "jpeg_orient8_portrait.jpg"


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def _b64(value: str | bytes) -> str:
    return base64.b64encode(value.encode() if isinstance(value, str) else value).decode()


def _metadata(contest: Contest, **fields: str) -> str:
    values = {
        "filename": "tram.jpg",
        "title": "Le tram",
        "caption": "Un tram sous la pluie.",
        "theme": str(contest.themes.first().pk),  # type: ignore[union-attr]
        **fields,
    }
    return ",".join(f"{key} {_b64(value)}" for key, value in values.items())


def _csrf(client: Client, contest: Contest) -> str:
    client.get(reverse("contest:rules", args=[contest.slug]))  # a page with a form
    return client.cookies["csrftoken"].value


def _create(client: Client, contest: Contest, length: int, **headers: Any) -> Any:
    headers.setdefault("HTTP_UPLOAD_METADATA", _metadata(contest))
    return client.post(
        reverse("contest:tus_endpoint", args=[contest.slug]),
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_X_CSRFTOKEN=_csrf(client, contest),
        **{**TUS, **headers},
    )


def _patch(client: Client, url: str, offset: int, piece: bytes, **headers: Any) -> Any:
    return client.generic(
        "PATCH",
        url,
        data=piece,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        **{**TUS, **headers},
    )


def _sha1(piece: bytes) -> str:
    return "sha1 " + _b64(hashlib.sha1(piece).digest())  # noqa: S324 (tus's checksum)


def _send_all(client: Client, url: str, data: bytes, pieces: int = 3) -> Any:
    size = -(-len(data) // pieces)
    response = None
    for offset in range(0, len(data), size):
        piece = data[offset : offset + size]
        response = _patch(client, url, offset, piece, HTTP_UPLOAD_CHECKSUM=_sha1(piece))
        assert response.status_code == 204, response.content
    return response


def test_it_says_what_it_speaks(entrant_client: Client, contest: Contest, settings: Any) -> None:
    response = entrant_client.options(reverse("contest:tus_endpoint", args=[contest.slug]))
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Resumable"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) >= {"creation", "checksum", "expiration"}
    assert "sha1" in response["Tus-Checksum-Algorithm"].split(",")
    assert int(response["Tus-Max-Size"]) == settings.PHOTO_MAX_BYTES


def test_it_takes_a_photo_in_pieces_and_makes_one_entry_even_if_the_last_is_sent_twice(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    data = PHOTO.read_bytes()
    created = _create(entrant_client, contest, len(data))
    assert created.status_code == 201, created.content
    url = created["Location"]
    assert created["Upload-Expires"].endswith("GMT")
    head = entrant_client.head(url, **TUS)
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (
        200,
        "0",
        str(len(data)),
    )
    assert "no-store" in head["Cache-Control"]

    half = len(data) // 2
    assert _patch(entrant_client, url, 0, data[:half]).status_code == 204
    assert entrant_client.head(url, **TUS)["Upload-Offset"] == str(half)
    assert not Entry.objects.exists()
    last = _patch(entrant_client, url, half, data[half:], HTTP_UPLOAD_CHECKSUM=_sha1(data[half:]))
    assert last.status_code == 204
    assert last["Upload-Offset"] == str(len(data))
    assert last["Upload-Result"] == "done"
    entry = Entry.objects.get()
    assert (entry.title, entry.caption, entry.theme) == (
        "Le tram",
        "Un tram sous la pluie.",
        contest.themes.first(),
    )
    assert entry.sha256 == hashlib.sha256(data).hexdigest()
    assert entry.photo.original_name == "tram.jpg"

    # Its answer lost, the client sends the last piece again, or an empty one at the end.
    assert _patch(entrant_client, url, half, data[half:]).status_code == 409
    again = _patch(entrant_client, url, len(data), b"")
    assert (again.status_code, again["Upload-Offset"]) == (204, str(len(data)))
    assert Entry.objects.count() == Photo.objects.count() == 1
    outcome = entrant_client.get(url).json()
    assert outcome["state"] == "done"
    assert outcome["entry"] == entry.pk
    assert outcome["next"] == reverse("contest:my_entries", args=[contest.slug])
    assert _files_under(tmp_path / "originals" / "uploads") == []
    assert len(_files_under(tmp_path / "originals")) == 1  # the original, no piece left
    page = entrant_client.get(outcome["next"]).content.decode()
    assert "Votre photo « Le tram » est reçue" in page


def test_it_drops_a_piece_that_does_not_match_its_checksum(
    entrant_client: Client, contest: Contest
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    piece = data[:1000]
    wrong = _patch(entrant_client, url, 0, piece, HTTP_UPLOAD_CHECKSUM=_sha1(b"other bytes"))
    assert wrong.status_code == 460
    assert entrant_client.head(url, **TUS)["Upload-Offset"] == "0"
    unknown = _patch(entrant_client, url, 0, piece, HTTP_UPLOAD_CHECKSUM="crc32 AAAA")
    assert unknown.status_code == 400
    assert _patch(entrant_client, url, 0, piece, HTTP_UPLOAD_CHECKSUM=_sha1(piece)).status_code
    assert entrant_client.head(url, **TUS)["Upload-Offset"] == "1000"


def test_it_answers_409_to_a_piece_not_where_the_upload_stands(
    entrant_client: Client, contest: Contest
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    assert _patch(entrant_client, url, 0, data[:500]).status_code == 204
    conflict = _patch(entrant_client, url, 100, data[100:600])
    assert conflict.status_code == 409
    assert conflict.json()["offset"] == 500
    assert entrant_client.head(url, **TUS)["Upload-Offset"] == "500"
    # Past the announced length, and in another content type: refused too.
    assert _patch(entrant_client, url, 500, data[500:] + b"more").status_code == 400
    plain = entrant_client.generic(
        "PATCH",
        url,
        data=data[500:600],
        content_type="application/octet-stream",
        HTTP_UPLOAD_OFFSET="500",
        HTTP_X_CSRFTOKEN=entrant_client.cookies["csrftoken"].value,
        **TUS,
    )
    assert plain.status_code == 415


def test_it_refuses_a_photo_too_large_before_receiving_a_byte(
    entrant_client: Client, contest: Contest, tmp_path: Path, settings: Any
) -> None:
    response = _create(entrant_client, contest, settings.PHOTO_MAX_BYTES + 1)
    assert response.status_code == 413
    assert response.json()["message"] == "Le fichier dépasse 25 Mo."
    assert not TusUpload.objects.exists()
    assert _files_under(tmp_path / "originals" / "uploads") == []


def test_it_refuses_another_version_of_the_protocol(
    entrant_client: Client, contest: Contest
) -> None:
    response = _create(entrant_client, contest, 1000, HTTP_TUS_RESUMABLE="0.2.2")
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert not TusUpload.objects.exists()


def test_it_refuses_riders_the_upload_page_would_turn_away(
    anonymous_client: Client, entrant_client: Client, contest: Contest, entrant: Participant
) -> None:
    assert _create(anonymous_client, contest, 1000).status_code == 403
    stranger = UserFactory(email="sacha@example.org")
    ParticipantFactory(user=stranger)
    stranger_client = Client(enforce_csrf_checks=True)
    stranger_client.force_login(stranger)  # type: ignore[arg-type]
    refused = _create(stranger_client, contest, 1000)
    assert refused.status_code == 403
    assert refused.json()["message"] == "Veuillez d'abord accepter le règlement du concours."
    # At the contest's limit: refused at creation, before any byte.
    contest.max_photos_per_participant = 0
    contest.save(update_fields=["max_photos_per_participant"])
    full = _create(entrant_client, contest, 1000)
    assert full.status_code == 403
    assert "toutes les photos" in full.json()["message"]
    assert not TusUpload.objects.exists()


def test_it_checks_the_photos_details_at_creation(entrant_client: Client, contest: Contest) -> None:
    response = _create(
        entrant_client, contest, 1000, HTTP_UPLOAD_METADATA=_metadata(contest, title="")
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]
    garbled = _create(entrant_client, contest, 1000, HTTP_UPLOAD_METADATA="title ###")
    assert garbled.status_code == 400
    assert not TusUpload.objects.exists()


def test_it_counts_each_upload_against_the_rate_limit_at_creation(
    entrant_client: Client, contest: Contest, settings: Any
) -> None:
    settings.UPLOADS_PER_HOUR = 1
    assert _create(entrant_client, contest, 1000).status_code == 201
    limited = _create(entrant_client, contest, 1000)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 3600
    assert limited.json()["message"].startswith("Trop d'envois en peu de temps.")
    assert TusUpload.objects.count() == 1


def test_it_keeps_nothing_of_a_refused_photo(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    data = PHOTO.read_bytes()[:60_000]  # a truncated JPEG
    url = _create(entrant_client, contest, len(data))["Location"]
    last = _send_all(entrant_client, url, data)
    assert last["Upload-Result"] == "refused"
    outcome = entrant_client.get(url).json()
    assert outcome["state"] == "refused"
    assert outcome["entry"] is None
    assert outcome["message"] == "Le fichier est endommagé ou incomplet : envoyez-le à nouveau."
    assert not Entry.objects.exists()
    assert not Photo.objects.exists()
    assert _files_under(tmp_path / "originals" / "uploads") == []
    assert _files_under(tmp_path / "originals") == []


def test_it_refuses_the_same_photo_twice_and_keeps_nothing_of_the_second(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    data = photo_bytes(1200, 900, seed=4)
    first = _create(entrant_client, contest, len(data))["Location"]
    _send_all(entrant_client, first, data)
    second = _create(entrant_client, contest, len(data))["Location"]
    _send_all(entrant_client, second, data)
    assert entrant_client.get(second).json()["message"] == "Vous avez déjà envoyé cette photo."
    assert Entry.objects.count() == 1
    assert _files_under(tmp_path / "originals" / "uploads") == []
    assert len(_files_under(tmp_path / "originals")) == 1


def test_it_shows_an_upload_to_its_owner_only(
    entrant_client: Client, contest: Contest, other_entrant: Participant
) -> None:
    url = _create(entrant_client, contest, 1000)["Location"]
    other = Client()
    other.force_login(other_entrant.user)
    assert other.head(url, **TUS).status_code == 404
    assert other.get(url).status_code == 404
    assert entrant_client.head(url.replace(contest.slug, "autre"), **TUS).status_code == 404
    missing = reverse("contest:tus_upload", args=[contest.slug, uuid.uuid4()])
    assert entrant_client.head(missing, **TUS).status_code == 404


def test_it_sweeps_abandoned_uploads_away(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    _patch(entrant_client, url, 0, data[:4000])
    _patch(entrant_client, url, 4000, data[4000:5000])
    recent = _create(entrant_client, contest, len(data))["Location"]
    _patch(entrant_client, recent, 0, data[:4000])
    assert len(_files_under(tmp_path / "originals" / "uploads")) == 3
    abandoned = TusUpload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[1])
    TusUpload.objects.filter(pk=abandoned.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert tus_uploads_sweep() == 1
    assert list(TusUpload.objects.values_list("pk", flat=True)) == [
        uuid.UUID(recent.rstrip("/").rsplit("/", 1)[1])
    ]
    assert [path.parent.name for path in _files_under(tmp_path / "originals" / "uploads")] == [
        uuid.UUID(recent.rstrip("/").rsplit("/", 1)[1]).hex
    ]
    assert entrant_client.head(url, **TUS).status_code == 404
    assert tus_uploads_sweep() == 0  # a second run has nothing left to do


def test_it_forgets_an_upload_on_termination(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    url = _create(entrant_client, contest, 1000)["Location"]
    deleted = entrant_client.delete(
        url, HTTP_X_CSRFTOKEN=entrant_client.cookies["csrftoken"].value, **TUS
    )
    assert deleted.status_code == 204
    assert not TusUpload.objects.exists()
    assert _files_under(tmp_path / "originals" / "uploads") == []


def test_a_tus_client_resumes_an_interrupted_upload_from_its_url(
    live_server: LiveServer, contest: Contest, entrant: Participant, tmp_path: Path
) -> None:
    from tusclient.client import TusClient
    from tusclient.exceptions import TusCommunicationError

    browser = Client()
    browser.force_login(entrant.user)
    token = _csrf(browser, contest)
    headers = {
        "Cookie": f"sessionid={browser.cookies['sessionid'].value}; csrftoken={token}",
        "X-CSRFToken": token,
    }
    endpoint = live_server.url + reverse("contest:tus_endpoint", args=[contest.slug])
    data = (SHARED_PHOTOS / "jpeg_orient3_landscape.jpg").read_bytes()
    chunk = 64 * 1024
    metadata = {
        "filename": "orient3.jpg",
        "title": "Le pont",
        "caption": "Un bus passe le pont.",
        "theme": str(contest.themes.first().pk),  # type: ignore[union-attr]
    }
    first = TusClient(endpoint, headers=headers).uploader(
        file_path=str(SHARED_PHOTOS / "jpeg_orient3_landscape.jpg"),
        chunk_size=chunk,
        metadata=metadata,
        upload_checksum=True,
    )
    first.upload(stop_at=2 * chunk)  # the connection drops after two pieces
    assert first.url is not None
    assert first.offset == 2 * chunk
    assert not Entry.objects.exists()

    # A piece cut short by the drop: the server kept nothing past the last whole piece.
    with pytest.raises(TusCommunicationError):
        TusClient(endpoint, headers={**headers, "Upload-Checksum": "sha1 AAAA"}).uploader(
            file_path=str(SHARED_PHOTOS / "jpeg_orient3_landscape.jpg"),
            chunk_size=chunk,
            url=first.url,
        ).upload_chunk()

    # Later, a new client from the stored URL: it asks where the upload stands and goes on.
    resumed = TusClient(endpoint, headers=headers).uploader(
        file_path=str(SHARED_PHOTOS / "jpeg_orient3_landscape.jpg"),
        chunk_size=chunk,
        url=first.url,
        upload_checksum=True,
    )
    assert resumed.offset == 2 * chunk
    resumed.upload()
    assert resumed.offset == len(data)
    entry = Entry.objects.get()
    assert entry.title == "Le pont"
    assert entry.sha256 == hashlib.sha256(data).hexdigest()
    assert _files_under(tmp_path / "originals" / "uploads") == []


def _upload_of(url: str) -> TusUpload:
    return TusUpload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[1])


def test_of_two_requests_sending_the_same_piece_only_one_counts(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    # Both read the row before either stored its piece: a retry while the first trickles in.
    first, second = _upload_of(url), _upload_of(url)
    piece = data[:1000]
    stored = tus_upload_append(
        upload=first, offset=0, body=io.BytesIO(piece), body_length=1000, checksum=None
    )
    assert stored == 1000
    with pytest.raises(TusError) as refused:
        tus_upload_append(
            upload=second, offset=0, body=io.BytesIO(piece), body_length=1000, checksum=None
        )
    assert refused.value.status == 409
    assert _upload_of(url).offset == 1000
    assert len(_files_under(tmp_path / "originals" / "uploads")) == 1


def test_it_keeps_what_arrived_of_a_piece_cut_short(
    entrant_client: Client, contest: Contest
) -> None:
    data = PHOTO.read_bytes()
    url = _create(entrant_client, contest, len(data))["Location"]
    # 600 bytes of the 1,000 announced, then the connection dropped.
    kept = tus_upload_append(
        upload=_upload_of(url),
        offset=0,
        body=io.BytesIO(data[:600]),
        body_length=1000,
        checksum=None,
    )
    assert kept == 600
    assert entrant_client.head(url, **TUS)["Upload-Offset"] == "600"
    assert _patch(entrant_client, url, 600, data[600:]).status_code == 204
    assert Entry.objects.get().sha256 == hashlib.sha256(data).hexdigest()
