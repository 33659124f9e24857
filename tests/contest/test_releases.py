"""Releases of identifiable people: the rider names the person in their photo from "My
photos", the person (or a parent, for a minor) confirms or refuses by the e-mailed link."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from contest import rights
from contest.models import Contest, Entry, Participant, Release
from moderation.services import entry_mark_identifiable
from notifications.models import OutboxMessage
from tests.http import csrf_post
from tests.mail import UNDO_WINDOW, deliver_mail

pytestmark = pytest.mark.django_db

ADULT = {"name": "Jeanne Martin", "email": "Jeanne@Example.net", "age_bracket": "adult"}
CHILD = {
    "name": "Léo Petit",
    "email": "",
    "age_bracket": "under_15",
    "parent_name": "Anne Petit",
    "parent_email": "anne.petit@example.net",
}


def _marked(entry: Entry, moderator: object) -> Entry:
    return entry_mark_identifiable(
        entry_id=entry.pk,
        moderator=moderator,  # type: ignore[arg-type]
        identifiable=True,
    )


def _request_url(entry: Entry) -> str:
    return reverse("contest:release_request", args=[entry.contest.slug, entry.pk])


def _ask(client: Client, entry: Entry, data: dict[str, str]) -> Any:
    return csrf_post(client, _request_url(entry), data)


def _link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"http://testserver(/autorisation/\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def _answer(link: str, answer: str) -> Any:
    return csrf_post(Client(enforce_csrf_checks=True), link, {"answer": answer})


def test_it_tells_the_rider_once_in_their_language_that_a_release_is_needed(
    approved: Callable[..., Entry], moderator: object, entrant: Participant
) -> None:
    entry = approved(seed=1, title="Le marché")
    _marked(entry, moderator)
    # Like a decision's, the e-mail waits for the undo window.
    assert deliver_mail() == []
    sent = [m for m in deliver_mail(later=UNDO_WINDOW) if m.to == ["camille@example.org"]]
    [message] = [m for m in sent if "autorisation" in m.subject]
    assert message.subject == "Votre photo « Le marché » : une autorisation est nécessaire"
    assert "Un modérateur du concours" in message.body
    assert _request_url(entry) in message.body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "Demander l&#x27;autorisation" in html or "Demander l'autorisation" in html
    # Sent once: a second delivery, and marking again, send nothing more.
    _marked(entry, moderator)
    count = len(mail.outbox)
    deliver_mail(later=UNDO_WINDOW)
    assert len(mail.outbox) == count


def test_it_writes_to_an_english_speaking_rider_in_english(
    approved: Callable[..., Entry], moderator: object, entrant: Participant
) -> None:
    Participant.objects.filter(pk=entrant.pk).update(language="en")
    entry = approved(seed=2, title="The market")
    _marked(entry, moderator)
    [message] = [m for m in deliver_mail(later=UNDO_WINDOW) if "release" in m.subject]
    assert message.subject == "Your photo “The market”: a release is needed"
    assert "Give their name and e-mail address" in message.body


def test_a_mark_cleared_within_the_undo_window_is_never_mailed(
    approved: Callable[..., Entry], moderator: object
) -> None:
    entry = approved(seed=3)
    _marked(entry, moderator)
    entry_mark_identifiable(entry_id=entry.pk, moderator=moderator, identifiable=False)  # type: ignore[arg-type]
    deliver_mail(later=UNDO_WINDOW)
    assert not [m for m in mail.outbox if "autorisation" in m.subject]
    assert not Release.objects.filter(entry=entry).exists()


def test_the_rider_asks_the_person_who_sees_the_photo_and_uses_and_confirms(
    approved: Callable[..., Entry], moderator: object, entrant_client: Client, contest: Contest
) -> None:
    entry = approved(seed=4, title="Le marché")
    _marked(entry, moderator)
    mine = entrant_client.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert "Personne reconnaissable" in mine and _request_url(entry) in mine

    page = entrant_client.get(_request_url(entry))
    assert page.status_code == 200
    assert "Nom de la personne sur la photo" in page.content.decode()
    response = _ask(entrant_client, entry, ADULT)
    assert response.status_code == 302
    release = Release.objects.get(entry=entry)
    assert release.state == Release.State.ASKED
    assert release.depicted_email == "jeanne@example.net"
    assert release.uses == "gallery,social,print"

    [message] = [m for m in deliver_mail() if m.to == ["jeanne@example.net"]]
    assert message.subject == "Une photo de vous : votre accord est demandé"
    assert "Camille D." in message.body and "vous (Jeanne Martin)" in message.body
    link = _link_in(message)

    shown = Client().get(link)
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "Le marché" in text and "<img" in text and "/media/" in text
    for use in (
        "La galerie publique en ligne",
        "Les comptes de réseaux sociaux du réseau",
        "La couverture d’un guide horaire imprimé",
    ):
        assert use in text
    assert "J'accepte" in text and "Je refuse" in text
    # Opening the link decides nothing: mail scanners open links too.
    assert Release.objects.get(pk=release.pk).state == Release.State.ASKED

    done = _answer(link, "confirm")
    assert done.status_code == 200 and "Votre accord est enregistré" in done.content.decode()
    release.refresh_from_db()
    assert release.state == Release.State.CONFIRMED and release.answered_at is not None
    # A second click changes nothing; refusing afterwards is refused.
    assert _answer(link, "confirm").status_code == 200
    assert _answer(link, "refuse").status_code == 400
    assert Release.objects.get(pk=release.pk).state == Release.State.CONFIRMED
    mine = entrant_client.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert "Jeanne Martin a confirmé l'autorisation" in mine


def test_for_a_minor_the_link_goes_to_the_parent_who_confirms(
    approved: Callable[..., Entry], moderator: object, entrant_client: Client
) -> None:
    entry = approved(seed=5)
    _marked(entry, moderator)
    refused = _ask(entrant_client, entry, {**CHILD, "parent_email": "", "parent_name": ""})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Avant 18 ans, indiquez le nom d&#x27;un parent." in text
    assert "Avant 18 ans, indiquez l&#x27;adresse e-mail d&#x27;un parent." in text

    assert _ask(entrant_client, entry, CHILD).status_code == 302
    [message] = [m for m in deliver_mail() if "accord" in m.subject]
    assert message.to == ["anne.petit@example.net"]
    assert message.subject == "Une photo montrant Léo Petit : votre accord est demandé"
    assert "Léo Petit étant mineur" in message.body
    page = Client().get(_link_in(message)).content.decode()
    assert "en tant que parent" in page
    _answer(_link_in(message), "confirm")
    release = Release.objects.get(entry=entry)
    assert release.state == Release.State.CONFIRMED and release.is_minor


def test_asking_again_voids_the_earlier_link(
    approved: Callable[..., Entry], moderator: object, entrant_client: Client
) -> None:
    entry = approved(seed=6)
    _marked(entry, moderator)
    _ask(entrant_client, entry, {**ADULT, "email": "typo@example.net"})
    [first] = [m for m in deliver_mail() if m.to == ["typo@example.net"]]
    _ask(entrant_client, entry, ADULT)
    [second] = [m for m in deliver_mail() if m.to == ["jeanne@example.net"]]
    old = Client().get(_link_in(first))
    assert old.status_code == 400 and "Ce lien ne fonctionne plus" in old.content.decode()
    assert _answer(_link_in(first), "confirm").status_code == 400
    assert _answer(_link_in(second), "confirm").status_code == 200


def test_a_refusal_keeps_it_refused_and_the_same_person_cannot_be_asked_again(
    approved: Callable[..., Entry], moderator: object, entrant_client: Client
) -> None:
    entry = approved(seed=7)
    _marked(entry, moderator)
    _ask(entrant_client, entry, ADULT)
    [message] = [m for m in deliver_mail() if m.to == ["jeanne@example.net"]]
    done = _answer(_link_in(message), "refuse")
    assert "Votre refus est enregistré" in done.content.decode()
    assert Release.objects.get(entry=entry).state == Release.State.REFUSED
    assert _answer(_link_in(message), "confirm").status_code == 400
    again = _ask(entrant_client, entry, ADULT)
    assert again.status_code == 400
    assert "Cette personne a refusé" in again.content.decode()


def test_a_forged_or_mangled_link_shows_a_clear_page(anonymous_client: Client) -> None:
    for token in ("nope", "eyJyIjoxfQ:1abc:def"):
        response = anonymous_client.get(reverse("contest:release_answer", args=[token]))
        assert response.status_code == 400
        assert "Ce lien ne fonctionne plus" in response.content.decode()
        assert (
            _answer(reverse("contest:release_answer", args=[token]), "confirm").status_code == 400
        )


def test_only_the_author_asks_and_only_for_a_marked_photo(
    approved: Callable[..., Entry],
    moderator: object,
    persona_client: Callable[[str], Client],
    other_entrant: Participant,
) -> None:
    entry = approved(seed=8)
    # Not marked: nothing to ask.
    assert persona_client("entrant").get(_request_url(entry)).status_code == 404
    _marked(entry, moderator)
    assert persona_client("other_entrant").get(_request_url(entry)).status_code == 404
    anonymous = persona_client("anonymous").get(_request_url(entry))
    assert anonymous.status_code == 200 and "adresse e-mail" in anonymous.content.decode()
    assert not Release.objects.exclude(state=Release.State.REQUESTED).exists()


def test_a_rider_cannot_flood_a_person_with_links(
    approved: Callable[..., Entry], moderator: object, entrant_client: Client
) -> None:
    entry = approved(seed=9)
    _marked(entry, moderator)
    for _k in range(5):
        assert _ask(entrant_client, entry, ADULT).status_code == 302
    sixth = _ask(entrant_client, entry, ADULT)
    assert sixth.status_code == 400 and "Trop de liens" in sixth.content.decode()
    assert OutboxMessage.objects.filter(template="contest/email/release").count() == 5


def test_withdrawing_the_photo_erases_the_persons_data_and_voids_the_link(
    approved: Callable[..., Entry], moderator: object, entrant_client: Client, entrant: Participant
) -> None:
    entry = approved(seed=10)
    _marked(entry, moderator)
    _ask(entrant_client, entry, CHILD)
    [message] = [m for m in deliver_mail() if m.to == ["anne.petit@example.net"]]
    assert rights.entry_withdraw(entry_id=entry.pk, participant=entrant)
    release = Release.objects.get(entry=entry)
    assert (release.depicted_name, release.depicted_email) == ("", "")
    assert (release.parent_name, release.parent_email) == ("", "")
    assert release.erased_at is not None
    assert Client().get(_link_in(message)).status_code == 400


def test_the_riders_download_lists_the_releases_they_asked_for(
    approved: Callable[..., Entry], moderator: object, entrant_client: Client, entrant: Participant
) -> None:
    entry = approved(seed=11, title="Le marché")
    _marked(entry, moderator)
    _ask(entrant_client, entry, ADULT)
    archive = rights.participant_export(participant=entrant)
    data = json.loads(zipfile.ZipFile(io.BytesIO(archive.read())).read("data.json"))
    [release] = data["releases"]
    assert release["entry"] == "Le marché" and release["state"] == "asked"
    assert release["depicted_name"] == "Jeanne Martin"
    assert release["depicted_email"] == "jeanne@example.net"
    assert release["uses"] == ["gallery", "social", "print"]


def test_the_page_shows_only_the_uses_the_rider_allowed(
    contest: Contest,
    approved: Callable[..., Entry],
    moderator: object,
    entrant_client: Client,
    entrant: Participant,
) -> None:
    entrant.enrollments.update(allows_social=False, allows_print=False)
    entry = approved(seed=12)
    _marked(entry, moderator)
    _ask(entrant_client, entry, ADULT)
    [message] = [m for m in deliver_mail() if m.to == ["jeanne@example.net"]]
    text = Client().get(_link_in(message)).content.decode()
    assert "La galerie publique en ligne" in text
    assert "réseaux sociaux" not in text and "guide horaire" not in text


def test_the_person_reads_the_page_and_mail_in_english_when_the_rider_asked_in_english(
    approved: Callable[..., Entry], moderator: object, entrant: Participant
) -> None:
    entry = approved(seed=13, title="The market")
    _marked(entry, moderator)
    english = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(entrant.user)
    form = english.get(_request_url(entry)).content.decode()
    assert "Name of the person in the photo" in form
    assert csrf_post(english, _request_url(entry), ADULT).status_code == 302
    [message] = [m for m in deliver_mail() if m.to == ["jeanne@example.net"]]
    assert message.subject == "A photo of you: your agreement is asked"
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(_link_in(message)).content.decode()
    assert "A photo in which you can be recognised" in page
    assert "I agree" in page and "I do not agree" in page
