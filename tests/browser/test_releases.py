"""A release, in the browser at both screen sizes: the rider names the person in their
photo from "My photos", and that person confirms on the page their e-mail links to."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant, Release
from moderation.services import entry_mark_identifiable
from tests.browser.conftest import watch_errors
from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen, sign_in
from tests.browser.test_triage import log_in
from tests.mail import deliver_mail

pytestmark = pytest.mark.browser


@pytest.fixture
def page_with_a_refused_form(context: BrowserContext) -> Iterator[Page]:
    """A page whose only console error may be the browser's note of the form's 400 (the
    answer to a form with errors), on the release form only."""
    errors = watch_errors(context)
    yield context.new_page()
    others = [e for e in errors if not ("status of 400" in e and "/mes-photos/" in e)]
    assert not others, "the browser reported errors:\n" + "\n".join(others)


def _link_to(live_server: LiveServer, address: str) -> str:
    """The release link of the last mail to `address`, for this live server."""
    deliver_mail()
    [message] = [m for m in mail.outbox if m.to == [address]][-1:]
    match = re.search(r"https?://[^/\s]+(/autorisation/\S+)", str(message.body))
    assert match, message.body
    return live_server.url + match.group(1)


def test_a_rider_asks_for_a_release_and_the_parent_confirms_it(
    page_with_a_refused_form: Page,
    live_server: LiveServer,
    contest: Contest,
    entrant: Participant,
    approved: Callable[..., Entry],
    moderator: object,
) -> None:
    page = page_with_a_refused_form
    entry = approved(seed=1, title="Le marché du samedi")
    entry_mark_identifiable(entry_id=entry.pk, moderator=moderator, identifiable=True)  # type: ignore[arg-type]
    mine = reverse("contest:my_entries", args=[contest.slug])
    sign_in(page, live_server, entrant, mine)
    expect(page.get_by_text("Un modérateur a vu une personne reconnaissable")).to_be_visible()
    page.get_by_role("link", name="Demander l'autorisation pour « Le marché du samedi »").click()

    expect(page.get_by_role("heading", name="Demander une autorisation")).to_be_visible()
    assert_accessible(page, "release request form")
    assert_fits_the_screen(page, "release request form")
    # A minor without a parent: the form says what is missing, next to the fields.
    page.get_by_label("Nom de la personne sur la photo").fill("Léo Petit")
    page.get_by_label("Moins de 15 ans").check()
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_text("Avant 18 ans, indiquez le nom d'un parent.")).to_be_visible()
    assert_accessible(page, "release request form with errors")
    page.get_by_label("Nom d'un parent").fill("Anne Petit")
    page.get_by_label("Adresse e-mail du parent").fill("anne.petit@example.net")
    page.get_by_role("button", name="Envoyer le lien").click()

    expect(page).to_have_url(live_server.url + mine)
    expect(page.get_by_text("Nous avons envoyé le lien.")).to_be_visible()
    expect(page.get_by_text("En attente de la réponse du parent de Léo Petit.")).to_be_visible()

    # The parent opens the e-mailed link in their own browser.
    page.context.clear_cookies()
    page.goto(_link_to(live_server, "anne.petit@example.net"))
    expect(
        page.get_by_role("heading", name="Une photo sur laquelle Léo Petit est reconnaissable")
    ).to_be_visible()
    photo = page.locator(".release-photo img")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.get_by_text("La galerie publique en ligne")).to_be_visible()
    assert_accessible(page, "release confirmation page")
    assert_fits_the_screen(page, "release confirmation page")
    page.get_by_role("button", name="J'accepte, en tant que parent").click()

    expect(page.get_by_role("heading", name="Merci")).to_be_visible()
    expect(page.get_by_text("Votre accord est enregistré.")).to_be_visible()
    assert_accessible(page, "release confirmed page")
    assert Release.objects.get(entry=entry).state == Release.State.CONFIRMED


def test_a_moderator_marks_an_identifiable_person_with_the_p_key(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    moderator: object,
    ready_entry: Callable[..., Entry],
) -> None:
    entry = ready_entry(seed=2, title="Le marché du samedi")
    log_in(context, live_server, moderator)
    page.goto(live_server.url + reverse("moderation:triage_entry", args=[entry.pk]))
    title = page.locator("#triage-title")
    expect(title).to_have_text("Le marché du samedi")
    title.focus()
    page.keyboard.press("p")
    expect(page.locator("#toast")).to_contain_text("marquée : personne reconnaissable")
    expect(page.get_by_role("button", name="Retirer la marque (P)")).to_be_visible()
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    assert_accessible(page, "triage screen of a marked photo")
    assert_fits_the_screen(page, "triage screen of a marked photo")
    entry.refresh_from_db()
    assert entry.needs_release
    page.keyboard.press("p")
    expect(page.get_by_role("button", name="Marquer : personne reconnaissable (P)")).to_be_visible()
    entry.refresh_from_db()
    assert not entry.needs_release
