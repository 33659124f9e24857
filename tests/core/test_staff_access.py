"""Staff access: the password login locks out brute force, and a sign-in link never opens
staff pages (moderation, relay, admin)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from sesame.utils import get_query_string, get_user

from contest.models import Contest
from tests.factories import UserFactory
from tests.http import csrf_post, follow_signin_link

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


def _staff_with_password(email: str) -> User:
    user: User = UserFactory(email=email, is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _password_login(client: Client, username: str, password: str, next_url: str = "") -> Any:
    """Signs in through the staff login page, as a person would."""
    data = {"username": username, "password": password, "next": next_url or reverse("admin:index")}
    return csrf_post(client, reverse("admin:login"), data)


def _cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client: Client, username: str, times: int) -> Any:
    response = None
    for _ in range(times):
        response = _password_login(client, username, "not-the-password")
    return response


# --- brute force on the staff login ------------------------------------------------------


def test_it_refuses_even_the_right_password_after_too_many_wrong_ones() -> None:
    staff = _staff_with_password("chef@reseau.example")
    attacker = Client(enforce_csrf_checks=True, REMOTE_ADDR=ATTACKER)
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _password_login(attacker, staff.username, "wrong").status_code == 200

    locked = _password_login(attacker, staff.username, "wrong")
    assert locked.status_code == 429
    response = _password_login(attacker, staff.username, PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(attacker)
    page = response.content.decode()
    assert f"La connexion est suspendue après {limit} tentatives manquées" in page
    assert f"Vous pourrez réessayer dans {_cool_off_minutes()} minutes" in page
    assert 'class="site-header"' in page  # the site's own page, not a bare text


def test_it_shows_the_lockout_page_in_english_too() -> None:
    staff = _staff_with_password("chef@reseau.example")
    attacker = Client(enforce_csrf_checks=True, REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en")
    response = _fail(attacker, staff.username, settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429
    page = response.content.decode()
    assert f"Signing in is paused after {settings.AXES_FAILURE_LIMIT} failed attempts" in page
    assert f"You can try again in {_cool_off_minutes()} minutes" in page


def test_it_locks_the_account_from_every_address() -> None:
    # A botnet tries one account from many addresses: the account itself is locked.
    staff = _staff_with_password("chef@reseau.example")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail(
            Client(enforce_csrf_checks=True, REMOTE_ADDR=f"203.0.113.{n + 10}"), staff.username, 1
        )

    office = Client(enforce_csrf_checks=True, REMOTE_ADDR=OFFICE)
    assert _password_login(office, staff.username, PASSWORD).status_code == 429
    assert not _signed_in(office)


def test_it_locks_an_address_that_tries_many_accounts() -> None:
    # One address sprays a password over many accounts: the address is locked.
    staff = _staff_with_password("chef@reseau.example")
    attacker = Client(enforce_csrf_checks=True, REMOTE_ADDR=ATTACKER)
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail(attacker, f"guess{n}@reseau.example", 1)

    assert _password_login(attacker, staff.username, PASSWORD).status_code == 429
    office = Client(enforce_csrf_checks=True, REMOTE_ADDR=OFFICE)
    assert _password_login(office, staff.username, PASSWORD).status_code == 302
    assert _signed_in(office)


def test_it_leaves_other_accounts_at_other_addresses_alone() -> None:
    victim = _staff_with_password("chef@reseau.example")
    colleague = _staff_with_password("collegue@reseau.example")
    _fail(Client(enforce_csrf_checks=True, REMOTE_ADDR=ATTACKER), victim.username, 30)

    office = Client(enforce_csrf_checks=True, REMOTE_ADDR=OFFICE)
    response = _password_login(office, colleague.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert _signed_in(office)


def test_it_opens_again_after_the_cool_off(monkeypatch: pytest.MonkeyPatch) -> None:
    staff = _staff_with_password("chef@reseau.example")
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ATTACKER)
    assert _fail(client, staff.username, settings.AXES_FAILURE_LIMIT).status_code == 429

    # The counts live in the cache with the cool-off as their lifetime: move its clock on.
    import django.core.cache.backends.locmem as locmem

    later = locmem.time.time() + settings.AXES_COOLOFF_TIME.total_seconds() + 1
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    assert _password_login(client, staff.username, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_it_lets_an_administrator_unlock_an_account_at_once() -> None:
    staff = _staff_with_password("chef@reseau.example")
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ATTACKER)
    _fail(client, staff.username, settings.AXES_FAILURE_LIMIT)

    call_command("axes_reset_username", staff.username, stdout=None)
    call_command("axes_reset_ip", ATTACKER, stdout=None)
    assert _password_login(client, staff.username, PASSWORD).status_code == 302


def test_it_does_not_count_sign_in_links_as_password_failures(contest: Contest) -> None:
    # Expired links opened in an office must not lock the staff out of their password login.
    staff = _staff_with_password("chef@reseau.example")
    office = Client(enforce_csrf_checks=True, REMOTE_ADDR=OFFICE)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = csrf_post(office, reverse("contest:signin_link"), {"jeton": "forged"})
        assert response.status_code == 400
        # As sesame.utils.get_user(request) checks a link's token: with the request.
        link = RequestFactory().get("/connexion/lien/?jeton=forged", REMOTE_ADDR=OFFICE)
        assert get_user(link) is None
    assert _password_login(office, staff.username, PASSWORD).status_code == 302


# --- where the admin lives ---------------------------------------------------------------


def test_it_serves_the_admin_at_its_own_path_only() -> None:
    staff = _staff_with_password("chef@reseau.example")
    client = Client(enforce_csrf_checks=True)
    assert reverse("admin:index") == f"/{settings.ADMIN_URL}"
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    assert client.get(f"/{settings.ADMIN_URL}login/").status_code == 200

    _password_login(client, staff.username, PASSWORD)
    assert client.get(f"/{settings.ADMIN_URL}").status_code == 200
    assert client.get("/admin/").status_code == 404


# --- a sign-in link is not a staff login -------------------------------------------------


def test_it_asks_staff_signed_in_by_link_for_their_password(
    contest: Contest, moderator: User, marketing: User
) -> None:
    # A moderator who also relays for marketing, whose username is their e-mail.
    moderator.groups.add(*marketing.groups.all())
    moderator.set_password(PASSWORD)
    moderator.save()
    staff_pages = [
        reverse("moderation:queue"),
        reverse("gallery:relay", args=[contest.slug]),
        reverse("admin:index"),
    ]
    client = Client(enforce_csrf_checks=True)
    landed = follow_signin_link(
        client, reverse("contest:signin_link") + get_query_string(moderator)
    )
    assert landed.status_code == 302
    assert client.session["_auth_user_id"] == str(moderator.pk)  # signed in, as a rider is

    for url in staff_pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login") + "?next="), url
    assert client.get(reverse("admin:login")).status_code == 200  # the form, not a redirect

    assert _password_login(client, moderator.username, PASSWORD).status_code == 302
    for url in staff_pages:
        assert client.get(url).status_code == 200, url


def test_it_takes_staff_rights_back_when_a_link_is_opened_after_the_password(
    contest: Contest, staff: User
) -> None:
    staff.set_password(PASSWORD)
    staff.save()
    client = Client(enforce_csrf_checks=True)
    _password_login(client, staff.username, PASSWORD)
    assert client.get(reverse("moderation:queue")).status_code == 200

    staff.refresh_from_db()  # a link signs the last login, which the password login moved
    assert follow_signin_link(client, reverse("contest:signin_link") + get_query_string(staff))
    response = client.get(reverse("moderation:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:index")).status_code == 302
