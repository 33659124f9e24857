"""The staff sign-in: Coverline's own page, in French and English, that sends each role to its
page (a safe `next` first), the admin's login being the same page with the same lockout."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from contest.models import Contest
from jury.models import Juror
from tests.conftest import _staff_in
from tests.factories import ContestFactory, UserFactory
from tests.http import csrf_post

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _with_password(user: Any) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user  # type: ignore[no-any-return]


def _sign_in(user: User, next_url: str | None = None, **client_options: Any) -> Any:
    client = Client(enforce_csrf_checks=True, **client_options)
    data = {"username": user.username, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return csrf_post(client, reverse("admin:login"), data)


def test_it_shows_staff_a_coverline_sign_in_page_in_french_and_in_english() -> None:
    french = Client().get(reverse("admin:login")).content.decode()
    assert "<title>Connexion de l'équipe · Coverline</title>" in french
    assert 'class="site-header"' in french
    assert "Django" not in french
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("admin:login")).content.decode()
    assert "<h1>Staff sign-in</h1>" in english


def test_it_tells_a_wrong_password_in_the_page_and_keeps_the_form() -> None:
    moderator = _with_password(_staff_in("Moderators", "modo@reseau.example"))
    client = Client(enforce_csrf_checks=True)
    response = csrf_post(
        client, reverse("admin:login"), {"username": moderator.username, "password": "non"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and "mot de passe" in page
    assert "_auth_user_id" not in client.session


def test_it_sends_a_moderator_to_the_moderation_queue(contest: Contest) -> None:
    moderator = _with_password(_staff_in("Moderators", "modo@reseau.example"))
    response = _sign_in(moderator)
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:queue")


def test_it_sends_the_jury_chair_to_the_chair_page_of_the_running_contest(
    contest: Contest,
) -> None:
    ContestFactory(status=Contest.Status.ARCHIVED)
    ContestFactory(status=Contest.Status.DRAFT)
    chair = _with_password(_staff_in("Jury chair", "presidente@reseau.example"))
    assert _sign_in(chair)["Location"] == reverse("jury:chair", args=[contest.slug])


def test_it_lists_the_chair_pages_when_several_contests_run(contest: Contest) -> None:
    other = ContestFactory(title="Été 2027", status=Contest.Status.JUDGING)
    chair = _with_password(_staff_in("Jury chair", "presidente@reseau.example"))
    client = Client(enforce_csrf_checks=True)
    response = csrf_post(
        client, reverse("admin:login"), {"username": chair.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("staff_home")
    page = client.get(response["Location"]).content.decode()
    assert reverse("jury:chair", args=[contest.slug]) in page
    assert reverse("jury:chair", args=[other.slug]) in page
    assert "Été 2027" in page


def test_it_sends_a_juror_with_a_password_to_their_photos(contest: Contest) -> None:
    juror = _with_password(_staff_in("Jury", "jury@reseau.example"))
    Juror.objects.create(contest=contest, user=juror, alias="J1")
    assert _sign_in(juror)["Location"] == reverse("jury:home", args=[contest.slug])


def test_it_shows_marketing_the_relay_covers_and_results_of_the_contest(
    contest: Contest,
) -> None:
    marketing = _with_password(_staff_in("Marketing", "marketing@reseau.example"))
    client = Client(enforce_csrf_checks=True)
    response = csrf_post(
        client, reverse("admin:login"), {"username": marketing.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("staff_home")
    page = client.get(response["Location"])
    assert page.status_code == 200
    links = page.content.decode()
    for name in ("gallery:relay", "covers:overview", "jury:results"):
        assert f'href="{reverse(name, args=[contest.slug])}"' in links, name


def test_it_sends_a_superuser_to_the_admin(contest: Contest) -> None:
    admin = _with_password(
        UserFactory(email="admin@reseau.example", is_staff=True, is_superuser=True)
    )
    assert _sign_in(admin)["Location"] == reverse("admin:index")


def test_it_follows_a_safe_next_and_not_one_to_another_site(contest: Contest) -> None:
    moderator = _with_password(_staff_in("Moderators", "modo@reseau.example"))
    audit = reverse("moderation:audit_csv")
    assert _sign_in(moderator, next_url=audit)["Location"] == audit
    outside = _sign_in(moderator, next_url="https://evil.example/moderation/")
    assert outside["Location"] == reverse("moderation:queue")


def test_it_sends_staff_already_signed_in_straight_to_their_page(contest: Contest) -> None:
    moderator = _with_password(_staff_in("Moderators", "modo@reseau.example"))
    client = Client(enforce_csrf_checks=True)
    csrf_post(
        client, reverse("admin:login"), {"username": moderator.username, "password": PASSWORD}
    )
    again = client.get(reverse("admin:login"))
    assert again.status_code == 302
    assert again["Location"] == reverse("moderation:queue")


def test_it_asks_anyone_not_signed_in_for_the_password_before_the_list_of_pages() -> None:
    response = Client().get(reverse("staff_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login") + "?next=")


def test_it_tells_staff_without_a_role_whom_to_ask(contest: Contest) -> None:
    nobody = _with_password(UserFactory(email="stagiaire@reseau.example", is_staff=True))
    client = Client(enforce_csrf_checks=True)
    response = csrf_post(
        client, reverse("admin:login"), {"username": nobody.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("staff_home")
    assert "demandez à un administrateur" in client.get(reverse("staff_home")).content.decode()


def test_it_locks_the_coverline_sign_in_page_after_too_many_wrong_passwords(
    contest: Contest,
) -> None:
    moderator = _with_password(_staff_in("Moderators", "modo@reseau.example"))
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = csrf_post(
            client, reverse("admin:login"), {"username": moderator.username, "password": "non"}
        )
    assert last.status_code == 429
    assert _sign_in(moderator, REMOTE_ADDR="203.0.113.7").status_code == 429
    # The right password from the office: the account is locked too.
    assert _sign_in(moderator, REMOTE_ADDR="198.51.100.20").status_code == 429
