"""The entry flow through the Django client, with CSRF checks on."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Enrollment, Entry, Participant
from photos.models import Photo
from tests.factories import EntryFactory, ParticipantFactory, UserFactory
from tests.http import csrf_post, follow_signin_link, upload_data
from tests.images import photo_bytes, upload
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db


def _link_from_mail(message: mail.EmailMessage) -> str:
    match = re.search(r"http://testserver(\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_it_signs_a_new_rider_in_by_email_link_without_a_password(contest: Contest) -> None:
    browser = Client(enforce_csrf_checks=True)
    enter_url = reverse("contest:enter", args=[contest.slug])
    page = browser.get(enter_url)
    assert "e-mail" in page.content.decode()

    response = csrf_post(
        browser, reverse("contest:signin"), {"email": "Lea@Example.org", "next": enter_url}
    )
    assert response.status_code == 200
    deliver_mail()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lea@example.org"]

    # The link is opened on another device (the phone reading the mail): a fresh client.
    phone = Client(enforce_csrf_checks=True)
    landed = follow_signin_link(phone, _link_from_mail(mail.outbox[0]))
    assert landed.status_code == 302
    assert landed["Location"] == enter_url
    participant = Participant.objects.get(user__email="lea@example.org")
    assert participant.email_verified_at is not None
    assert not participant.user.has_usable_password()
    # Profile first.
    assert phone.get(enter_url)["Location"].startswith(reverse("contest:profile"))


def test_it_refuses_a_forged_or_expired_link(contest: Contest) -> None:
    response = Client().get(reverse("contest:signin_link") + "?jeton=forged")
    assert response.status_code == 400
    assert "_auth_user_id" not in Client().session


def test_it_rate_limits_sign_in_links_per_address(contest: Contest, settings: object) -> None:
    settings.SIGNIN_RATE_PER_HOUR = 2  # type: ignore[attr-defined]
    browser = Client(enforce_csrf_checks=True)
    # Two pages asking (two links: one request twice in one second is one link, one e-mail).
    for page in ("/", "/galerie/"):
        csrf_post(browser, reverse("contest:signin"), {"email": "a@example.org", "next": page})
    response = csrf_post(browser, reverse("contest:signin"), {"email": "a@example.org"})
    assert "Trop de liens" in response.content.decode()
    deliver_mail()
    assert len(mail.outbox) == 2


def test_it_ignores_an_offsite_next_url(contest: Contest) -> None:
    browser = Client(enforce_csrf_checks=True)
    csrf_post(
        browser,
        reverse("contest:signin"),
        {"email": "b@example.org", "next": "https://evil.example/"},
    )
    deliver_mail()
    landed = follow_signin_link(Client(), _link_from_mail(mail.outbox[0]))
    assert landed["Location"] == "/"


def test_it_asks_a_rider_under_15_for_a_parent_and_waits_for_the_confirmation(
    contest: Contest,
) -> None:
    kid = ParticipantFactory(
        credit_name="", age_bracket="", user=UserFactory(email="kid@example.org")
    )
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(kid.user)
    enter_url = reverse("contest:enter", args=[contest.slug])
    profile_url = reverse("contest:profile") + f"?next={enter_url}"

    missing = csrf_post(
        browser,
        profile_url,
        {"credit_name": "Zoé R.", "age_bracket": "under_15", "next": enter_url},
    )
    assert missing.status_code == 200  # form shown again: the parent's address is required
    deliver_mail()
    assert not mail.outbox

    done = csrf_post(
        browser,
        profile_url,
        {
            "credit_name": "Zoé R.",
            "age_bracket": "under_15",
            "parent_email": "parent@example.org",
            "next": enter_url,
        },
    )
    assert done.status_code == 302
    deliver_mail()
    assert mail.outbox[-1].to == ["parent@example.org"]
    waiting = browser.get(enter_url)
    assert waiting.status_code == 200
    assert "parent@example.org" in waiting.content.decode()

    parent = Client(enforce_csrf_checks=True)
    link = _link_from_mail(mail.outbox[-1])
    assert parent.get(link).status_code == 200
    kid.refresh_from_db()
    assert kid.parent_confirmed_at is None  # opening the link is not consent
    csrf_post(parent, link, {})
    kid.refresh_from_db()
    assert kid.parent_confirmed_at is not None
    assert browser.get(enter_url)["Location"] == reverse("contest:rules", args=[contest.slug])


def test_it_mails_the_parent_a_consent_link_to_the_port_the_child_reached(
    contest: Contest, settings: object
) -> None:
    settings.SITE_URL = "http://localhost:8000"  # type: ignore[attr-defined]
    kid = ParticipantFactory(credit_name="", age_bracket="", user=UserFactory())
    browser = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1:8001")
    browser.force_login(kid.user)
    csrf_post(
        browser,
        reverse("contest:profile"),
        {"credit_name": "Zoé R.", "age_bracket": "under_15", "parent_email": "p@example.org"},
    )
    deliver_mail()
    assert "http://127.0.0.1:8001/parent/" in mail.outbox[-1].body, mail.outbox[-1].body
    csrf_post(browser, reverse("contest:parent_resend"), {})
    deliver_mail()
    assert mail.outbox[-1].to == ["p@example.org"]
    assert "http://127.0.0.1:8001/parent/" in mail.outbox[-1].body, mail.outbox[-1].body


def test_it_records_the_rules_version_time_ip_and_each_allowed_use(contest: Contest) -> None:
    rider = ParticipantFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rider.user)
    url = reverse("contest:rules", args=[contest.slug])

    refused = csrf_post(browser, url, {"allows_gallery": "on"})
    assert refused.status_code == 200
    assert not Enrollment.objects.exists()

    accepted = csrf_post(
        browser,
        url,
        {"accept_rules": "on", "allows_gallery": "on", "allows_print": "on"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert accepted["Location"] == reverse("contest:upload", args=[contest.slug])
    enrollment = Enrollment.objects.get(participant=rider)
    assert enrollment.rules_version == contest.rules_version
    assert enrollment.ip_address == "203.0.113.7"
    assert (enrollment.allows_gallery, enrollment.allows_social, enrollment.allows_print) == (
        True,
        False,
        True,
    )


def test_it_asks_again_when_the_rules_change(entrant_client: Client, contest: Contest) -> None:
    contest.rules_version = "2"
    contest.save()
    response = entrant_client.get(reverse("contest:upload", args=[contest.slug]))
    assert response["Location"] == reverse("contest:rules", args=[contest.slug])


def test_it_takes_several_photos_in_one_post(
    entrant_client: Client, entrant: Participant, contest: Contest
) -> None:
    theme = contest.themes.first()
    url = reverse("contest:upload", args=[contest.slug])
    data = upload_data(
        (upload("IMG_1.JPG", seed=1), "Tram", "Un tram.", theme),
        (upload("IMG_2.PNG", data=photo_bytes(fmt="PNG", seed=2)), "Bus", "Un bus.", theme),
    )
    response = csrf_post(entrant_client, url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("contest:my_entries", args=[contest.slug])
    entries = Entry.objects.filter(participant=entrant)
    assert entries.count() == 2
    assert sorted(e.photo.original_format for e in entries) == ["JPEG", "PNG"]


def test_it_answers_htmx_with_a_client_redirect(entrant_client: Client, contest: Contest) -> None:
    url = reverse("contest:upload", args=[contest.slug])
    data = upload_data((upload(seed=3), "Tram", "Un tram.", contest.themes.first()))
    response = csrf_post(entrant_client, url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("contest:my_entries", args=[contest.slug])


def test_it_rejects_a_post_without_csrf_token(entrant_client: Client, contest: Contest) -> None:
    url = reverse("contest:upload", args=[contest.slug])
    response = entrant_client.post(url, upload_data((upload(), "T", "C", contest.themes.first())))
    assert response.status_code == 403
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message_fr"),
    [
        ("anim.gif", photo_bytes(fmt="GIF"), "n'est pas une photo"),
        ("page.html", b"<html><script>alert(1)</script></html>", "n'est pas une photo"),
        ("photo.jpg", b"", "vide"),
        ("cut.jpg", photo_bytes(1200, 900)[:3000], "endommagé"),
        ("tiny.jpg", photo_bytes(300, 1000), "320"),
    ],
)
def test_it_refuses_bad_files_with_a_french_message_and_stores_nothing(
    entrant_client: Client,
    contest: Contest,
    name: str,
    data: bytes,
    message_fr: str,
    tmp_path: object,
) -> None:
    url = reverse("contest:upload", args=[contest.slug])
    response = csrf_post(
        entrant_client,
        url,
        upload_data((upload(name, data=data), "T", "C", contest.themes.first())),
    )
    assert response.status_code == 400
    assert message_fr in html.unescape(response.content.decode())
    assert not Entry.objects.exists()
    assert not Photo.objects.exists()
    originals = tmp_path / "originals"  # type: ignore[operator]
    assert not originals.exists() or not any(originals.iterdir())


def test_it_speaks_english_when_asked(entrant_client: Client, contest: Contest) -> None:
    url = reverse("contest:upload", args=[contest.slug])
    response = csrf_post(
        entrant_client,
        url,
        upload_data(
            (upload("a.gif", data=photo_bytes(fmt="GIF")), "T", "C", contest.themes.first())
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "is not a photo we accept" in response.content.decode()


def test_it_refuses_the_same_photo_twice_and_keeps_nothing_of_the_batch(
    entrant_client: Client, entrant: Participant, contest: Contest, tmp_path: object
) -> None:
    url = reverse("contest:upload", args=[contest.slug])
    theme = contest.themes.first()
    same = photo_bytes(seed=9)
    csrf_post(entrant_client, url, upload_data((upload("a.jpg", data=same), "A", "A", theme)))
    assert Entry.objects.count() == 1

    response = csrf_post(
        entrant_client,
        url,
        upload_data(
            (upload("b.jpg", seed=10), "B", "B", theme),
            (upload("copy.jpg", data=same), "C", "C", theme),
            total=2,
        ),
    )
    assert response.status_code == 400
    assert "déjà envoyé" in response.content.decode()
    assert Entry.objects.count() == 1
    assert len(list((tmp_path / "originals").iterdir())) == 1  # type: ignore[operator]


def test_it_refuses_more_photos_than_the_contest_allows(
    entrant_client: Client, entrant: Participant, contest: Contest
) -> None:
    contest.max_photos_per_participant = 1
    contest.save()
    EntryFactory(contest=contest, participant=entrant)
    response = entrant_client.get(reverse("contest:upload", args=[contest.slug]))
    assert "photos-TOTAL_FORMS" not in response.content.decode()
    posted = csrf_post(
        entrant_client,
        reverse("contest:upload", args=[contest.slug]),
        upload_data((upload(seed=4), "T", "C", contest.themes.first()), total=1),
        page=reverse("contest:my_entries", args=[contest.slug]),
    )
    assert Entry.objects.filter(participant=entrant).count() == 1
    assert posted.status_code == 200


def test_it_keeps_the_file_name_only_as_escaped_text(
    entrant_client: Client, entrant: Participant, contest: Contest, tmp_path: object
) -> None:
    url = reverse("contest:upload", args=[contest.slug])
    evil = "<img src=x onerror=alert(1)>.jpg"
    csrf_post(
        entrant_client, url, upload_data((upload(evil, seed=5), "T", "C", contest.themes.first()))
    )
    photo = Photo.objects.get()
    stored = [p.name for p in (tmp_path / "originals").iterdir()]  # type: ignore[operator]
    # A name of ours, and not the public id: a photo's public page tells nothing of where
    # its original lies.
    assert len(stored) == 1
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", stored[0])
    assert photo.public_id.hex not in stored[0]
    assert stored[0] == photo.original
    page = entrant_client.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_it_shows_each_entry_state_on_my_entries(
    entrant_client: Client, entrant: Participant, contest: Contest
) -> None:
    failed = EntryFactory(
        contest=contest,
        participant=entrant,
        title="Abîmée",
        photo__status=Photo.Status.FAILED,
        photo__failure="corrupt",
    ).photo
    EntryFactory(
        contest=contest,
        participant=entrant,
        title="En cours",
        photo__status=Photo.Status.PROCESSING,
    )
    EntryFactory(
        contest=contest,
        participant=entrant,
        title="Refusée",
        moderation="refused",
        refusal_reason="Hors sujet",
        photo__status=Photo.Status.READY,
    )
    assert failed
    page = entrant_client.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert "endommagé" in page
    assert "Hors sujet" in page
    assert 'hx-trigger="every 3s"' in page  # one is still processing: the list refreshes itself


def test_it_never_shows_one_riders_entries_to_another(
    entrant: Participant, other_entrant: Participant, contest: Contest
) -> None:
    EntryFactory(contest=contest, participant=entrant, title="Secret de Camille")
    other = Client()
    other.force_login(other_entrant.user)
    page = other.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert "Secret de Camille" not in page


def test_it_asks_an_anonymous_visitor_to_sign_in_before_uploading(
    anonymous_client: Client, contest: Contest
) -> None:
    response = anonymous_client.get(reverse("contest:upload", args=[contest.slug]))
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()
    response = csrf_post(
        anonymous_client,
        reverse("contest:upload", args=[contest.slug]),
        upload_data((upload(), "T", "C", None)),
    )
    assert not Entry.objects.exists()


def test_it_does_not_take_entries_once_the_contest_closed(
    entrant_client: Client, contest: Contest
) -> None:
    contest.status = Contest.Status.JUDGING
    contest.save()
    url = reverse("contest:upload", args=[contest.slug])
    csrf_post(entrant_client, url, upload_data((upload(), "T", "C", contest.themes.first())))
    assert not Entry.objects.exists()


def test_it_never_serves_originals(
    entrant_client: Client, contest: Contest, tmp_path: object
) -> None:
    csrf_post(
        entrant_client,
        reverse("contest:upload", args=[contest.slug]),
        upload_data((upload(seed=6), "T", "C", contest.themes.first())),
    )
    photo = Photo.objects.get()
    for url in (
        f"/media/{photo.original}",
        f"/media/../originals/{photo.original}",
        f"/no-public-url/{photo.original}",
        f"/media/originals/{photo.original}",
    ):
        assert Client().get(url).status_code == 404


def test_it_answers_a_poll_with_no_content_until_a_state_changes(
    entrant_client: Client, entrant: Participant, contest: Contest
) -> None:
    photo = EntryFactory(
        contest=contest, participant=entrant, title="Quai", photo__status=Photo.Status.PROCESSING
    ).photo
    url = reverse("contest:my_entries", args=[contest.slug])
    first = entrant_client.get(url, HTTP_HX_REQUEST="true")
    poll = re.search(r'hx-get="([^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert entrant_client.get(poll, HTTP_HX_REQUEST="true").status_code == 204

    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.READY)
    changed = entrant_client.get(poll, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200
    body = html.unescape(changed.content.decode())
    assert 'id="entries-status"' in body
    assert "Quai : En attente de modération." in body
    assert "hx-trigger" not in body  # nothing left to wait for: polling stops
