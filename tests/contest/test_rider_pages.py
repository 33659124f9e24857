"""The rider's and the parent's pages through the Django client: upload form, header, consent."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Entry, Participant
from tests.factories import ContestFactory, EnrollmentFactory, ParticipantFactory, UserFactory
from tests.http import csrf_post
from tests.images import upload
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db


def _text(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def _management(total: int) -> dict[str, str]:
    return {
        "photos-TOTAL_FORMS": str(total),
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "1",
        "photos-MAX_NUM_FORMS": str(total),
    }


def test_it_takes_a_photo_from_any_block_the_first_one_left_empty(
    entrant_client: Client, entrant: Participant, contest: Contest
) -> None:
    # With JavaScript, a rider who removes the first card sends the second block alone.
    theme = contest.themes.first()
    assert theme is not None
    data = {
        **_management(3),
        "photos-1-photo": upload("IMG_7.JPG", seed=7),
        "photos-1-title": "Quai",
        "photos-1-caption": "Le quai au matin.",
        "photos-1-theme": str(theme.pk),
    }
    response = csrf_post(entrant_client, reverse("contest:upload", args=[contest.slug]), data)
    assert response.status_code == 302
    assert Entry.objects.get(participant=entrant).title == "Quai"


def test_it_asks_for_a_photo_when_the_form_is_sent_empty(
    entrant_client: Client, contest: Contest
) -> None:
    response = csrf_post(
        entrant_client, reverse("contest:upload", args=[contest.slug]), _management(3)
    )
    assert response.status_code == 400
    assert "Choisissez au moins une photo." in _text(response)
    assert not Entry.objects.exists()


def test_it_shows_one_required_block_and_optional_ones_without_javascript(
    entrant_client: Client, contest: Contest
) -> None:
    page = _text(entrant_client.get(reverse("contest:upload", args=[contest.slug])))
    slots = re.findall(r'<fieldset class="photo-slot card([^"]*)"', page)
    assert slots == ["", " slot-optional", " slot-optional"]
    picker = re.search(r'<input type="file" id="photo-picker"[^>]*>', page)
    assert picker, page
    # Several photos at once, from the camera or the library; never posted itself.
    assert "multiple" in picker.group(0)
    assert 'accept="image/*' in picker.group(0)
    assert "name=" not in picker.group(0)
    assert "Ajouter des photos" in page


def test_it_links_the_header_to_my_photos_and_my_profile_once_signed_in(
    entrant_client: Client, contest: Contest, anonymous_client: Client
) -> None:
    my_entries = reverse("contest:my_entries", args=[contest.slug])
    profile = reverse("contest:profile")
    on_a_contest_page = _text(entrant_client.get(reverse("contest:rules", args=[contest.slug])))
    assert f'href="{my_entries}"' in on_a_contest_page
    assert f'href="{profile}"' in on_a_contest_page

    elsewhere = _text(entrant_client.get(reverse("contest:profile")))
    assert f'href="{reverse("contest:my_photos")}"' in elsewhere
    assert entrant_client.get(reverse("contest:my_photos"))["Location"] == my_entries

    anonymous = _text(anonymous_client.get(reverse("contest:home")))
    assert f'href="{profile}"' not in anonymous
    assert "Mes photos" not in anonymous


def test_it_leads_my_photos_to_the_contest_entered_last(contest: Contest) -> None:
    rider = ParticipantFactory()
    later = ContestFactory(slug="ete-2027")
    EnrollmentFactory(contest=contest, participant=rider)
    EnrollmentFactory(contest=later, participant=rider)
    client = Client()
    client.force_login(rider.user)
    response = client.get(reverse("contest:my_photos"))
    assert response["Location"] == reverse("contest:my_entries", args=[later.slug])

    newcomer = Client()
    newcomer.force_login(ParticipantFactory().user)
    assert newcomer.get(reverse("contest:my_photos"))["Location"] == reverse("contest:home")


def test_it_shows_the_parent_what_they_consent_to_before_the_button(contest: Contest) -> None:
    contest.asks_social_use = False
    contest.rules_text = "Article 1. Le concours est gratuit."
    contest.save()
    kid = ParticipantFactory(credit_name="", age_bracket="", user=UserFactory())
    child = Client(enforce_csrf_checks=True)
    child.force_login(kid.user)
    csrf_post(
        child,
        reverse("contest:profile"),
        {"credit_name": "Zoé R.", "age_bracket": "under_15", "parent_email": "p@example.org"},
    )
    deliver_mail()
    link = re.search(r"https?://[^/\s]+(/parent/\S+)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body

    page = _text(Client().get(link.group(1)))
    main = page[page.index("<main") :]
    before_button = main[: main.index('<button type="submit"')]
    assert contest.title in before_button
    assert "« Zoé R. »" in before_button
    assert "dans la galerie publique en ligne" in before_button
    assert "en couverture d'une fiche horaire imprimée" in before_button
    assert "réseaux sociaux" not in before_button  # this contest does not ask for it
    assert "Article 1. Le concours est gratuit." in before_button


def test_it_leads_signed_in_staff_back_to_their_pages_not_to_photos_they_do_not_have(
    client: Client, moderator: object, contest: Contest
) -> None:
    client.force_login(moderator)  # type: ignore[arg-type]
    page = _text(client.get(reverse("gallery:landing", args=[contest.slug])))
    assert f'href="{reverse("staff_home")}"' in page and "Mes pages d" in page
    assert "Mes photos" not in page
