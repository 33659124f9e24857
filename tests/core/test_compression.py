"""Light pages on a phone: HTML and CSS sent gzipped, renditions kept for a year."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Entry

pytestmark = pytest.mark.django_db
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
SITE_CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "site.css").read_bytes()


def _body(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_it_gzips_a_page_when_the_browser_asks(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    approved()
    response = Client().get(reverse("gallery:gallery", args=[contest.slug]), headers=GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    page = gzip.decompress(_body(response)).decode()
    assert "<html" in page
    assert len(_body(response)) < len(page.encode()) / 2


def test_it_sends_a_page_plain_when_the_browser_does_not_ask(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    approved()
    response = Client().get(reverse("gallery:gallery", args=[contest.slug]))
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert "<html" in _body(response).decode()


def test_it_sends_renditions_as_immutable_and_never_gzips_them(
    settings: Any, approved: Callable[..., Entry]
) -> None:
    # The dev run's media route (config/urls.py with SERVE_MEDIA), as the browser tests have it.
    settings.ROOT_URLCONF = "tests.browser.urls"
    entry = approved()
    rendition = entry.photo.renditions.get(spec="thumb", format="webp")
    response = Client().get(rendition.file.url, headers=GZIP)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Type"] == "image/webp"
    assert not response.has_header("Content-Encoding")
    assert _body(response) == rendition.file.read()


def test_it_keeps_the_lifetime_on_a_revalidated_rendition(
    settings: Any, approved: Callable[..., Entry]
) -> None:
    settings.ROOT_URLCONF = "tests.browser.urls"
    url = approved().photo.renditions.get(spec="thumb", format="jpeg").file.url
    first = Client().get(url)
    again = Client().get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=31536000, immutable"


def test_it_serves_css_gzipped_in_the_dev_run(settings: Any) -> None:
    # `make run`: DEBUG, whitenoise reading static/ through the finders, nothing collected.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()  # a new client builds the middleware with these settings
    response = client.get("/static/css/site.css", headers=GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(_body(response)) == SITE_CSS
    plain = client.get("/static/css/site.css")
    assert not plain.has_header("Content-Encoding")
    assert _body(plain) == SITE_CSS


def test_it_serves_collected_css_precompressed_and_immutable_in_production(
    settings: Any, tmp_path: Path
) -> None:
    # Production: collectstatic with whitenoise's storage writes hashed names and .gz files.
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    url = staticfiles_storage.url("css/site.css")
    assert url != "/static/css/site.css"  # the manifest's hashed name
    response = Client().get(url, headers=GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    # Whitenoise's .gz file as written (its length known), not gzipped again per request.
    body = _body(response)
    assert response["Content-Length"] == str(len(body))
    assert gzip.decompress(body) == SITE_CSS
