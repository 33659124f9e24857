"""The staff sign-in in Chromium at phone and desktop sizes, with axe-core: a moderator types
their password and lands on the moderation queue."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest
from tests.browser.test_entry_flow import assert_accessible, in_french
from tests.conftest import _staff_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def test_a_moderator_signs_in_on_the_coverline_page_and_lands_on_the_queue(
    page: Page, live_server: LiveServer, contest: Contest
) -> None:
    moderator = _staff_in("Moderators", "modo@reseau.example")
    moderator.set_password(PASSWORD)  # type: ignore[attr-defined]
    moderator.save()  # type: ignore[attr-defined]

    page.goto(live_server.url + reverse("admin:login"))
    expect(page).to_have_title(in_french(_("Staff sign-in")) + " · Coverline")
    assert_accessible(page, "staff sign-in page")
    page.get_by_label("Nom d’utilisateur").fill("modo@reseau.example")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name=in_french(_("Sign in"))).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "staff sign-in page with an error")

    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    expect(page).to_have_url(live_server.url + reverse("moderation:queue"))
