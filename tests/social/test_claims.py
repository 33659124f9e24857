"""Claims of hashtag posts: Instagram's hashtag search does not say who posted, and the post
shows its author's username to everyone, so a claim names the claimant's Instagram account
and gets a code for them to add to the post's caption; the code is checked (Business
Discovery, or the community manager) before a worker makes the entry from the image kept at
claim time. Nobody gets someone else's post by claiming it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Entry, Participant
from notifications.models import OutboxMessage
from photos.services import originals_storage
from social import services
from social.models import (
    HashtagCandidate,
    HashtagClaim,
    HashtagClaimEvent,
    SocialAccount,
)
from social.services import (
    candidate_claim,
    candidate_claim_token,
    claim_check_ask,
    claim_confirm,
    claim_entry_make,
    claim_image_fetch,
    claim_refuse,
    claim_verify,
    hashtag_import,
)
from tests.http import csrf_post
from tests.images import photo_bytes
from tests.mail import deliver_mail
from tests.races import together
from tests.social.conftest import IG_USER_ID
from tests.social.graph_standin import GraphStandIn

pytestmark = pytest.mark.django_db

Claim = HashtagClaim.State
IMAGE = photo_bytes(1080, 1350, seed=3)
FRESH = photo_bytes(1080, 1080, seed=4)


def _media(graph: GraphStandIn, media_id: str, *, image: bytes = IMAGE) -> dict[str, str]:
    return {
        "id": media_id,
        "caption": f"Mon tram du matin #Couvertures2027 ({media_id})",
        "media_type": "IMAGE",
        "media_url": graph.cdn_url(f"{media_id}.jpg", image),
        "permalink": f"https://www.instagram.com/p/{media_id}/",
        "timestamp": "2026-12-01T08:00:00+0000",
    }


@pytest.fixture
def found(graph: GraphStandIn, account: SocialAccount, contest: Contest) -> HashtagCandidate:
    graph.hashtags["couvertures2027"] = [_media(graph, "1801")]
    assert hashtag_import(contest_id=contest.pk) == 1
    return HashtagCandidate.objects.get()


def _business(graph: GraphStandIn, username: str, *media_ids: str, caption: str = "") -> None:
    """A business account whose media are `media_ids` (with a fresh CDN address each), each
    with `caption` added to its caption."""
    graph.business_accounts[username] = [
        {
            "id": media_id,
            "caption": f"Mon tram du matin #Couvertures2027 {caption}".strip(),
            "media_type": "IMAGE",
            "media_url": graph.cdn_url(f"fresh-{media_id}.jpg", FRESH),
            "permalink": f"https://www.instagram.com/p/{media_id}/",
            "timestamp": "2026-12-01T08:00:00+0000",
        }
        for media_id in media_ids
    ]


def _add_code(graph: GraphStandIn, username: str, media_id: str, text: str) -> None:
    """The author edits the post's caption on Instagram."""
    for media in graph.business_accounts[username]:
        if media["id"] == media_id:
            media["caption"] += f" {text}"


def _fetched(claim: HashtagClaim) -> HashtagClaim:
    """The worker's first job: the image kept while its CDN address works."""
    claim_image_fetch(claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.image_name.startswith("claims/"), claim.reason
    return claim


def _claim_url(contest: Contest, candidate: HashtagCandidate) -> str:
    return reverse(
        "social:claim", args=[contest.slug, candidate_claim_token(candidate_id=candidate.pk)]
    )


def _claim(
    candidate: HashtagCandidate, participant: Participant, handle: str = "camille.photo"
) -> HashtagClaim:
    return candidate_claim(
        candidate_id=candidate.pk,
        participant=participant,
        handle=handle,
        title="Le tram du matin",
        caption="Un tram sous la pluie.",
        theme=candidate.contest.themes.first(),
    )


def _post_claim(client: Client, url: str, contest: Contest, **fields: Any) -> Any:
    data = {
        "handle": "@Camille.Photo",
        "title": "Le tram du matin",
        "caption": "Un tram sous la pluie.",
        "theme": contest.themes.values_list("pk", flat=True).first(),
        **fields,
    }
    return csrf_post(client, url, data)


# --- the claim ---------------------------------------------------------------------------


def test_the_claim_names_the_instagram_account_and_makes_no_entry_yet(
    entrant_client: Client, found: HashtagCandidate, contest: Contest, entrant: Participant
) -> None:
    url = _claim_url(contest, found)
    form = entrant_client.get(url).content.decode()
    assert "Votre nom d’utilisateur Instagram" in form
    response = _post_claim(entrant_client, url, contest)
    assert response.status_code == 302 and response["Location"] == url
    claim = HashtagClaim.objects.get()
    assert (claim.handle, claim.participant, claim.state) == ("camille.photo", entrant, "awaiting")
    found.refresh_from_db()
    assert found.state == HashtagCandidate.State.AWAITING and found.entry is None
    assert not Entry.objects.exists()
    page = entrant_client.get(url).content.decode()
    assert "Merci ! Votre revendication est enregistrée." in page
    assert "publiée depuis @camille.photo" in page
    assert len(claim.code) == 6 and f"COVERLINE-{claim.code}" in page
    assert "Ajoutez ce code à votre publication" in page
    assert "Ajoutez le code n’importe où dans la légende, puis enregistrez." in page
    assert "en commentaire sous la publication, depuis le même compte @camille.photo" in page
    assert "J’ai ajouté le code : vérifier à nouveau" in page
    assert "Vous recevrez un e-mail dès que votre photo participera" in page
    # Each claim has its own code: another post, another code.
    codes = {services._claim_code() for _ in range(50)}
    assert len(codes) == 50 and not set("".join(codes)) & set("01ILOS5")


@pytest.mark.parametrize("handle", ["camille photo", "camille!", "a" * 31, "@"])
def test_it_refuses_a_username_instagram_would_not_allow(
    handle: str, entrant_client: Client, found: HashtagCandidate, contest: Contest
) -> None:
    response = _post_claim(entrant_client, _claim_url(contest, found), contest, handle=handle)
    assert response.status_code == 400
    assert "30 caractères au plus : lettres, chiffres, points" in response.content.decode()
    assert not HashtagClaim.objects.exists()


def test_of_two_claimants_the_second_is_told_the_post_is_claimed(
    entrant_client: Client,
    persona_client: Any,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    other_entrant: Participant,
) -> None:
    url = _claim_url(contest, found)
    other = persona_client("other_entrant")
    other_form = other.get(url)  # both have the form open
    assert other_form.status_code == 200
    assert _post_claim(entrant_client, url, contest).status_code == 302
    late = _post_claim(other, url, contest, handle="noe.l")
    assert "Cette publication Instagram a déjà été revendiquée." in late.content.decode()
    assert list(HashtagClaim.objects.values_list("participant", flat=True)) == [entrant.pk]
    with pytest.raises(services.ClaimRefused):
        _claim(found, other_entrant, "noe.l")
    # And past the candidate's own guard, the database keeps one open claim per post.
    with pytest.raises(IntegrityError), transaction.atomic():
        HashtagClaim.objects.create(candidate=found, participant=other_entrant, handle="noe.l")


# --- automatic verification --------------------------------------------------------------


def test_a_business_account_with_the_post_is_verified_and_the_worker_makes_the_entry(
    graph: GraphStandIn,
    found: HashtagCandidate,
    entrant: Participant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claim = _fetched(_claim(found, entrant))
    _business(graph, "camille.photo", "1799", "1801", caption=claim.display_code)
    assert claim_verify(claim_id=claim.pk) == Claim.VERIFIED
    [call] = graph.calls_to("GET", IG_USER_ID)
    assert call.params["fields"] == (
        "business_discovery.username(camille.photo)"
        "{id,username,media{id,caption,media_type,media_url,permalink,timestamp}}"
    )
    claim.refresh_from_db()
    assert (claim.state, claim.verified_by) == ("verified", "instagram")
    [event] = HashtagClaimEvent.objects.all()
    assert (event.action, event.actor, event.note) == (
        "verified",
        None,
        f"@camille.photo {claim.display_code}",
    )

    monkeypatch.setattr(services, "upload_advice", lambda **kw: ["trop petite pour l’impression"])
    assert claim_entry_make(claim_id=claim.pk) == Claim.ENTERED
    assert claim_entry_make(claim_id=claim.pk) == Claim.ENTERED  # a re-run makes nothing
    entry = Entry.objects.get()
    assert (entry.participant, entry.moderation) == (entrant, Entry.Moderation.PENDING)
    assert entry.title == "Le tram du matin"
    assert entry.photo.original_bytes == len(IMAGE)  # the image kept at claim time
    assert not originals_storage().exists(claim.image_name)  # the entry has its own
    claim.refresh_from_db()
    found.refresh_from_db()
    assert (claim.state, claim.entry, claim.advice, claim.image_name) == (
        "entered",
        entry,
        ["trop petite pour l’impression"],
        "",
    )
    assert (found.state, found.entry) == (HashtagCandidate.State.CLAIMED, entry)


def test_the_claimant_sees_the_entry_and_the_advice_on_the_claim_page(
    graph: GraphStandIn,
    entrant_client: Client,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claim = _fetched(_claim(found, entrant))
    _business(graph, "camille.photo", "1801", caption=f"code : {claim.display_code.lower()}")
    assert claim_verify(claim_id=claim.pk) == Claim.VERIFIED  # in any case
    page = entrant_client.get(_claim_url(contest, found)).content.decode()
    assert "Votre revendication est vérifiée : votre photo est en cours d’enregistrement." in page
    monkeypatch.setattr(services, "upload_advice", lambda **kw: ["trop petite pour l’impression"])
    claim_entry_make(claim_id=claim.pk)
    page = entrant_client.get(_claim_url(contest, found)).content.decode()
    assert "Votre photo « Le tram du matin » participe." in page
    assert "trop petite pour l’impression" in page
    assert reverse("contest:my_entries", args=[contest.slug]) in page


def test_a_business_account_without_the_post_waits_for_the_community_manager(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant
) -> None:
    _business(graph, "camille.photo", "1799")
    claim = _claim(found, entrant)
    assert claim_verify(claim_id=claim.pk) == Claim.AWAITING
    claim.refresh_from_db()
    assert claim.state == "awaiting"
    assert "ne figure pas parmi les dernières publications de @camille.photo" in claim.check_note
    assert claim_entry_make(claim_id=claim.pk) == Claim.AWAITING  # no entry unverified
    assert not Entry.objects.exists()


def test_a_personal_account_waits_for_the_community_manager(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant
) -> None:
    claim = _claim(found, entrant)  # not a business account: the API answers an error
    assert claim_verify(claim_id=claim.pk) == Claim.AWAITING
    claim.refresh_from_db()
    assert "Instagram ne permet pas de vérifier @camille.photo automatiquement" in claim.check_note
    assert not HashtagClaimEvent.objects.exists() and not Entry.objects.exists()


def test_a_transient_api_error_is_raised_for_the_task_to_retry(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant
) -> None:
    claim = _claim(found, entrant)
    _business(graph, "camille.photo", "1801", caption=claim.display_code)
    graph.fail("GET", IG_USER_ID, code=2, message="Service temporarily unavailable", status=503)
    with pytest.raises(services.GraphError):
        claim_verify(claim_id=claim.pk)
    assert HashtagClaim.objects.get().state == "awaiting"
    assert claim_verify(claim_id=claim.pk) == Claim.VERIFIED  # the retry


def test_a_claimant_who_is_not_the_author_gets_no_entry_without_verification(
    graph: GraphStandIn,
    found: HashtagCandidate,
    other_entrant: Participant,
    marketing: Any,
) -> None:
    # The real author (camille.photo, business) posted it; Noé names that account anyway.
    _business(graph, "camille.photo", "1801")
    _business(graph, "noe.l", "1700")
    claim = _claim(found, other_entrant, "noe.l")
    assert claim_verify(claim_id=claim.pk) == Claim.AWAITING
    assert claim_entry_make(claim_id=claim.pk) == Claim.AWAITING
    assert not Entry.objects.exists()
    # The community manager sees whose post it is, and refuses.
    assert claim_refuse(claim_id=claim.pk, user=marketing, reason="Publiée par un autre compte.")
    assert claim_entry_make(claim_id=claim.pk) == Claim.REFUSED
    assert not Entry.objects.exists()
    found.refresh_from_db()
    assert found.state == HashtagCandidate.State.NEW  # open to its real author


# --- the community manager's decisions ---------------------------------------------------


def test_the_candidates_page_lists_claims_awaiting_check_with_the_handle_and_the_post(
    persona_client: Any, found: HashtagCandidate, contest: Contest, entrant: Participant
) -> None:
    claim = _claim(found, entrant)
    claim_verify(claim_id=claim.pk)
    page = persona_client("marketing").get(reverse("social:candidates", args=[contest.slug]))
    text = page.content.decode()
    code = claim.display_code
    assert "Revendiquée par @camille.photo (Camille D.)" in text
    assert (
        f"Vérifier sur Instagram que la légende, ou un commentaire de @camille.photo, montre {code}"
    ) in text
    assert found.permalink in text
    assert (
        f"Confirmer : {code} est dans la légende ou dans un commentaire de @camille.photo" in text
    )
    assert "Le nom d’utilisateur seul ne prouve rien" in text
    assert reverse("social:claim_refuse", args=[contest.slug, claim.pk]) in text
    assert "Instagram ne permet pas de vérifier" in text  # what the automatic check found


def test_the_community_manager_confirms_a_claim_and_it_is_audited(
    persona_client: Any,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    marketing: Any,
) -> None:
    claim = _claim(found, entrant)
    claim_verify(claim_id=claim.pk)
    client = persona_client("marketing")
    url = reverse("social:claim_confirm", args=[contest.slug, claim.pk])
    # Confirmed before the image came: the entry waits for it.
    response = csrf_post(client, url, {}, page=reverse("social:candidates", args=[contest.slug]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.state, claim.verified_by) == ("verified", "staff")
    [event] = HashtagClaimEvent.objects.all()
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "confirm",
        marketing,
        "awaiting",
        "verified",
    )
    assert event.note == f"@camille.photo {claim.display_code}"
    assert claim_entry_make(claim_id=claim.pk) == Claim.VERIFIED and not Entry.objects.exists()
    _fetched(claim)
    assert claim_entry_make(claim_id=claim.pk) == Claim.ENTERED
    assert Entry.objects.get().participant == entrant


def test_of_two_confirmations_at_once_one_decides(
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    marketing: Any,
    persona_client: Any,
) -> None:
    claim = _claim(found, entrant)
    assert claim_confirm(claim_id=claim.pk, user=marketing)
    assert not claim_confirm(claim_id=claim.pk, user=marketing)
    assert not claim_refuse(claim_id=claim.pk, user=marketing, reason="Trop tard.")
    assert HashtagClaimEvent.objects.count() == 1
    client = persona_client("marketing")
    url = reverse("social:claim_confirm", args=[contest.slug, claim.pk])
    candidates = reverse("social:candidates", args=[contest.slug])
    csrf_post(client, url, {}, page=candidates)
    page = client.get(candidates).content.decode()
    assert "Cette revendication a déjà été traitée." in page
    assert HashtagClaimEvent.objects.count() == 1


def test_the_community_manager_refuses_a_claim_with_a_reason_and_the_claimant_is_told(
    persona_client: Any,
    entrant_client: Client,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    marketing: Any,
) -> None:
    claim = _claim(found, entrant)
    client = persona_client("marketing")
    candidates = reverse("social:candidates", args=[contest.slug])
    url = reverse("social:claim_refuse", args=[contest.slug, claim.pk])
    csrf_post(client, url, {"reason": ""}, page=candidates)
    assert "Indiquez un court motif de refus." in client.get(candidates).content.decode()
    assert HashtagClaim.objects.get().state == "awaiting"

    csrf_post(client, url, {"reason": "Publiée par @autre.compte."}, page=candidates)
    claim.refresh_from_db()
    found.refresh_from_db()
    assert (claim.state, claim.reason) == ("refused", "Publiée par @autre.compte.")
    assert found.state == HashtagCandidate.State.NEW
    [event] = HashtagClaimEvent.objects.all()
    assert (event.action, event.actor, event.note) == (
        "refuse",
        marketing,
        "Publiée par @autre.compte.",
    )
    page = entrant_client.get(_claim_url(contest, found)).content.decode()
    assert "Votre revendication a été refusée : Publiée par @autre.compte." in page
    assert "Revendiquer à nouveau cette publication" in page  # the post is open again
    [message] = deliver_mail()
    assert message.to == ["camille@example.org"]
    assert message.subject == "Votre revendication d’une publication Instagram a été refusée"
    assert "Motif : Publiée par @autre.compte." in message.body


def test_the_entry_made_is_mailed_through_the_outbox_once(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant, marketing: Any
) -> None:
    claim = _fetched(_claim(found, entrant))
    claim_confirm(claim_id=claim.pk, user=marketing)
    claim_entry_make(claim_id=claim.pk)
    claim_entry_make(claim_id=claim.pk)
    assert OutboxMessage.objects.filter(template="social/email/claim_entered").count() == 1
    [message] = deliver_mail()
    assert message.to == ["camille@example.org"]
    assert message.subject == "Votre photo Instagram « Le tram du matin » participe"
    assert "participe au concours « Couvertures 2027 »" in message.body
    assert len(mail.outbox) == 1


# --- the proof of control ----------------------------------------------------------------


def test_a_stranger_who_names_the_authors_account_gets_no_entry(
    graph: GraphStandIn,
    persona_client: Any,
    found: HashtagCandidate,
    contest: Contest,
    other_entrant: Participant,
) -> None:
    # camille.photo (business) posted it; Noé reads the username on the post and types it.
    _business(graph, "camille.photo", "1801")
    stranger = persona_client("other_entrant")
    url = _claim_url(contest, found)
    assert _post_claim(stranger, url, contest).status_code == 302
    claim = _fetched(HashtagClaim.objects.get(participant=other_entrant))
    assert claim_verify(claim_id=claim.pk) == Claim.AWAITING
    claim.refresh_from_db()
    assert claim.state == "awaiting" and claim.checked_at is not None
    assert (
        f"La publication est de @camille.photo, mais sa légende ne montre pas encore le code "
        f"{claim.display_code}."
    ) in claim.check_note
    # Asking again changes nothing: Noé cannot edit Camille's caption.
    check = reverse("social:claim_check", args=[contest.slug, url.rstrip("/").rsplit("/", 1)[1]])
    assert csrf_post(stranger, check, {}, page=url).status_code == 302
    assert claim_verify(claim_id=claim.pk) == Claim.AWAITING
    assert claim_entry_make(claim_id=claim.pk) == Claim.AWAITING
    assert not Entry.objects.exists()
    page = stranger.get(url).content.decode()
    assert "pas encore vérifiée" in page


def test_the_author_who_adds_the_code_is_verified_automatically(
    graph: GraphStandIn,
    entrant_client: Client,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from social import tasks

    asked: list[int] = []
    monkeypatch.setattr(tasks.verify_claim, "delay", asked.append)
    _business(graph, "camille.photo", "1801")
    url = _claim_url(contest, found)
    _post_claim(entrant_client, url, contest)
    claim = _fetched(HashtagClaim.objects.get())
    assert claim_verify(claim_id=claim.pk) == Claim.AWAITING  # the code is not there yet

    _add_code(graph, "camille.photo", "1801", claim.display_code)  # edited on Instagram
    check = reverse("social:claim_check", args=[contest.slug, url.rstrip("/").rsplit("/", 1)[1]])
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(entrant_client, check, {}, page=url)
    assert response.status_code == 302 and response["Location"] == url
    assert asked == [claim.pk]  # the check runs again in the worker
    page = entrant_client.get(url).content.decode()
    assert "Vérification en cours… cette page se met à jour d’elle-même." in page
    assert 'hx-trigger="every 2s"' in page
    # A second click within the minute asks nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(entrant_client, check, {}, page=url)
    assert asked == [claim.pk]
    assert "Une vérification a été demandée il y a un instant" in (
        entrant_client.get(url).content.decode()
    )

    assert claim_verify(claim_id=claim.pk) == Claim.VERIFIED
    claim.refresh_from_db()
    assert (claim.state, claim.verified_by) == ("verified", "instagram")
    assert claim_entry_make(claim_id=claim.pk) == Claim.ENTERED
    assert Entry.objects.get().participant == entrant


def test_the_claimant_may_ask_for_the_check_a_limited_number_of_times(
    found: HashtagCandidate, entrant: Participant, other_entrant: Participant
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    claim = _claim(found, entrant)
    assert not claim_check_ask(claim_id=claim.pk, participant=other_entrant)  # not theirs
    assert claim_check_ask(claim_id=claim.pk, participant=entrant)
    assert not claim_check_ask(claim_id=claim.pk, participant=entrant)  # within the minute
    HashtagClaim.objects.filter(pk=claim.pk).update(
        check_asked_at=timezone.now() - timedelta(minutes=2)
    )
    assert claim_check_ask(claim_id=claim.pk, participant=entrant)
    HashtagClaim.objects.filter(pk=claim.pk).update(
        check_asked_at=timezone.now() - timedelta(minutes=2),
        checks_asked=services.CLAIM_CHECKS_MAX,
    )
    assert not claim_check_ask(claim_id=claim.pk, participant=entrant)


def test_the_hourly_job_checks_a_claim_waiting_for_its_code_again(
    found: HashtagCandidate, entrant: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from social import tasks

    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(tasks.verify_claim, "delay", lambda pk: sent.append(("verify", pk)))
    claim = _fetched(_claim(found, entrant))
    HashtagClaim.objects.filter(pk=claim.pk).update(checked_at=timezone.now())
    assert services.claims_requeue() == 0  # just checked
    assert services.claims_requeue(now=timezone.now() + timedelta(hours=1)) == 1
    assert services.claims_requeue(now=timezone.now() + timedelta(days=4)) == 0  # given up
    assert sent == [("verify", claim.pk)]


# --- the image, kept at claim time -------------------------------------------------------


def test_a_claim_confirmed_days_later_is_entered_from_the_image_kept(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant, marketing: Any
) -> None:
    claim = _fetched(_claim(found, entrant))
    with originals_storage().open(claim.image_name, "rb") as kept:
        assert kept.read() == IMAGE
    assert claim_image_fetch(claim_id=claim.pk) == Claim.AWAITING  # fetched once
    assert HashtagClaim.objects.get().image_name == claim.image_name
    graph.images.clear()  # days later: Instagram's CDN address expired
    assert claim_confirm(claim_id=claim.pk, user=marketing)
    assert claim_entry_make(claim_id=claim.pk) == Claim.ENTERED
    assert Entry.objects.get().photo.original_bytes == len(IMAGE)
    assert not originals_storage().exists(claim.image_name)


def test_an_image_gone_at_claim_time_closes_the_claim_and_the_claimant_is_told_at_once(
    graph: GraphStandIn,
    persona_client: Any,
    entrant_client: Client,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
) -> None:
    graph.images.clear()  # the CDN address expired before the claim
    url = _claim_url(contest, found)
    _post_claim(entrant_client, url, contest)
    claim = HashtagClaim.objects.get()
    page = entrant_client.get(url).content.decode()
    assert "Récupération de l’image sur Instagram…" in page
    assert 'hx-select="#claim-page"' in page  # the page updates itself
    assert claim_image_fetch(claim_id=claim.pk) == Claim.UNAVAILABLE
    claim.refresh_from_db()
    assert (claim.state, claim.image_name) == ("unavailable", "")
    assert claim.reason == (
        "L’image n’a pas pu être récupérée sur Instagram (L’image de cette publication "
        "n’est plus disponible). Envoyez plutôt votre photo par la page d’envoi du concours."
    )
    found.refresh_from_db()
    assert found.state == HashtagCandidate.State.NEW
    page = entrant_client.get(url).content.decode()
    assert claim.reason in page and "hx-trigger" not in page
    assert reverse("contest:upload", args=[contest.slug]) in page
    assert "Envoyer ma photo" in page and "Revendiquer à nouveau" not in page
    [message] = deliver_mail()
    assert claim.reason in message.body
    assert claim_entry_make(claim_id=claim.pk) == Claim.UNAVAILABLE
    # Gone from the community manager's list of claims to check.
    text = persona_client("marketing").get(reverse("social:candidates", args=[contest.slug]))
    assert "Revendiquée par" not in text.content.decode()


def test_a_cdn_that_does_not_answer_is_retried_then_closes_the_claim(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant
) -> None:
    claim = _claim(found, entrant)
    # A port nothing listens on: the connection is refused.
    HashtagCandidate.objects.filter(pk=found.pk).update(media_url="http://127.0.0.1:9/a.jpg")
    with pytest.raises(services.ImageFetchTransient):
        claim_image_fetch(claim_id=claim.pk, last_try=False)
    assert HashtagClaim.objects.get().state == "awaiting"
    assert claim_image_fetch(claim_id=claim.pk, last_try=True) == Claim.UNAVAILABLE
    assert "(Instagram n’a pas répondu)" in HashtagClaim.objects.get().reason


def test_an_image_lost_from_storage_fails_the_claim_and_a_retry_is_offered(
    graph: GraphStandIn,
    persona_client: Any,
    entrant_client: Client,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    marketing: Any,
) -> None:
    claim = _fetched(_claim(found, entrant))
    claim_confirm(claim_id=claim.pk, user=marketing)
    originals_storage().delete(claim.image_name)
    assert claim_entry_make(claim_id=claim.pk) == Claim.FAILED
    claim.refresh_from_db()
    assert claim.reason == "L’image récupérée sur Instagram n’est plus conservée."
    client = persona_client("marketing")
    candidates = reverse("social:candidates", args=[contest.slug])
    text = client.get(candidates).content.decode()
    assert "La participation n’a pas pu être créée : L’image récupérée" in text
    mine = entrant_client.get(_claim_url(contest, found)).content.decode()
    assert "mais la photo n’a pas pu être inscrite : L’image récupérée" in mine
    url = reverse("social:claim_retry", args=[contest.slug, claim.pk])
    csrf_post(client, url, {}, page=candidates)
    claim.refresh_from_db()
    assert claim.state == "verified" and claim.reason == ""
    actions = list(HashtagClaimEvent.objects.order_by("id").values_list("action", "actor"))
    assert actions == [("confirm", marketing.pk), ("retry", marketing.pk)]


def test_the_kept_image_is_deleted_when_the_claim_is_refused_and_the_audit_ignores_it(
    found: HashtagCandidate, entrant: Participant, marketing: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from photos.audit import storage_audit

    claim = _fetched(_claim(found, entrant))
    audit = storage_audit(now=timezone.now() + timedelta(days=1))
    assert audit.clean and claim.image_name not in audit.orphan_originals
    assert claim_refuse(claim_id=claim.pk, user=marketing, reason="Pas de code.")
    assert not originals_storage().exists(claim.image_name)
    assert HashtagClaim.objects.get().image_name == ""


def test_a_refused_claimant_claims_the_post_again_with_a_new_code(
    entrant_client: Client,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    marketing: Any,
) -> None:
    url = _claim_url(contest, found)
    _post_claim(entrant_client, url, contest, handle="camille.photos")  # a typo
    first = HashtagClaim.objects.get()
    claim_refuse(claim_id=first.pk, user=marketing, reason="Pas de code sous la publication.")
    page = entrant_client.get(url).content.decode()
    assert "Votre revendication a été refusée : Pas de code sous la publication." in page
    assert "Revendiquer à nouveau cette publication" in page
    response = _post_claim(entrant_client, url, contest)
    assert response.status_code == 302
    again = HashtagClaim.objects.exclude(pk=first.pk).get()
    assert (again.handle, again.state, again.participant) == ("camille.photo", "awaiting", entrant)
    assert again.code != first.code
    page = entrant_client.get(url).content.decode()
    assert again.display_code in page and "Revendiquer à nouveau" not in page


def test_a_contest_rule_refuses_the_claim_and_tells_the_claimant(
    graph: GraphStandIn,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    marketing: Any,
) -> None:
    claim = _fetched(_claim(found, entrant))
    claim_confirm(claim_id=claim.pk, user=marketing)
    Contest.objects.filter(pk=contest.pk).update(status=Contest.Status.JUDGING)
    assert claim_entry_make(claim_id=claim.pk) == Claim.REFUSED
    claim.refresh_from_db()
    assert claim.reason  # the rule's own words
    assert HashtagCandidate.objects.get().state == HashtagCandidate.State.NEW
    assert not Entry.objects.exists()
    assert OutboxMessage.objects.filter(template="social/email/claim_refused").count() == 1
    assert claim.image_name == ""


def test_a_lost_job_is_found_again(
    found: HashtagCandidate, entrant: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from social import tasks

    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(tasks.fetch_claim_image, "delay", lambda pk: sent.append(("fetch", pk)))
    monkeypatch.setattr(tasks.verify_claim, "delay", lambda pk: sent.append(("verify", pk)))
    monkeypatch.setattr(tasks.make_claim_entry, "delay", lambda pk: sent.append(("make", pk)))
    claim = _claim(found, entrant)
    assert services.claims_requeue() == 0  # just made: its job is on its way
    later = timezone.now() + timedelta(hours=2)
    assert services.claims_requeue(now=later) == 1
    assert sent == [("fetch", claim.pk)]
    HashtagClaim.objects.filter(pk=claim.pk).update(
        state="verified", verified_at=timezone.now(), image_name="claims/kept.jpg"
    )
    assert services.claims_requeue(now=later) == 1
    assert sent == [("fetch", claim.pk), ("make", claim.pk)]


def test_the_import_leaves_claimed_posts_alone_and_refreshes_the_others_at_once(
    graph: GraphStandIn,
    found: HashtagCandidate,
    contest: Contest,
    entrant: Participant,
    marketing: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contest.rights import participant_erase

    claim = _fetched(_claim(found, entrant))
    claim_confirm(claim_id=claim.pk, user=marketing)
    assert claim_entry_make(claim_id=claim.pk) == Claim.ENTERED
    participant_erase(participant=entrant)
    assert HashtagCandidate.objects.get().media_url == ""  # the erasure emptied it
    graph.hashtags["couvertures2027"] = [_media(graph, m) for m in ("1801", "1802", "1803")]
    assert hashtag_import(contest_id=contest.pk) == 2
    graph.hashtags["couvertures2027"] = [
        _media(graph, f"{m}-bis") | {"id": m} for m in ("1801", "1802", "1803")
    ]
    with CaptureQueriesContext(connection) as queries:
        assert hashtag_import(contest_id=contest.pk) == 0
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "social_hashtagcandidate"')]
    assert len(updates) == 1  # one UPDATE for the two fresh addresses
    urls = dict(HashtagCandidate.objects.values_list("media_id", "media_url"))
    assert urls["1801"] == ""  # claimed, its author erased: not filled again
    assert urls["1802"].endswith("1802-bis.jpg") and urls["1803"].endswith("1803-bis.jpg")


# --- races at the same instant (PostgreSQL) ----------------------------------------------


def _postgres() -> None:
    from django.db import connection

    from tests.conftest import service_missing

    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_two_claimants_at_the_same_instant_one_claims(
    found: HashtagCandidate, entrant: Participant, other_entrant: Participant
) -> None:
    _postgres()
    outcomes, errors = together(
        lambda: _claim(found, entrant),
        lambda: _claim(found, other_entrant, "noe.l"),
        refusal=services.ClaimRefused,
    )
    assert errors == []
    assert sorted(type(o).__name__ for o in outcomes) == ["ClaimRefused", "HashtagClaim"]
    assert HashtagClaim.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_two_staff_deciding_at_the_same_instant_one_decides(
    found: HashtagCandidate, entrant: Participant, marketing: Any, staff: Any
) -> None:
    _postgres()
    claim = _claim(found, entrant)
    outcomes, errors = together(
        lambda: claim_confirm(claim_id=claim.pk, user=marketing),
        lambda: claim_confirm(claim_id=claim.pk, user=staff),
        lambda: claim_refuse(claim_id=claim.pk, user=staff, reason="Pas de lui."),
        refusal=Exception,
    )
    assert errors == []
    assert sorted(outcomes, key=bool) == [False, False, True]
    assert HashtagClaimEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_the_entry_job_at_the_same_instant_make_one_entry(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant, marketing: Any
) -> None:
    _postgres()
    claim = _fetched(_claim(found, entrant))
    claim_confirm(claim_id=claim.pk, user=marketing)
    outcomes, errors = together(
        lambda: claim_entry_make(claim_id=claim.pk),
        lambda: claim_entry_make(claim_id=claim.pk),
        refusal=services.ClaimRefused,
    )
    assert errors == [] and outcomes == [Claim.ENTERED, Claim.ENTERED]
    assert Entry.objects.count() == 1
    assert OutboxMessage.objects.filter(template="social/email/claim_entered").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_erasure_at_the_same_instant_as_the_entry_job_leaves_no_entry_to_a_closed_claim(
    graph: GraphStandIn, found: HashtagCandidate, entrant: Participant, marketing: Any
) -> None:
    from contest.rights import participant_erase

    _postgres()
    claim = _fetched(_claim(found, entrant))
    kept = claim.image_name
    claim_confirm(claim_id=claim.pk, user=marketing)
    outcomes, errors = together(
        lambda: claim_entry_make(claim_id=claim.pk),
        lambda: participant_erase(participant=entrant),
        refusal=services.ClaimRefused,
    )
    assert errors == []
    claim.refresh_from_db()
    if claim.state == Claim.ENTERED:  # the job finished first: the entry went with the account
        assert outcomes[0] == Claim.ENTERED and Entry.objects.count() == 1
    else:  # the erasure closed it first: the job made nothing
        assert claim.state == Claim.REFUSED and not Entry.objects.exists()
    assert not originals_storage().exists(kept)


def test_the_claims_are_in_the_download_and_erased_with_the_account(
    found: HashtagCandidate, entrant: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    from contest.rights import participant_data, participant_erase

    claim = _fetched(_claim(found, entrant))
    data, _files = participant_data(participant=entrant)
    [exported] = data["instagram_claims"]
    assert (exported["instagram_username"], exported["state"]) == ("camille.photo", "awaiting")
    with django_capture_on_commit_callbacks(execute=True):
        participant_erase(participant=entrant)
    assert not originals_storage().exists(claim.image_name)  # the kept image too
    claim.refresh_from_db()
    assert (claim.handle, claim.title, claim.state, claim.image_name) == ("", "", "refused", "")
    assert HashtagCandidate.objects.get().state == HashtagCandidate.State.NEW
    assert not OutboxMessage.objects.filter(template="social/email/claim_refused").exists()


@pytest.mark.django_db
def test_it_tells_the_claimant_the_image_is_coming_then_that_their_check_is_running(
    found: HashtagCandidate, entrant: Participant
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from social.selectors import claim_progress

    claim = _claim(found, entrant)
    now = timezone.now()
    assert claim_progress(claim=claim, now=now).fetching
    # A worker that never came: the page stops reloading itself after a while.
    assert not claim_progress(claim=claim, now=now + timedelta(minutes=6)).fetching

    claim = _fetched(claim)
    assert not claim_progress(claim=claim, now=now).fetching
    assert not claim_progress(claim=claim, now=now).checking
    claim.check_asked_at = now
    assert claim_progress(claim=claim, now=now).checking
    claim.checked_at = now + timedelta(seconds=5)  # the check ran
    assert not claim_progress(claim=claim, now=now + timedelta(seconds=6)).checking
