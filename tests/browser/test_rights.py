"""A rider withdraws a photo from "My photos", confirming by the e-mailed link."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from photos.services import originals_storage
from tests.browser.test_entry_flow import (
    assert_accessible,
    assert_fits_the_screen,
    sign_in,
    signin_link,
)

pytestmark = pytest.mark.browser


def test_a_rider_withdraws_a_photo_and_confirms_by_the_emailed_link(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    approved: Callable[..., Entry],
) -> None:
    entry = approved(seed=1, title="Le pont au matin")
    mine = reverse("contest:my_entries", args=[contest.slug])
    sign_in(page, live_server, entrant, mine)
    assert_accessible(page, "rider's photos page")
    assert_fits_the_screen(page, "rider's photos page")

    page.get_by_role("button", name="Retirer « Le pont au matin »").click()
    expect(page.get_by_text("Nous vous avons envoyé un e-mail")).to_be_visible()

    page.goto(signin_link(live_server))
    expect(page.get_by_role("heading", name="Retirer ma photo")).to_be_visible()
    assert_accessible(page, "withdrawal confirmation page")
    assert_fits_the_screen(page, "withdrawal confirmation page")
    page.get_by_role("button", name="Retirer ma photo définitivement").click()

    expect(page).to_have_url(live_server.url + mine)
    expect(page.get_by_text("« Le pont au matin » est retirée")).to_be_visible()
    expect(page.locator(".entry .badge")).to_have_text("Retirée")
    expect(page.get_by_role("button", name="Retirer « Le pont au matin »")).to_have_count(0)
    assert_accessible(page, "rider's photos page after the withdrawal")
    assert not originals_storage().exists(entry.photo.original)
    # Asked outside the browser, whose console would rightly report the 404.
    assert Client().get(reverse("gallery:photo", args=[entry.photo.public_id])).status_code == 404


def test_a_rider_asks_to_delete_their_account_and_reads_what_it_removes(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    approved: Callable[..., Entry],
) -> None:
    approved(seed=2, title="La gare")
    mine = reverse("contest:my_entries", args=[contest.slug])
    sign_in(page, live_server, entrant, mine)
    page.get_by_role("link", name="Mes données : les télécharger ou supprimer mon compte").click()
    expect(page.get_by_role("heading", name="Mes données", exact=True)).to_be_visible()
    expect(page.get_by_text("une couverture imprimée ne peut pas être effacée")).to_be_visible()
    assert_accessible(page, "rider's data page")
    assert_fits_the_screen(page, "rider's data page")
    page.get_by_role("button", name="Supprimer mon compte").click()
    expect(page.get_by_text("Nous vous avons envoyé un e-mail")).to_be_visible()

    page.goto(signin_link(live_server))
    expect(page.get_by_role("heading", name="Supprimer mon compte")).to_be_visible()
    assert_accessible(page, "account deletion confirmation page")
    page.get_by_role("button", name="Supprimer mon compte définitivement").click()
    expect(page.get_by_text("Votre compte est supprimé")).to_be_visible()
    assert_accessible(page, "account deleted page")
    entrant.user.refresh_from_db()
    assert not entrant.user.is_active
