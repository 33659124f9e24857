"""The public gallery: who is shown, pagination, caching that never shows a withdrawn photo,
the photo page's sharing tags, the Atom feed and the votes."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Enrollment, Entry, Participant
from gallery.models import Vote
from gallery.services import vote_cast
from photos.models import Photo
from tests.conftest import service_missing
from tests.factories import UserFactory
from tests.http import csrf_post, follow_signin_link
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def _gallery(client: Client, contest: Contest, query: str = "") -> str:
    response = client.get(reverse("gallery:gallery", args=[contest.slug]) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_only_approved_consented_visible_photos(
    contest: Contest,
    approved: Callable[..., Entry],
    ready_entry: Callable[..., Entry],
    other_entrant: Participant,
) -> None:
    shown = approved(seed=1, title="Visible")
    ready_entry(seed=2, title="En attente")
    hidden = approved(seed=3, title="Cachée")
    Entry.objects.filter(pk=hidden.pk).update(hidden=True)
    no_consent = approved(seed=4, title="Sans accord", participant=other_entrant)
    Enrollment.objects.filter(participant=other_entrant).update(allows_gallery=False)
    changed = approved(seed=5, title="Retouchée")
    Photo.objects.filter(pk=changed.photo.pk).update(renditions_hash="0" * 64)
    page = _gallery(Client(), contest)
    assert "Visible" in page
    for title in ("En attente", "Cachée", "Sans accord", "Retouchée"):
        assert title not in page
    assert (
        Client().get(reverse("gallery:photo", args=[no_consent.photo.public_id])).status_code == 404
    )
    assert Client().get(reverse("gallery:photo", args=[shown.photo.public_id])).status_code == 200


def test_it_never_serves_a_withdrawn_photo_from_the_cache(
    contest: Contest, approved: Callable[..., Entry], moderator: object
) -> None:
    from moderation.reports import entry_report

    entry = approved(seed=1, title="Bientôt retirée")
    assert "Bientôt retirée" in _gallery(Client(), contest)  # now cached
    for n in range(3):
        entry_report(
            entry=entry, reason="inappropriate", message="", email="", ip_address=f"198.51.100.{n}"
        )
    assert "Bientôt retirée" not in _gallery(Client(), contest)


def test_it_pages_with_a_cursor_and_load_more(
    contest: Contest, approved: Callable[..., Entry], settings: object
) -> None:
    from gallery import selectors

    entries = [approved(seed=i, title=f"Photo {i:02d}") for i in range(7)]
    first = selectors.gallery_page(contest_id=contest.pk, size=3)
    second = selectors.gallery_page(contest_id=contest.pk, size=3, cursor=first.next_cursor)
    third = selectors.gallery_page(contest_id=contest.pk, size=3, cursor=second.next_cursor)
    seen = [e.pk for e in first.entries + second.entries + third.entries]
    assert seen == [e.pk for e in reversed(entries)]  # newest first, none twice
    assert third.next_cursor == ""
    for order in ("votes", "discover"):
        a = selectors.gallery_page(contest_id=contest.pk, size=4, order=order, start=42)
        b = selectors.gallery_page(
            contest_id=contest.pk, size=4, order=order, start=42, cursor=a.next_cursor
        )
        assert sorted(e.pk for e in a.entries + b.entries) == sorted(e.pk for e in entries)
    other = selectors.gallery_page(contest_id=contest.pk, size=7, order="discover", start=7)
    again = selectors.gallery_page(contest_id=contest.pk, size=7, order="discover", start=7)
    assert [e.pk for e in other.entries] == [e.pk for e in again.entries]  # stable per visitor


def test_it_renders_the_gallery_in_a_fixed_number_of_queries(
    contest: Contest,
    approved: Callable[..., Entry],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    approved(seed=1)
    with CaptureQueriesContext(connection) as few:
        _gallery(Client(), contest)
    for seed in range(2, 12):
        approved(seed=seed)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        _gallery(Client(), contest)
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as cached:
        _gallery(Client(), contest)
    assert len(cached) <= 2  # a cache hit: the contest and nothing per photo


def test_it_renders_the_photo_page_in_a_fixed_number_of_queries(
    contest: Contest, approved: Callable[..., Entry], other_entrant: Participant
) -> None:
    from django.test.utils import CaptureQueriesContext

    entries = [approved(seed=1), approved(seed=2, participant=other_entrant)]
    cold, warm = [], []
    for entry in entries:
        url = reverse("gallery:photo", args=[entry.photo.public_id])
        with CaptureQueriesContext(connection) as rendered:
            assert Client().get(url).status_code == 200
        with CaptureQueriesContext(connection) as cached:
            assert Client().get(url).status_code == 200
        cold.append(len(rendered))
        warm.append(len(cached))
    # Whether the photo is public; the entry with what it shows; its renditions.
    assert cold == [3, 3]
    assert warm == [1, 1]
    # A signed-in visitor's page is rendered: the same queries, plus their session, user
    # and vote.
    member = Client()
    member.force_login(other_entrant.user)
    with CaptureQueriesContext(connection) as signed_in:
        member.get(reverse("gallery:photo", args=[entries[0].photo.public_id]))
    assert len(signed_in) == 6


def test_it_filters_by_theme(contest: Contest, approved: Callable[..., Entry]) -> None:
    city, seasons = list(contest.themes.all())
    approved(seed=1, title="En ville", theme=city)
    approved(seed=2, title="En hiver", theme=seasons)
    page = _gallery(Client(), contest, f"?theme={seasons.pk}")
    assert "En hiver" in page and "En ville" not in page


def test_it_gives_the_photo_page_sharing_tags_and_no_private_data(
    approved: Callable[..., Entry], entrant: Participant
) -> None:
    entry = approved(seed=1, title="Le viaduc")
    page = Client().get(reverse("gallery:photo", args=[entry.photo.public_id])).content.decode()
    image = re.search(r'<meta property="og:image" content="([^"]+)"', page)
    assert image and image.group(1).startswith("http://testserver/media/renditions/")
    assert "share-" in image.group(1)
    assert '<meta property="og:image:width" content="1200">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert "Photo : Camille D." in page
    assert entrant.email not in page
    assert entry.photo.original not in page
    share = f"/photo/{entry.photo.public_id}/partager/"
    assert f'href="{share}facebook/"' in page and f'href="{share}whatsapp/"' in page
    assert "<script" not in page.split("</main>")[0].split("<main")[1]  # no third-party script


def test_it_publishes_an_atom_feed(contest: Contest, approved: Callable[..., Entry]) -> None:
    approved(seed=1, title="Premier")
    approved(seed=2, title="Second")
    response = Client().get(reverse("gallery:feed", args=[contest.slug]))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own feed
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Second", "Premier"]
    for item in entries:
        assert item.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
        assert item.find(f"{ATOM}updated") is not None
        assert "Photo : Camille D." in item.findtext(f"{ATOM}summary", "")
        assert item.find(f"{ATOM}link[@rel='enclosure']") is not None


def test_it_sends_an_anonymous_voter_to_verify_their_email(approved: Callable[..., Entry]) -> None:
    entry = approved(seed=1)
    client = Client(enforce_csrf_checks=True)
    url = reverse("gallery:photo", args=[entry.photo.public_id])
    response = csrf_post(
        client, reverse("gallery:vote", args=[entry.photo.public_id]), {}, page=url
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("contest:signin"))
    assert not Vote.objects.exists()


def test_it_keeps_an_anonymous_vote_through_the_emailed_link(
    approved: Callable[..., Entry],
) -> None:
    entry = approved(seed=1)
    photo_url = reverse("gallery:photo", args=[entry.photo.public_id])
    visitor = Client(enforce_csrf_checks=True)
    asked = csrf_post(
        visitor, reverse("gallery:vote", args=[entry.photo.public_id]), {}, page=photo_url
    )
    signin_page = visitor.get(asked["Location"]).content.decode()
    assert "Votez avec votre adresse e-mail" in signin_page
    fields = dict(
        re.findall(r'<input type="hidden" name="(next|pour)" value="([^"]*)"', signin_page)
    )
    csrf_post(visitor, reverse("contest:signin"), {"email": "fan@example.org", **fields})

    [message] = deliver_mail()
    assert message.subject == "Votre lien pour confirmer votre vote"
    assert "pour confirmer votre vote" in message.body
    assert "pour participer au concours" not in message.body
    link = re.search(r"http://testserver(\S+)", message.body)
    assert link, message.body
    landed = follow_signin_link(visitor, link.group(1))
    # Back on the photo with the vote one tap away, and a word to say so.
    assert landed["Location"] == photo_url + "?voter=1#vote"
    page = visitor.get(landed["Location"]).content.decode()
    assert "Votre adresse e-mail est confirmée" in page
    assert "Confirmer mon vote" in page
    assert not Vote.objects.exists()

    tapped = csrf_post(
        visitor, reverse("gallery:vote", args=[entry.photo.public_id]), {}, page=photo_url
    )
    assert tapped["Location"] == photo_url + "#vote"
    entry.refresh_from_db()
    assert entry.vote_count == 1
    after = visitor.get(photo_url).content.decode()
    assert "Merci pour votre vote" in after
    assert "Confirmer mon vote" not in visitor.get(landed["Location"]).content.decode()


def test_it_counts_one_vote_per_person(
    approved: Callable[..., Entry], other_entrant: Participant
) -> None:
    entry = approved(seed=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_entrant.user)
    vote_url = reverse("gallery:vote", args=[entry.photo.public_id])
    page = reverse("gallery:photo", args=[entry.photo.public_id])
    csrf_post(client, vote_url, {}, page=page)
    csrf_post(client, vote_url, {}, page=page)
    entry.refresh_from_db()
    assert entry.vote_count == 1
    assert Vote.objects.count() == 1
    assert (
        "Vous avez voté pour cette photo" in client.get(page).content.decode()
        or "voté" in client.get(page).content.decode()
    )


def test_it_refuses_a_vote_without_csrf(
    approved: Callable[..., Entry], other_entrant: Participant
) -> None:
    entry = approved(seed=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_entrant.user)
    assert client.post(reverse("gallery:vote", args=[entry.photo.public_id])).status_code == 403
    assert client.get(reverse("gallery:vote", args=[entry.photo.public_id])).status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_counts_fifty_simultaneous_identical_votes_once(approved: Callable[..., Entry]) -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    entry = approved(seed=1)
    voter = UserFactory(email="fan@example.org")
    barrier = threading.Barrier(50)
    results: list[bool] = []

    def cast() -> None:
        try:
            barrier.wait()
            results.append(vote_cast(entry=entry, user=voter, ip_address="192.0.2.99"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    entry.refresh_from_db()
    assert results.count(True) == 1
    assert entry.vote_count == 1
    assert Vote.objects.filter(entry=entry).count() == 1
