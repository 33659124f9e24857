"""What config/settings.py makes of the environment: HTTPS, cookies, mail and database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend
from django.test import Client
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parents[2]


def _settings_under(env: dict[str, str], *names: str) -> dict[str, Any]:
    """Loads config/settings.py in a fresh process with only `env` set; the named values."""
    script = (
        "import json, sys, config.settings as s; "
        "print(json.dumps({n: getattr(s, n, None) for n in sys.argv[1:]}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *names],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "tests-only", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


def _settings_error(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "tests-only", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    return result.stderr


def test_it_gives_up_on_a_stalled_mail_server_after_20_seconds() -> None:
    assert django_settings.EMAIL_TIMEOUT == 20
    assert EmailBackend().timeout == 20
    smtp = mail.get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert isinstance(smtp, EmailBackend)
    assert smtp.timeout == 20


def test_it_takes_the_mail_timeout_from_the_environment_beside_the_email_url() -> None:
    values = _settings_under(
        {"EMAIL_URL": "smtp+tls://user:pw@smtp.example.org:587", "EMAIL_TIMEOUT": "5"},
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_TIMEOUT",
    )
    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_TIMEOUT": 5,
    }


def test_it_checks_a_kept_postgresql_connection_before_reusing_it() -> None:
    values = _settings_under(
        {"DATABASE_URL": "postgres://coverline:pw@127.0.0.1:5432/coverline"}, "DATABASES"
    )
    database = values["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_it_forces_https_in_production_and_not_in_the_dev_run() -> None:
    names = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS")
    assert _settings_under({"DEBUG": "0"}, *names) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    }
    assert _settings_under({"DEBUG": "1"}, *names) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
    }


@pytest.mark.django_db
def test_it_tells_browsers_to_come_back_over_https_only() -> None:
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_it_sets_the_language_cookie_for_https_same_site_and_out_of_scripts_reach() -> None:
    response = Client().post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies[django_settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUSTED_PROXY_HOPS": "1", "TRUSTED_PROXIES": "10.0.0.0/8"}, "not both"),
        ({"TRUSTED_PROXY_HOPS": "-1"}, "0 or more"),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.300"}, "'10.0.0.300'"),
    ],
)
def test_it_refuses_to_start_with_contradictory_or_mistyped_proxy_settings(
    env: dict[str, str], message: str
) -> None:
    assert message in _settings_error(env)
