"""E-mailed sign-in links: once, for an hour, not after sign-out, and never in the logs."""

from __future__ import annotations

import importlib
import logging
import re
import time
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from contest import services
from contest.models import Participant
from core.logging import RedactQueryParameter
from tests.http import csrf_post, follow_signin_link, signin_link_form
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db


def _ask_for_link(client: Client, email: str = "lea@example.org", next_url: str = "/") -> str:
    """Asks for a sign-in link through the page and returns it from the e-mail."""
    response = csrf_post(client, reverse("contest:signin"), {"email": email, "next": next_url})
    assert response.status_code == 200
    deliver_mail()
    match = re.search(r"http://testserver(\S+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["jeton"][0]


def _signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def _move_sesame_clock(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Makes django-sesame read the time `seconds` from now when it checks a token's age."""
    later = time.time() + seconds

    class Clock:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr("sesame.tokens_v2.time", Clock)


def test_it_signs_in_with_a_link_only_once() -> None:
    link = _ask_for_link(Client(enforce_csrf_checks=True), next_url="/profil/")
    phone = Client(enforce_csrf_checks=True)
    landed = follow_signin_link(phone, link)
    assert landed.status_code == 302
    assert landed["Location"] == "/profil/"
    assert _signed_in_as(phone)

    # Whoever finds the mail later (another device, a shared mailbox) gets nothing.
    thief = Client(enforce_csrf_checks=True)
    page, _fields = signin_link_form(thief, link)
    assert page.status_code == 400
    again = thief.post(
        reverse("contest:signin_link"),
        {"jeton": _token(link), "csrfmiddlewaretoken": thief.cookies["csrftoken"].value},
    )
    assert again.status_code == 400
    assert "Demandez-en un nouveau" in again.content.decode()
    assert not _signed_in_as(thief)


def test_it_does_not_sign_in_when_the_link_is_only_opened() -> None:
    link = _ask_for_link(Client(enforce_csrf_checks=True))
    # A mail scanner, or the rider's own mail app previewing the link.
    scanner = Client(enforce_csrf_checks=True)
    page, fields = signin_link_form(scanner, link)
    assert page.status_code == 200
    assert "Continuer" in page.content.decode()
    assert fields["jeton"] == _token(link)
    assert fields["suite"] == "/"
    assert not _signed_in_as(scanner)

    phone = Client(enforce_csrf_checks=True)
    assert follow_signin_link(phone, link).status_code == 302
    assert _signed_in_as(phone)


def test_it_signs_in_again_a_rider_already_signed_in_with_a_new_link(
    entrant: Participant,
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(entrant.user)
    link = _ask_for_link(browser, email=entrant.user.email)
    landed = follow_signin_link(browser, link)
    assert landed.status_code == 302
    assert _signed_in_as(browser) == str(entrant.user.pk)


def test_it_voids_an_unused_link_when_the_rider_signs_out(entrant: Participant) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(entrant.user)
    link = _ask_for_link(browser, email=entrant.user.email)
    csrf_post(browser, reverse("contest:signout"), {}, page=reverse("contest:home"))
    assert not _signed_in_as(browser)

    page, _fields = signin_link_form(Client(), link)
    assert page.status_code == 400
    other = Client(enforce_csrf_checks=True)
    other.get(reverse("contest:home"))
    posted = other.post(
        reverse("contest:signin_link"),
        {"jeton": _token(link), "csrfmiddlewaretoken": other.cookies["csrftoken"].value},
    )
    assert posted.status_code == 400
    assert not _signed_in_as(other)


def test_it_refuses_a_link_after_an_hour_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    link = _ask_for_link(Client(enforce_csrf_checks=True))
    phone = Client(enforce_csrf_checks=True)
    page, fields = signin_link_form(phone, link)
    assert page.status_code == 200

    _move_sesame_clock(monkeypatch, 3600 + 1)
    expired = phone.post(reverse("contest:signin_link"), fields)
    assert expired.status_code == 400
    assert "Demandez-en un nouveau" in expired.content.decode()
    assert not _signed_in_as(phone)


def test_it_still_accepts_a_link_just_before_the_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    link = _ask_for_link(Client(enforce_csrf_checks=True))
    _move_sesame_clock(monkeypatch, 3600 - 60)
    phone = Client(enforce_csrf_checks=True)
    assert follow_signin_link(phone, link).status_code == 302


def test_it_tells_in_the_mail_how_long_the_link_works() -> None:
    _ask_for_link(Client(enforce_csrf_checks=True))
    assert "Il ne sert qu'une fois et reste valable 1 heure," in mail.outbox[-1].body


@pytest.mark.parametrize(
    ("max_age", "language", "said"),
    [
        (1800, "fr", "Il ne sert qu'une fois et reste valable 30 minutes,"),
        (7200, "fr", "Il ne sert qu'une fois et reste valable 2 heures,"),
        (1800, "en", "It works once, for 30 minutes,"),
        (3600, "en", "It works once, for 1 hour,"),
    ],
)
def test_it_says_minutes_or_hours_in_the_riders_language(
    settings: object, max_age: int, language: str, said: str
) -> None:
    settings.SESAME_MAX_AGE = max_age  # type: ignore[attr-defined]
    services.participant_request_signin(
        email="lea@example.org",
        next_url="/",
        ip_address=None,
        language=language,
        base_url="http://testserver/",
    )
    deliver_mail()
    assert said in mail.outbox[-1].body


def test_it_tells_on_the_check_your_mail_page_how_long_the_link_works() -> None:
    response = csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "a@example.org"}
    )
    assert "reste valable 1 heure" in response.content.decode()
    assert "24 heures" not in response.content.decode()


def test_it_masks_the_token_in_a_log_record() -> None:
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /connexion/lien/?jeton=abc&suite=%2Fprofil%2F HTTP/1.1", "200", "1234"),
        None,
    )
    assert RedactQueryParameter(parameter="jeton").filter(record)
    message = record.getMessage()
    assert "abc" not in message
    assert message == '"GET /connexion/lien/?jeton=***&suite=%2Fprofil%2F HTTP/1.1" 200 1234'


@pytest.mark.parametrize("logger_name", ["django.server", "django.request"])
def test_it_masks_the_token_in_the_access_and_request_logs(logger_name: str) -> None:
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger(logger_name)
    handler = Keep()
    logger.addHandler(handler)
    try:
        logger.warning('"%s" %s %s', "GET /connexion/lien/?jeton=abc HTTP/1.1", "400", "12")
    finally:
        logger.removeHandler(handler)
    assert seen == ['"GET /connexion/lien/?jeton=*** HTTP/1.1" 400 12']


def test_it_leaves_the_query_string_and_referer_out_of_gunicorns_access_log() -> None:
    config = importlib.import_module("config.gunicorn")
    log_format = config.access_log_format
    assert "%(U)s" in log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s"):
        assert atom not in log_format
    link = "/connexion/lien/?jeton=abc"
    atoms = defaultdict(
        lambda: "-",
        {"r": f"GET {link} HTTP/1.1", "U": "/connexion/lien/", "q": "jeton=abc", "f": link},
    )
    assert "abc" not in log_format % atoms
    assert config.accesslog == "-"


def test_it_mails_a_sign_in_link_to_the_port_the_rider_reached(settings: object) -> None:
    # `PORT=8001 make run`: a link to SITE_URL's port 8000 would lead nowhere.
    settings.SITE_URL = "http://localhost:8000"  # type: ignore[attr-defined]
    browser = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1:8001")
    csrf_post(browser, reverse("contest:signin"), {"email": "lea@example.org", "next": "/"})
    deliver_mail()
    link = re.search(r"(http\S+)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    assert link.group(1).startswith("http://127.0.0.1:8001/connexion/lien/?jeton="), link.group(1)
    landed = follow_signin_link(Client(HTTP_HOST="127.0.0.1:8001"), link.group(1))
    assert landed.status_code == 302
