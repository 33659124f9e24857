"""The upload's rate limit: counted before the photos are read, nothing stored past it, and
its 429 as a page or, for htmx, as a fragment the upload form shows in place."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Entry
from photos.models import Photo
from tests.http import csrf_post, upload_data
from tests.images import upload

pytestmark = pytest.mark.django_db


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def _send(client: Client, contest: Contest, **extra: Any) -> Any:
    url = reverse("contest:upload", args=[contest.slug])
    data = upload_data((upload(seed=7), "Tram", "Un tram.", contest.themes.first()), total=1)
    return csrf_post(client, url, data, **extra)


def test_it_stores_nothing_of_an_upload_past_the_limit(
    entrant_client: Client, contest: Contest, settings: Any, tmp_path: Path
) -> None:
    settings.UPLOADS_PER_HOUR = 0
    response = _send(entrant_client, contest)
    assert response.status_code == 429
    assert not Entry.objects.exists()
    assert not Photo.objects.exists()
    assert _files_under(tmp_path / "media") == []
    assert _files_under(tmp_path / "originals") == []
    # Where an upload let through does store its photo.
    settings.UPLOADS_PER_HOUR = 2
    assert _send(entrant_client, contest).status_code == 302
    assert Entry.objects.count() == Photo.objects.count() == 1
    assert len(_files_under(tmp_path / "originals")) == 1


def test_it_counts_each_post_and_never_showing_the_form(
    entrant_client: Client, contest: Contest, settings: Any
) -> None:
    settings.UPLOADS_PER_HOUR = 1
    url = reverse("contest:upload", args=[contest.slug])
    for _ in range(3):
        assert entrant_client.get(url).status_code == 200
    assert _send(entrant_client, contest).status_code == 302
    assert _send(entrant_client, contest).status_code == 429
    # The form still shows: the rider can read the rules and prepare their photos.
    page = entrant_client.get(url)
    assert page.status_code == 200
    assert 'id="upload-form"' in page.content.decode()


def test_it_answers_htmx_with_a_fragment_that_names_the_wait(
    entrant_client: Client, contest: Contest, settings: Any
) -> None:
    settings.UPLOADS_PER_HOUR = 0
    url = reverse("contest:upload", args=[contest.slug])
    response = _send(
        entrant_client,
        contest,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{url}",
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert response["Cache-Control"] == "private, no-store"
    fragment = html.unescape(response.content.decode())
    assert "<html" not in fragment
    assert '<section class="card rate-limited" role="alert"' in fragment
    # What static/js/upload.js shows in the form's status line.
    assert '<p class="rate-limited-message">Trop d\'envois en peu de temps. Vous pourrez' in (
        fragment
    )
    assert f'<a class="button" href="http://testserver{url}">Recharger la page</a>' in fragment


def test_it_answers_a_plain_post_with_the_429_page_leading_back_to_the_form(
    entrant_client: Client, contest: Contest, settings: Any
) -> None:
    settings.UPLOADS_PER_HOUR = 0
    url = reverse("contest:upload", args=[contest.slug])
    response = _send(entrant_client, contest, HTTP_REFERER=f"http://testserver{url}")
    assert response.status_code == 429
    page = html.unescape(response.content.decode())
    assert "<h1>Merci de patienter un peu</h1>" in page
    assert "Trop d'envois en peu de temps." in page
    assert f'<a href="http://testserver{url}">Revenir à la page précédente</a>' in page


def test_it_never_leads_back_to_another_site(
    entrant_client: Client, contest: Contest, settings: Any
) -> None:
    settings.UPLOADS_PER_HOUR = 0
    response = _send(entrant_client, contest, HTTP_REFERER="https://evil.example/")
    assert response.status_code == 429
    assert "evil.example" not in response.content.decode()
