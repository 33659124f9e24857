"""Every page a rider or a parent opens fits a 320 px wide phone: nothing scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback
from sesame.utils import get_query_string

from contest.models import Contest, Entry, Participant
from photos.models import Photo
from tests.browser.conftest import PHONE, watch_errors
from tests.browser.test_entry_flow import (
    PhotoFiles,
    add_photos,
    assert_accessible,
    assert_fits_the_screen,
    photo_files,  # noqa: F401 - the fixture
)
from tests.factories import EnrollmentFactory, EntryFactory, ParticipantFactory, UserFactory
from tests.mail import deliver_mail

pytestmark = pytest.mark.browser

NARROW: dict[str, Any] = {**PHONE, "viewport": {"width": 320, "height": 640}}
LONG_NAME = "IMG_20270114_073512_HDR_tramway_ligne_4_arret_Republique_sous_la_neige.jpg"


@pytest.fixture
def narrow(new_context: CreateContextCallback) -> Iterator[Callable[..., Page]]:
    """Opens checked pages at 320 px wide, with or without JavaScript."""
    checks: list[list[str]] = []

    def open_page(*, checked: bool = True, **options: Any) -> Page:
        page = new_context(**NARROW, **options).new_page()
        if checked:
            checks.append(watch_errors(page))
        return page

    yield open_page
    errors = [error for found in checks for error in found]
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


def log_in(context: BrowserContext, live_server: LiveServer, user: object) -> None:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )


def visit(page: Page, url: str, where: str, *, axe: bool = True) -> None:
    page.goto(url)
    assert_fits_the_screen(page, where)
    if axe:  # axe-core runs as a script: not in a page without JavaScript
        assert_accessible(page, where)


def test_no_rider_or_parent_page_is_wider_than_a_320_px_phone(
    narrow: Callable[..., Page],
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    photo_files: PhotoFiles,  # noqa: F811 - the fixture imported above
) -> None:
    site = live_server.url
    slug = contest.slug
    EntryFactory(
        contest=contest,
        participant=entrant,
        title="Le tram sous la neige, ligne 4, arrêt République",
        photo__original_name=LONG_NAME,
        photo__status=Photo.Status.FAILED,
        photo__failure="corrupt",
    )

    visitor = narrow()
    visit(visitor, f"{site}/", "home page")
    visit(visitor, site + reverse("gallery:landing", args=[slug]), "contest landing page")
    visit(visitor, site + reverse("contest:enter", args=[slug]), "sign-in page of a contest")
    visit(visitor, site + reverse("contest:signin"), "sign-in page")
    visitor.fill("#id_email", "alexandre-dumas-de-la-pailleterie@example.org")
    visitor.locator("main button[type=submit]").click()
    expect(visitor.locator("main strong")).to_be_visible()
    assert_fits_the_screen(visitor, "check-your-mail page")
    link = reverse("contest:signin_link") + get_query_string(entrant.user)
    visit(visitor, f"{site}{link}&{urlencode({'suite': '/'})}", "sign-in link page")
    # Answered with 400, which the browser logs as an error: not a checked page.
    void = narrow(checked=False)
    visit(void, site + reverse("contest:signin_link") + "?jeton=x", "void sign-in link page")
    visit(void, site + "/parent/not-a-token/", "void parent link page")

    rider = narrow()
    log_in(rider.context, live_server, entrant.user)
    visit(rider, site + reverse("contest:profile"), "profile page")
    visit(rider, site + reverse("contest:rules", args=[slug]), "rules page")
    visit(rider, site + reverse("contest:upload", args=[slug]), "upload page")
    add_photos(rider, photo_files.small_jpeg, photo_files.heic)
    expect(rider.locator(".photo-slot:visible")).to_have_count(2)
    assert_fits_the_screen(rider, "upload page with photo cards")
    visit(rider, site + reverse("contest:my_entries", args=[slug]), "My photos page")
    expect(rider.locator(".entry").get_by_text(LONG_NAME)).to_be_visible()

    plain = narrow(java_script_enabled=False)
    log_in(plain.context, live_server, entrant.user)
    visit(plain, site + reverse("contest:upload", args=[slug]), "upload page without JS", axe=False)

    full = ParticipantFactory(user=UserFactory(email="plein@example.org"), credit_name="Inès B.")
    EnrollmentFactory(contest=contest, participant=full)
    for _ in range(contest.max_photos_per_participant):
        EntryFactory(contest=contest, participant=full, photo__status=Photo.Status.PROCESSING)
    sent_all = narrow()
    log_in(sent_all.context, live_server, full.user)
    visit(sent_all, site + reverse("contest:upload", args=[slug]), "upload page, all sent")
    assert Entry.objects.filter(participant=full).count() == contest.max_photos_per_participant

    kid = ParticipantFactory(
        credit_name="", age_bracket="", user=UserFactory(email="maximilien.k@example.org")
    )
    child = narrow()
    log_in(child.context, live_server, kid.user)
    enter = reverse("contest:enter", args=[slug])
    visit(child, site + reverse("contest:profile") + f"?next={enter}", "profile page, first")
    child.fill("#id_credit_name", "Maximilien K.")
    child.check("input[name=age_bracket][value=under_15]")
    child.fill("#id_parent_email", "parent-de-maximilien@example.org")
    child.locator("main button[type=submit]").click()
    expect(child).to_have_url(site + enter)
    assert_fits_the_screen(child, "waiting-for-the-parent page")
    assert_accessible(child, "waiting-for-the-parent page")

    (to_parent,) = [m for m in deliver_mail() if m.to == ["parent-de-maximilien@example.org"]]
    parent_link = re.search(r"https?://[^/\s]+(/parent/\S+)", to_parent.body)
    assert parent_link, to_parent.body
    parent = narrow()
    visit(parent, site + parent_link.group(1), "parent's consent page")
    parent.locator("details.parent-rules summary").first.click()
    assert_fits_the_screen(parent, "parent's consent page, rules open")
    parent.get_by_role("button", name=re.compile("J'accepte")).click()
    expect(parent.locator("h1")).to_have_text("Merci")
    assert_fits_the_screen(parent, "parent's thank-you page")
