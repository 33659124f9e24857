"""Participants' data rights: withdrawing an entry, confirmed by a link e-mailed to them."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest import rights
from contest.models import Contest, Entry, Participant, RightsEvent
from contest.services import PARENT_SALT
from notifications.models import OutboxMessage
from notifications.services import message_queue
from photos.models import Rendition
from photos.services import originals_storage
from tests.factories import ParticipantFactory
from tests.http import csrf_post
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db


def _ask_to_withdraw(client: Client, entry: Entry) -> Any:
    return csrf_post(
        client,
        reverse("contest:entry_withdraw", args=[entry.contest.slug, entry.pk]),
        {},
        page=reverse("contest:my_entries", args=[entry.contest.slug]),
    )


def _emailed_link() -> str:
    deliver_mail()
    match = re.search(r"http://testserver(/\S+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def _files_of(entry: Entry) -> tuple[str, list[str]]:
    renditions = list(Rendition.objects.filter(photo=entry.photo).values_list("file", flat=True))
    return entry.photo.original, renditions


def test_it_withdraws_an_approved_photo_everywhere_once_the_emailed_link_is_confirmed(
    contest: Contest,
    approved: Callable[..., Entry],
    entrant_client: Client,
    persona_client: Callable[[str], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = approved(seed=1, title="Le viaduc au matin")
    original, renditions = _files_of(entry)
    assert renditions and originals_storage().exists(original)
    photo_url = reverse("gallery:photo", args=[entry.photo.public_id])
    gallery_url = reverse("gallery:gallery", args=[contest.slug])
    feed_url = reverse("gallery:feed", args=[contest.slug])
    embed_url = reverse("gallery:embed", args=[contest.slug])
    kit_url = reverse("gallery:social_kit", args=[entry.photo.public_id])
    visitor = Client()
    # Cached now: the withdrawal must make these stale.
    assert "Le viaduc au matin" in visitor.get(gallery_url).content.decode()
    assert "Le viaduc au matin" in visitor.get(embed_url).content.decode()
    assert visitor.get(photo_url).status_code == 200

    asked = _ask_to_withdraw(entrant_client, entry)
    assert asked.status_code == 302
    link = _emailed_link()
    assert mail.outbox[-1].to == ["camille@example.org"]
    assert "Le viaduc au matin" in mail.outbox[-1].body
    # Asking alone, or opening the link (a mail scanner does), changes nothing.
    page = entrant_client.get(link)
    assert page.status_code == 200
    assert "Le viaduc au matin" in page.content.decode()
    assert visitor.get(photo_url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        done = csrf_post(entrant_client, link, {})
    assert done.status_code == 302
    assert done["Location"] == reverse("contest:my_entries", args=[contest.slug])

    assert not originals_storage().exists(original)
    assert not any(default_storage.exists(name) for name in renditions)
    assert visitor.get(photo_url).status_code == 404
    assert "Le viaduc au matin" not in visitor.get(gallery_url).content.decode()
    assert "Le viaduc au matin" not in visitor.get(embed_url).content.decode()
    assert "Le viaduc au matin" not in visitor.get(feed_url).content.decode()
    assert persona_client("marketing").get(kit_url).status_code == 404
    mine = entrant_client.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert "Retirée" in mine
    event = RightsEvent.objects.get()
    assert (event.action, event.participant, event.entry) == (
        RightsEvent.Action.ENTRY_WITHDRAWN,
        entry.participant,
        entry,
    )


def test_it_frees_the_place_of_a_withdrawn_photo_and_cancels_its_pending_mail(
    contest: Contest, ready_entry: Callable[..., Entry], entrant: Participant
) -> None:
    from contest.selectors import photos_remaining

    entry = ready_entry(seed=2)
    before = photos_remaining(contest=contest, participant=entrant)
    # Like a moderator's decision e-mail, still waiting for its undo window.
    message_queue(
        key="decision:test",
        to=entrant.email,
        template="moderation/email/approved",
        context={},
        language="fr",
        about=f"entry:{entry.pk}",
        not_before=timezone.now() + timedelta(minutes=5),
    )
    assert rights.entry_withdraw(entry_id=entry.pk, participant=entrant)
    assert photos_remaining(contest=contest, participant=entrant) == before + 1
    assert OutboxMessage.objects.get(key="decision:test").state != OutboxMessage.State.PENDING
    # A second withdrawal (a link used twice) does nothing more.
    assert not rights.entry_withdraw(entry_id=entry.pk, participant=entrant)
    assert RightsEvent.objects.count() == 1


def test_it_refuses_a_forged_link(contest: Contest, entrant_client: Client) -> None:
    forged = signing.dumps({"p": 1, "a": "withdraw_entry", "e": 1}, salt="another-salt")
    response = entrant_client.get(reverse("contest:rights_confirm", args=[forged]))
    assert response.status_code == 400
    assert "Ce lien ne fonctionne plus" in response.content.decode()


def test_it_refuses_an_expired_link_and_keeps_the_photo(
    approved: Callable[..., Entry],
    entrant_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    entry = approved(seed=3)
    _ask_to_withdraw(entrant_client, entry)
    link = _emailed_link()
    later = time.time() + settings.SESAME_MAX_AGE + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = csrf_post(entrant_client, link, {}, page=reverse("contest:home"))
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.withdrawn_at is None
    assert originals_storage().exists(entry.photo.original)


def test_it_refuses_the_link_in_a_browser_signed_in_as_another_participant(
    approved: Callable[..., Entry], entrant_client: Client, other_entrant: Participant
) -> None:
    entry = approved(seed=4)
    _ask_to_withdraw(entrant_client, entry)
    link = _emailed_link()
    other = Client(enforce_csrf_checks=True)
    other.force_login(other_entrant.user)
    assert other.get(link).status_code == 400
    response = csrf_post(other, link, {}, page=reverse("contest:home"))
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.withdrawn_at is None


def test_it_sends_no_link_to_withdraw_someone_elses_photo(
    contest: Contest,
    approved: Callable[..., Entry],
    other_entrant: Participant,
) -> None:
    entry = approved(seed=5)
    other = Client(enforce_csrf_checks=True)
    other.force_login(other_entrant.user)
    response = _ask_to_withdraw(other, entry)
    assert response.status_code == 302
    deliver_mail()
    assert mail.outbox == []
    page = other.get(response["Location"]).content.decode()
    assert "Cette photo n’est pas à vous" in page


def test_it_lets_the_link_work_signed_out_and_refuses_it_once_used(
    approved: Callable[..., Entry], entrant_client: Client
) -> None:
    entry = approved(seed=6, title="Quai de nuit")
    _ask_to_withdraw(entrant_client, entry)
    link = _emailed_link()
    phone = Client(enforce_csrf_checks=True)
    done = csrf_post(phone, link, {})
    assert done.status_code == 200
    assert "Quai de nuit" in done.content.decode()
    entry.refresh_from_db()
    assert entry.withdrawn_at is not None
    assert csrf_post(phone, link, {}, page=reverse("contest:home")).status_code == 400


def test_it_sends_the_confirmation_even_to_a_rider_who_opted_out_of_optional_mail(
    approved: Callable[..., Entry], entrant_client: Client
) -> None:
    from notifications.kinds import LABELS
    from notifications.models import OptOut

    for kind in LABELS:
        OptOut.objects.create(email="camille@example.org", kind=kind)
    _ask_to_withdraw(entrant_client, approved(seed=7))
    link = _emailed_link()
    assert link.startswith("/mes-donnees/confirmer/")
    # Essential: no way to unsubscribe from the only way to confirm one's own request.
    assert "List-Unsubscribe" not in mail.outbox[-1].extra_headers


# --- withdrawing one use -----------------------------------------------------------------


def _withdraw_use(client: Client, contest: Contest, use: str) -> Any:
    return csrf_post(
        client,
        reverse("contest:use_withdraw", args=[contest.slug, use]),
        {},
        page=reverse("contest:my_entries", args=[contest.slug]),
    )


def test_it_stops_the_social_kit_and_the_relay_at_once_when_social_use_is_withdrawn(
    contest: Contest,
    approved: Callable[..., Entry],
    entrant_client: Client,
    persona_client: Callable[[str], Client],
) -> None:
    entry = approved(seed=8, title="Le marché")
    marketing = persona_client("marketing")
    kit_url = reverse("gallery:social_kit", args=[entry.photo.public_id])
    relay_url = reverse("gallery:relay", args=[contest.slug])
    assert marketing.get(kit_url).status_code == 200
    assert kit_url in marketing.get(relay_url).content.decode()

    response = _withdraw_use(entrant_client, contest, "social")
    assert response.status_code == 302

    assert marketing.get(kit_url).status_code == 404
    assert kit_url not in marketing.get(relay_url).content.decode()
    # Still in the public gallery: only the social use was withdrawn.
    gallery = Client().get(reverse("gallery:gallery", args=[contest.slug])).content.decode()
    assert "Le marché" in gallery
    page = entrant_client.get(response["Location"]).content.decode()
    assert "Les comptes de réseaux sociaux du réseau : non autorisé" in page
    event = RightsEvent.objects.get()
    assert (event.action, event.detail) == (RightsEvent.Action.USE_WITHDRAWN, "social")


def test_it_hides_the_riders_photos_from_the_cached_gallery_when_gallery_use_is_withdrawn(
    contest: Contest, approved: Callable[..., Entry], entrant_client: Client
) -> None:
    entry = approved(seed=9, title="Le tunnel")
    visitor = Client()
    gallery_url = reverse("gallery:gallery", args=[contest.slug])
    assert "Le tunnel" in visitor.get(gallery_url).content.decode()  # cached now

    _withdraw_use(entrant_client, contest, "gallery")

    assert "Le tunnel" not in visitor.get(gallery_url).content.decode()
    photo_url = reverse("gallery:photo", args=[entry.photo.public_id])
    assert visitor.get(photo_url).status_code == 404
    # The files stay: the rider may allow the gallery again by accepting the rules again.
    assert originals_storage().exists(entry.photo.original)


def test_it_refuses_an_unknown_use_with_a_message(contest: Contest, entrant_client: Client) -> None:
    response = _withdraw_use(entrant_client, contest, "billboards")
    assert response.status_code == 302
    page = entrant_client.get(response["Location"]).content.decode()
    assert "Cette demande est inconnue." in page
    assert not RightsEvent.objects.exists()


# --- download my data ----------------------------------------------------------------------


def test_it_gives_the_rider_a_zip_of_everything_held_about_them_and_their_photos(
    contest: Contest,
    approved: Callable[..., Entry],
    entrant: Participant,
    other_entrant: Participant,
    entrant_client: Client,
) -> None:
    from gallery.services import vote_cast
    from moderation.reports import entry_report

    mine = approved(seed=10, title="Mon arrêt")
    theirs = approved(seed=11, title="Leur quai", participant=other_entrant)
    vote_cast(entry=theirs, user=entrant.user, ip_address="198.51.100.7")
    entry_report(
        entry=theirs,
        reason="other",
        message="Le cadrage coupe une plaque.",
        email="Camille@example.org",
        ip_address="198.51.100.7",
    )
    entry_report(
        entry=mine, reason="other", message="Pas de moi.", email="x@example.org", ip_address=None
    )
    rights.enrollment_withdraw_use(contest_id=contest.pk, participant=entrant, use="social")

    response = csrf_post(
        entrant_client, reverse("contest:my_data_download"), {}, page=reverse("contest:my_data")
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["email"] == "camille@example.org"
    assert data["profile"]["credit_name"] == "Camille D."
    assert [c["allows_social"] for c in data["consents"]] == [False]
    assert [h["detail"] for h in data["history"]] == ["social"]
    [entry] = data["entries"]
    assert entry["title"] == "Mon arrêt"
    assert entry["photo"]["public_id"] == str(mine.photo.public_id)
    with originals_storage().open(mine.photo.original) as stored:
        assert archive.read(entry["photo"]["original"]) == stored.read()
    renditions = entry["photo"]["renditions"]
    assert renditions and all(r["file"] in archive.namelist() for r in renditions)
    assert [v["title"] for v in data["votes"]] == ["Leur quai"]
    # Only the reports made with their address, whatever its case.
    assert [r["message"] for r in data["reports"]] == ["Le cadrage coupe une plaque."]
    assert "Leur quai" not in [e["title"] for e in data["entries"]]
    assert RightsEvent.objects.filter(action=RightsEvent.Action.DATA_EXPORTED).count() == 1


def test_it_keeps_the_consents_history_for_the_download(contest: Contest) -> None:
    rider = ParticipantFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rider.user)
    rules = reverse("contest:rules", args=[contest.slug])
    csrf_post(browser, rules, {"accept_rules": "on", "allows_gallery": "on", "allows_social": "on"})
    _withdraw_use(browser, contest, "social")
    csrf_post(browser, rules, {"accept_rules": "on", "allows_gallery": "on", "allows_social": "on"})

    data, _files = rights.participant_data(participant=rider)
    assert [(h["action"], h["detail"]) for h in data["history"]] == [
        ("consent_given", "rules 1; uses: gallery, social"),
        ("use_withdrawn", "social"),
        ("consent_given", "rules 1; uses: gallery, social"),
    ]
    assert [c["allows_social"] for c in data["consents"]] == [True]


def test_it_asks_a_signed_out_visitor_to_sign_in_for_the_download(
    anonymous_client: Client,
) -> None:
    response = anonymous_client.get(reverse("contest:my_data"))
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


# --- delete my account ---------------------------------------------------------------------


def _ask_to_delete(client: Client) -> Any:
    return csrf_post(client, reverse("contest:account_delete"), {}, page=reverse("contest:my_data"))


def test_it_deletes_the_account_once_the_emailed_link_is_confirmed(
    contest: Contest,
    approved: Callable[..., Entry],
    entrant: Participant,
    other_entrant: Participant,
    entrant_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from gallery.models import Vote
    from gallery.services import vote_cast
    from moderation.models import EntryReport
    from moderation.reports import entry_report

    mine = approved(seed=12, title="Ma ligne")
    theirs = approved(seed=13, title="Leur gare", participant=other_entrant)
    vote_cast(entry=theirs, user=entrant.user, ip_address="198.51.100.8")
    entry_report(
        entry=theirs,
        reason="other",
        message="Mon voisin.",
        email="camille@example.org",
        ip_address=None,
    )
    rights.entry_withdraw(entry_id=mine.pk, participant=entrant)  # an earlier audit row
    second = approved(seed=14, title="Mon tram")
    original, renditions = _files_of(second)
    visitor = Client()
    gallery_url = reverse("gallery:gallery", args=[contest.slug])
    assert "Mon tram" in visitor.get(gallery_url).content.decode()  # cached now

    page = entrant_client.get(reverse("contest:my_data")).content.decode()
    assert "une couverture imprimée ne peut pas être effacée" in page
    assert _ask_to_delete(entrant_client).status_code == 302
    link = _emailed_link()
    assert "supprimer le compte de camille@example.org" in entrant_client.get(link).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = csrf_post(entrant_client, link, {})
    assert done.status_code == 200
    assert "Votre compte est supprimé" in done.content.decode()

    assert not originals_storage().exists(original)
    assert not any(default_storage.exists(name) for name in renditions)
    assert visitor.get(reverse("gallery:photo", args=[second.photo.public_id])).status_code == 404
    assert "Mon tram" not in visitor.get(gallery_url).content.decode()
    assert not Vote.objects.exists()
    theirs.refresh_from_db()
    assert theirs.vote_count == 0
    assert EntryReport.objects.get().email == ""
    participant = Participant.objects.select_related("user").get(pk=entrant.pk)
    assert participant.email == ""
    assert (participant.credit_name, participant.enrollments.count()) == ("", 0)
    assert "camille" not in participant.user.username
    assert not participant.user.is_active
    assert set(Entry.objects.filter(participant=participant).values_list("title", flat=True)) == {
        ""
    }
    # The audit keeps one anonymous reference for all of their rows, and nothing else.
    events = RightsEvent.objects.all()
    assert {event.participant_id for event in events} == {None}
    assert len({event.reference for event in events}) == 1
    assert RightsEvent.Action.ACCOUNT_DELETED in {event.action for event in events}
    # Signed out, everywhere: the session no longer works and no link signs in.
    assert entrant_client.get(reverse("contest:my_data")).status_code == 302


def test_it_refuses_an_account_deletion_link_opened_by_another_participant(
    entrant: Participant, entrant_client: Client, other_entrant: Participant
) -> None:
    _ask_to_delete(entrant_client)
    link = _emailed_link()
    other = Client(enforce_csrf_checks=True)
    other.force_login(other_entrant.user)
    assert csrf_post(other, link, {}, page=reverse("contest:home")).status_code == 400
    entrant.user.refresh_from_db()
    assert entrant.user.is_active


def test_it_refuses_an_account_deletion_link_once_used(
    entrant_client: Client,
) -> None:
    _ask_to_delete(entrant_client)
    link = _emailed_link()
    phone = Client(enforce_csrf_checks=True)
    assert csrf_post(phone, link, {}).status_code == 200
    assert csrf_post(phone, link, {}, page=reverse("contest:home")).status_code == 400


# --- a parent withdraws their agreement ----------------------------------------------------


def _child_with_parent_agreement(entrant: Participant) -> str:
    """Makes the entrant a child under 15 whose parent agreed; returns the parent's link."""
    entrant.age_bracket = Participant.AgeBracket.UNDER_15
    entrant.parent_email = "parent@example.org"
    entrant.parent_confirmed_at = timezone.now()
    entrant.save()
    token = signing.dumps(
        {"p": entrant.pk, "e": entrant.parent_email}, salt=PARENT_SALT, compress=True
    )
    return reverse("contest:parent_confirm", args=[token])


def test_it_lets_a_parent_withdraw_their_agreement_by_an_emailed_link(
    contest: Contest,
    approved: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = approved(seed=15, title="Le bus scolaire")
    original = entry.photo.original
    parent_page = _child_with_parent_agreement(entrant)
    parent = Client(enforce_csrf_checks=True)
    assert "Retirer mon accord" in parent.get(parent_page).content.decode()

    response = csrf_post(parent, parent_page.rstrip("/") + "/retirer/", {}, page=parent_page)
    assert response.status_code == 302
    link = _emailed_link()
    assert mail.outbox[-1].to == ["parent@example.org"]
    assert "Retirer mon accord" in parent.get(link).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = csrf_post(parent, link, {})
    assert done.status_code == 200

    entrant.refresh_from_db()
    assert entrant.needs_parent_confirmation
    assert not originals_storage().exists(original)
    photo_url = reverse("gallery:photo", args=[entry.photo.public_id])
    assert Client().get(photo_url).status_code == 404
    assert RightsEvent.objects.filter(
        action=RightsEvent.Action.PARENT_WITHDRAWN, participant=entrant
    ).exists()
    # Used once: the agreement is gone, so is the link.
    assert csrf_post(parent, link, {}, page=reverse("contest:home")).status_code == 400


def test_it_voids_a_parents_withdrawal_link_once_the_child_names_another_parent(
    approved: Callable[..., Entry], entrant: Participant
) -> None:
    entry = approved(seed=16)
    parent_page = _child_with_parent_agreement(entrant)
    parent = Client(enforce_csrf_checks=True)
    csrf_post(parent, parent_page.rstrip("/") + "/retirer/", {}, page=parent_page)
    link = _emailed_link()
    entrant.parent_email = "autre@example.org"
    entrant.save()
    assert csrf_post(parent, link, {}, page=reverse("contest:home")).status_code == 400
    entry.refresh_from_db()
    assert entry.withdrawn_at is None
