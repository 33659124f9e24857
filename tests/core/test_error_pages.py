"""Error pages in the site's look and the visitor's language; malformed and oversized posts."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from contest.models import Contest, Entry, Participant
from core.middleware import RequestSizeLimitMiddleware
from photos.models import Photo
from tests.http import upload_data
from tests.images import photo_bytes, upload

pytestmark = pytest.mark.django_db

BOUNDARY = "CoverlineTestBoundary"
HOME = {"fr": "Retour à l'accueil", "en": "Back to the home page"}


def multipart_upload(
    client: Client, contest: Contest, file_name: bytes, data: bytes, **extra: Any
) -> Any:
    """Posts the upload form with a file name given as raw bytes, as a hostile client may.

    Written by hand: the test client cuts names to 255 characters and sends them as UTF-8.
    """
    url = reverse("contest:upload", args=[contest.slug])
    client.get(url)
    theme = contest.themes.first()
    assert theme is not None
    fields = {
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        **upload_data(("", "Tram", "Un tram.", theme)),
    }
    del fields["photos-0-photo"]
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    photo_part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos-0-photo"; '
    body += (
        photo_part.encode()
        + b'filename="'
        + file_name
        + b'"\r\nContent-Type: image/jpeg\r\n\r\n'
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return client.post(url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra)


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the request body was read")

    readline = read


def _oversized(client: Client, url: str, **extra: Any) -> Any:
    environ: dict[str, Any] = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(settings.REQUEST_MAX_BYTES + 1),
        "wsgi.input": UnreadableBody(),
    }
    return client.generic("POST", url, **environ, **extra)


@dataclass(frozen=True)
class Page:
    status: int
    french: str
    english: str
    send: Callable[[Client, Contest, dict[str, Any]], Any]
    signed_in: bool = False
    test_urls: bool = False  # pages reachable only through tests/core/error_urls.py


PAGES = {
    "400 malformed upload": Page(
        400,
        "Nous n'avons pas pu lire ce qui a été envoyé",
        "We could not read what was sent",
        lambda client, contest, extra: multipart_upload(
            client, contest, b"a" * 4996 + b".jpg", photo_bytes(), **extra
        ),
        signed_in=True,
    ),
    "403 staff page": Page(
        403,
        "Vous ne pouvez pas ouvrir cette page",
        "You cannot open this page",
        lambda client, contest, extra: client.get(reverse("moderation:queue"), **extra),
        signed_in=True,
    ),
    "403 CSRF failure": Page(
        403,
        "Ce formulaire a expiré",
        "This form has expired",
        lambda client, contest, extra: client.post(
            reverse("contest:upload", args=[contest.slug]),
            upload_data((upload(), "T", "C", contest.themes.first())),
            **extra,
        ),
        signed_in=True,
    ),
    "404": Page(
        404,
        "Cette page n'existe pas",
        "This page does not exist",
        lambda client, contest, extra: client.get("/pas-une-page/", **extra),
    ),
    "413": Page(
        413,
        "C'est trop pour un seul envoi",
        "This is too much to send at once",
        lambda client, contest, extra: _oversized(
            client, reverse("contest:upload", args=[contest.slug]), **extra
        ),
    ),
    "429 rate limit": Page(
        429,
        "Trop de demandes sont arrivées de votre part en peu de temps.",
        "Too many requests came from you in a short time.",
        lambda client, contest, extra: client.get("/test/rate-limited/", **extra),
        test_urls=True,
    ),
    "429 staff lockout": Page(
        429,
        "Vous pourrez réessayer dans 30 minutes.",
        "You can try again in 30 minutes.",
        lambda client, contest, extra: client.get("/test/locked-out/", **extra),
        test_urls=True,
    ),
    "500": Page(
        500,
        "Un problème est survenu de notre côté",
        "Something went wrong on our side",
        lambda client, contest, extra: client.get("/test/fails/", **extra),
        test_urls=True,
    ),
}


def assert_site_page(response: Any, status: int, text: str, language: str) -> None:
    """The page answers `status` in the site's look, says `text`, and leads home."""
    assert response.status_code == status
    page = html.unescape(response.content.decode())
    assert f'<html lang="{language}">' in page
    assert '<header class="site-header">' in page
    assert '<a class="brand" href="/">Coverline</a>' in page
    assert text in page
    assert f'<a class="button" href="{reverse("contest:home")}">{HOME[language]}</a>' in page


@pytest.mark.parametrize("how", ["default", "Accept-Language", "language cookie"])
@pytest.mark.parametrize("name", list(PAGES))
def test_it_shows_each_error_page_in_the_site_look_in_french_or_english(
    name: str,
    how: str,
    contest: Contest,
    entrant: Participant,
    settings: Any,
) -> None:
    page = PAGES[name]
    settings.DEBUG = False
    if page.test_urls:
        settings.ROOT_URLCONF = "tests.core.error_urls"
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if page.signed_in:
        client.force_login(entrant.user)
    extra: dict[str, Any] = {}
    if how == "Accept-Language":
        extra["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    elif how == "language cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    language = "fr" if how == "default" else "en"

    response = page.send(client, contest, extra)

    assert_site_page(
        response, page.status, page.french if language == "fr" else page.english, language
    )


def test_it_reads_the_lockout_page_with_what_django_axes_passes(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.core.error_urls"
    page = html.unescape(Client().get("/test/locked-out/").content.decode())
    assert "La connexion est suspendue après 5 tentatives manquées." in page
    # Axes' ISO 8601 duration is never shown as is.
    assert "PT30M" not in page


def test_it_shows_the_500_page_even_when_the_session_store_is_down(
    entrant: Participant, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.core.error_urls"
    client = Client(raise_request_exception=False)
    client.force_login(entrant.user)

    def database_down(self: SessionStore) -> dict[str, Any]:
        raise DatabaseError("the database is down")

    # The bug and the outage at once: a page built from the request (its user, its
    # messages) would load the session and fail a second time.
    monkeypatch.setattr(SessionStore, "load", database_down)
    response = client.get("/test/fails/")

    assert_site_page(response, 500, "Un problème est survenu de notre côté", "fr")


def test_it_falls_back_to_a_plain_page_when_the_500_page_itself_fails(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.core.error_urls"

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the templates are broken too")

    monkeypatch.setattr("core.views.loader.render_to_string", broken)
    response = Client(raise_request_exception=False).get("/test/fails/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Erreur du serveur" in page
    assert "Server error" in page


def _nothing_stored(tmp_path: Path) -> bool:
    originals = tmp_path / "originals"
    return (
        not Entry.objects.exists()
        and not Photo.objects.exists()
        and (not originals.exists() or not any(originals.iterdir()))
    )


def test_it_refuses_a_5000_character_file_name_with_the_400_page_and_stores_nothing(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    # Django's parser refuses part headers over 1 KiB (MultiPartParserError): handler400.
    response = multipart_upload(entrant_client, contest, b"a" * 4996 + b".jpg", photo_bytes())
    assert_site_page(response, 400, "Nous n'avons pas pu lire ce qui a été envoyé", "fr")
    assert _nothing_stored(tmp_path)


def test_it_answers_an_invalid_utf8_file_name_with_the_form_and_stores_nothing(
    entrant_client: Client, contest: Contest, tmp_path: Path
) -> None:
    # Django's parser skips a part header it cannot decode: the photo field arrives empty
    # and the upload form says so, with a 400 from the view.
    name = "café.jpg".encode("latin-1") + b"\xff\xfe"
    response = multipart_upload(entrant_client, contest, name, photo_bytes())
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert '<header class="site-header">' in page
    assert 'id="id_photos-0-photo_error">Ce champ est obligatoire.' in page
    assert _nothing_stored(tmp_path)


def test_it_takes_a_photo_whose_name_has_a_huge_extension_in_a_post_spooled_to_disk(
    entrant_client: Client, entrant: Participant, contest: Contest, settings: Any
) -> None:
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE, Django named its temporary file with the extension
    # as sent: "File name too long", a 500.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = multipart_upload(entrant_client, contest, b"p." + b"j" * 900, photo_bytes())
    assert response.status_code == 302
    photo = Entry.objects.get(participant=entrant).photo
    assert photo.original_name == "." + "j" * 254  # kept as text, cut to 255 by Django


def test_it_refuses_an_oversized_post_with_413_without_reading_the_body(
    anonymous_client: Client, contest: Contest
) -> None:
    response = _oversized(anonymous_client, reverse("contest:upload", args=[contest.slug]))
    assert_site_page(response, 413, "C'est trop pour un seul envoi", "fr")
    # The CSP middleware never saw the request: the page carries the site's policy anyway.
    site_policy = anonymous_client.get(reverse("contest:home"))["Content-Security-Policy"]
    assert set(response["Content-Security-Policy"].split("; ")) == set(site_policy.split("; "))
    assert not Entry.objects.exists()


def test_it_lets_through_a_post_of_as_many_full_size_photos_as_django_takes(
    settings: Any,
) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("taken")

    middleware = RequestSizeLimitMiddleware(view)
    largest = settings.DATA_UPLOAD_MAX_NUMBER_FILES * settings.PHOTO_MAX_BYTES + 64 * 1024
    request = RequestFactory().post("/", CONTENT_LENGTH=str(largest))
    assert middleware(request).status_code == 200
    request = RequestFactory().post("/", CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1))
    assert middleware(request).status_code == 413
