"""Marketing schedules a photo for Instagram from the relay page and finds it in the queue of
posts; a rider claims a hashtag post and marketing confirms it: in Chromium at phone and
desktop sizes, with axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry
from social.models import SocialAccount, SocialPost
from social.services import account_token_set
from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen
from tests.browser.test_jury_chair import log_in

pytestmark = pytest.mark.browser


def test_marketing_schedules_a_photo_and_sees_it_in_the_queue(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    contest: Contest,
    approved: Callable[..., Entry],
    marketing: object,
) -> None:
    entry = approved(seed=1)
    account = SocialAccount(name="Réseau Mistral", facebook_page_id="1", instagram_user_id="2")
    account_token_set(account=account, token="EAAGbrowserTestToken1234")
    log_in(context, live_server, marketing)

    page.goto(live_server.url + reverse("gallery:relay", args=[contest.slug]))
    form = page.get_by_role("group", name=f"Publier sur Facebook ou Instagram · {entry.title}")
    expect(form).to_be_visible()
    assert_fits_the_screen(page, "relay page with the schedule form")
    assert_accessible(page, "relay page with the schedule form")
    form.get_by_label("Réseau").select_option("instagram")
    form.get_by_label("Recadrage").select_option("carre")
    form.get_by_role("button", name="Programmer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Publications sur Facebook et Instagram"
    )
    expect(page.get_by_text("est programmée sur Instagram")).to_be_visible()
    waiting = page.locator("section", has=page.get_by_role("heading", name="En attente"))
    expect(waiting.get_by_text("Programmée", exact=True)).to_be_visible()
    assert_fits_the_screen(page, "queue of posts")
    assert_accessible(page, "queue of posts")
    post = SocialPost.objects.get()
    assert (post.network, post.crop) == ("instagram", "carre")


def test_the_hashtag_pages_are_accessible(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    contest: Contest,
    marketing: object,
    entrant: object,
) -> None:
    from django.utils import timezone

    from social.models import HashtagCandidate, HashtagClaim
    from social.services import candidate_from_token, claim_image_fetch
    from tests.images import photo_bytes
    from tests.social.graph_standin import GraphStandIn

    cdn = GraphStandIn().start()  # Instagram's CDN, for the image fetched at claim time
    candidate = HashtagCandidate.objects.create(
        contest=contest,
        media_id="1801",
        media_type="IMAGE",
        caption="Mon tram du matin #Couvertures2027 " * 8,
        media_url=cdn.cdn_url("1801.jpg", photo_bytes(1080, 1350, seed=3)),
        permalink="https://www.instagram.com/p/1801/",
        taken_at=timezone.now(),
    )
    log_in(context, live_server, marketing)
    page.goto(live_server.url + reverse("social:candidates", args=[contest.slug]))
    link = page.get_by_label("Lien de revendication à mettre en réponse")
    # The token carries the time it was signed: read the page's own, then check what it names.
    prefix = live_server.url + reverse("social:claim", args=[contest.slug, "TOKEN"])
    prefix = prefix.removesuffix("TOKEN/")
    expect(link).to_have_value(re.compile(re.escape(prefix) + r"[^/]+/$"))
    claim_url = link.input_value().removeprefix(live_server.url)
    token = claim_url.rstrip("/").rsplit("/", 1)[1]
    assert candidate_from_token(token=token) == candidate.pk
    assert_fits_the_screen(page, "hashtag candidates")
    assert_accessible(page, "hashtag candidates")

    context.clear_cookies()
    log_in(context, live_server, entrant.user)  # type: ignore[attr-defined]
    page.goto(live_server.url + claim_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Participer avec votre photo Instagram"
    )
    expect(page.get_by_label("Titre")).to_be_visible()
    assert_fits_the_screen(page, "claim page")
    assert_accessible(page, "claim page")

    # The claim names the Instagram account; the page then says what happens next.
    page.get_by_label("Votre nom d’utilisateur Instagram").fill("@Camille.Photo")
    page.get_by_label("Titre").fill("Le tram du matin")
    page.get_by_label("Description").fill("Un tram sous la pluie.")
    page.get_by_label("Thème").select_option(label="Saisons")
    page.get_by_role("button", name="Participer avec cette photo").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Merci ! Votre revendication est enregistrée."
    )
    expect(page.get_by_text("publiée depuis @camille.photo")).to_be_visible()
    expect(page.get_by_text("Récupération de l’image sur Instagram…")).to_be_visible()
    claim = HashtagClaim.objects.get()
    code = f"COVERLINE-{claim.code}"
    expect(page.get_by_text(code, exact=True)).to_be_visible()
    # The worker keeps the image: the page, polling, stops saying it is being fetched.
    assert claim_image_fetch(claim_id=claim.pk) == "awaiting"
    cdn.stop()
    expect(page.get_by_text("Récupération de l’image sur Instagram…")).to_have_count(0)
    expect(
        page.get_by_role("button", name="J’ai ajouté le code : vérifier à nouveau")
    ).to_be_visible()
    assert_fits_the_screen(page, "claim awaiting its code")
    assert_accessible(page, "claim awaiting its code")

    # The community manager checks it from the post's page and confirms.
    context.clear_cookies()
    log_in(context, live_server, marketing)
    page.goto(live_server.url + reverse("social:candidates", args=[contest.slug]))
    expect(page.get_by_text("Revendiquée par @camille.photo")).to_be_visible()
    check = page.get_by_role(
        "link",
        name=f"Vérifier sur Instagram que la légende, ou un commentaire de @camille.photo, "
        f"montre {code}",
    )
    expect(check).to_have_attribute("href", candidate.permalink)
    expect(page.get_by_label("Motif du refus (envoyé à la personne)")).to_be_visible()
    assert_fits_the_screen(page, "hashtag candidates with a claim to check")
    assert_accessible(page, "hashtag candidates with a claim to check")
    page.get_by_role(
        "button",
        name=f"Confirmer : {code} est dans la légende ou dans un commentaire de @camille.photo",
    ).click()
    expect(page.get_by_text("Confirmé : la publication de @camille.photo devient")).to_be_visible()
    expect(page.get_by_text("Vérifiée : la participation est en préparation.")).to_be_visible()
    assert_accessible(page, "hashtag candidates after the confirmation")
