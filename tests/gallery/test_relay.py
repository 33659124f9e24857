"""The social relay: Marketing's permission, the embeddable gallery, the social kit, and
the vote bursts page."""

from __future__ import annotations

import importlib
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from contest.models import Contest, Enrollment, Entry, Participant
from gallery import selectors, views_relay
from gallery.models import Vote
from gallery.services import (
    originals_storage,
    social_caption,
    social_hashtag,
    vote_cast,
)
from photos.models import Photo
from tests.conftest import PERSONAS
from tests.factories import UserFactory
from tests.images import gps_exif, photo_bytes

pytestmark = pytest.mark.django_db


def _staff_urls(contest: Contest, entry: Entry) -> list[str]:
    return [
        reverse("gallery:relay", args=[contest.slug]),
        reverse("gallery:vote_bursts", args=[contest.slug]),
        reverse("gallery:social_kit", args=[entry.photo.public_id]),
    ]


# --- who may relay -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_opens_the_relay_pages_to_marketing_only(
    persona: str,
    persona_client: Callable[[str], Client],
    contest: Contest,
    approved: Callable[..., Entry],
) -> None:
    entry = approved(seed=1)
    client = persona_client(persona)
    for url in _staff_urls(contest, entry):
        response = client.get(url)
        if persona == "marketing":
            assert response.status_code == 200, url
        elif persona == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login") + "?next=")
        else:
            assert response.status_code == 403, url


def test_it_grants_the_relay_to_marketing_and_to_no_other_group() -> None:
    migration = importlib.import_module("gallery.migrations.0002_marketing_relay")
    state = MigrationExecutor(connection).loader.project_state(("gallery", "0002_marketing_relay"))
    Group.objects.filter(name="Marketing").delete()
    migration.grant(state.apps, None)
    migration.grant(state.apps, None)  # a second run changes nothing
    marketing = Group.objects.get(name="Marketing")
    assert set(marketing.permissions.values_list("content_type__app_label", "codename")) == {
        ("gallery", "relay_photo"),
        ("gallery", "view_vote"),
    }
    relay = Permission.objects.get(content_type__app_label="gallery", codename="relay_photo")
    assert set(relay.group_set.values_list("name", flat=True)) == {"Marketing"}
    migration.revoke(state.apps, None)
    assert not marketing.permissions.exists()


def test_it_gives_the_relay_permission_to_the_marketing_persona_only(
    request: pytest.FixtureRequest,
) -> None:
    for persona in PERSONAS:
        if persona == "anonymous":
            continue
        person = request.getfixturevalue(persona)
        user = getattr(person, "user", person)
        assert user.has_perm("gallery.relay_photo") == (persona == "marketing"), persona
        assert user.has_perm("gallery.view_vote") == (persona == "marketing"), persona


# --- the embeddable gallery --------------------------------------------------------------


def test_it_lets_other_sites_frame_the_embed_and_no_other_page(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    approved(seed=1)
    embed = Client().get(reverse("gallery:embed", args=[contest.slug]))
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert re.search(r"frame-ancestors \*(;|$)", embed["Content-Security-Policy"])
    assert "default-src 'self'" in embed["Content-Security-Policy"]  # the rest is unchanged
    for url in (
        reverse("gallery:gallery", args=[contest.slug]),
        reverse("gallery:landing", args=[contest.slug]),
    ):
        response = Client().get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert re.search(r"frame-ancestors 'self'(;|$)", response["Content-Security-Policy"])


def test_it_shows_the_latest_photos_without_the_site_header(
    contest: Contest,
    approved: Callable[..., Entry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views_relay, "EMBED_COUNT", 2)
    oldest = approved(seed=1, title="La plus ancienne")
    approved(seed=2, title="La deuxième")
    newest = approved(seed=3, title="La plus récente", caption="Un bus sous la neige.")
    page = Client().get(reverse("gallery:embed", args=[contest.slug])).content.decode()
    assert "site-header" not in page and "site-footer" not in page
    assert "/static/css/site.css" in page
    assert "La plus récente" in page and "La deuxième" in page
    assert oldest.title not in page
    photo_url = reverse("gallery:photo", args=[newest.photo.public_id])
    assert f'<a href="{photo_url}" target="_blank" rel="noopener">' in page
    thumb = newest.photo.renditions.get(spec="thumb", format="jpeg")
    img = re.search(rf'<img src="{re.escape(thumb.file.url)}"[^>]*>', page)
    assert img, page
    for attribute in (
        f'width="{thumb.width}"',
        f'height="{thumb.height}"',
        'alt="Un bus sous la neige."',
        'loading="lazy"',
        "srcset=",
    ):
        assert attribute in img.group(0)
    gallery_url = reverse("gallery:gallery", args=[contest.slug])
    assert f'href="{gallery_url}" target="_blank"' in page


def test_it_never_keeps_a_withdrawn_photo_in_the_cached_embed(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    from moderation.reports import entry_report

    entry = approved(seed=1, title="Bientôt retirée")
    url = reverse("gallery:embed", args=[contest.slug])
    assert "Bientôt retirée" in Client().get(url).content.decode()  # now cached
    for n in range(3):
        entry_report(
            entry=entry, reason="inappropriate", message="", email="", ip_address=f"198.51.100.{n}"
        )
    assert "Bientôt retirée" not in Client().get(url).content.decode()


def test_it_has_no_embed_for_a_draft_contest(contest: Contest) -> None:
    Contest.objects.filter(pk=contest.pk).update(status=Contest.Status.DRAFT)
    assert Client().get(reverse("gallery:embed", args=[contest.slug])).status_code == 404


# --- the relay page ----------------------------------------------------------------------


def test_it_gives_the_feed_the_embed_code_and_who_allowed_social_media(
    contest: Contest,
    approved: Callable[..., Entry],
    other_entrant: Participant,
    persona_client: Callable[[str], Client],
) -> None:
    allowed = approved(seed=1, title="Avec accord")
    refused = approved(seed=2, title="Sans accord", participant=other_entrant)
    Enrollment.objects.filter(participant=other_entrant).update(allows_social=False)
    response = persona_client("marketing").get(reverse("gallery:relay", args=[contest.slug]))
    page = response.content.decode()
    assert "http://testserver/concours/couvertures-2027/flux.atom" in page
    assert (
        "&lt;iframe src=&quot;http://testserver/concours/couvertures-2027/integrer/&quot; "
        "title=&quot;" in page
    )
    assert (
        "loading=&quot;lazy&quot; width=&quot;100%&quot; height=&quot;600&quot;&gt;"
        "&lt;/iframe&gt;\n&lt;script src=&quot;http://testserver/static/js/embed-host.js&quot; "
        "async&gt;&lt;/script&gt;</textarea>" in page
    )
    assert "Camille D." in page and "Noé L." in page
    assert reverse("gallery:social_kit", args=[allowed.photo.public_id]) in page
    assert reverse("gallery:social_kit", args=[refused.photo.public_id]) not in page
    items = re.findall(r'<li class="card relay-item">.*?</li>', page, re.S)
    assert [("Sans accord" in item, "social-no" in item) for item in items] == [
        (True, True),
        (False, False),
    ]  # newest first


def test_it_lists_the_relay_photos_in_a_fixed_number_of_queries(
    contest: Contest,
    approved: Callable[..., Entry],
    other_entrant: Participant,
    persona_client: Callable[[str], Client],
) -> None:
    client = persona_client("marketing")
    url = reverse("gallery:relay", args=[contest.slug])
    for seed in range(3):
        approved(seed=seed, participant=other_entrant if seed % 2 else None)
    client.get(url)  # the session and the user are loaded the same way each time
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    for seed in range(3, 15):
        approved(seed=seed, participant=other_entrant if seed % 2 else None)
    with CaptureQueriesContext(connection) as fifteen:
        page = client.get(url).content.decode()
    assert page.count('class="card relay-item"') == 15
    assert len(fifteen) == len(three), [q["sql"] for q in fifteen.captured_queries]


# --- the social kit ----------------------------------------------------------------------


def test_it_makes_the_social_kit_from_the_original_without_metadata(
    contest: Contest, approved: Callable[..., Entry], persona_client: Callable[[str], Client]
) -> None:
    entry = approved(seed=1, title="Le viaduc", caption="Un train passe sur le viaduc.")
    # The original carries GPS data; none of it may reach the kit.
    storage = originals_storage()
    storage.delete(entry.photo.original)
    data = photo_bytes(900, 600, seed=1, exif=gps_exif())
    assert storage.save(entry.photo.original, ContentFile(data)) == entry.photo.original

    response = persona_client("marketing").get(
        reverse("gallery:social_kit", args=[entry.photo.public_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    stem = f"couvertures-2027-{entry.photo.public_id.hex[:8]}"
    assert response["Content-Disposition"] == f'attachment; filename="{stem}.zip"'
    assert response["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == sorted(
        [f"{stem}-carre.jpg", f"{stem}-portrait.jpg", f"{stem}-story.jpg", "legende.txt"]
    )
    for name, size in (
        ("carre", (1080, 1080)),
        ("portrait", (1080, 1350)),
        ("story", (1080, 1920)),
    ):
        raw = archive.read(f"{stem}-{name}.jpg")
        with Image.open(io.BytesIO(raw)) as image:
            assert image.format == "JPEG"
            assert image.size == size
            assert not image.getexif()
            assert "exif" not in image.info
        assert b"PhoneMaker" not in raw
    text = archive.read("legende.txt").decode()
    assert text.startswith("Le viaduc\nUn train passe sur le viaduc.\n")
    assert "Photo : Camille D.\n" in text
    assert "Couvertures 2027\n" in text
    assert f"http://testserver/photo/{entry.photo.public_id}/\n" in text
    assert text.endswith("#Couvertures2027\n")


def test_it_links_the_kit_caption_to_the_port_the_manager_reached(
    approved: Callable[..., Entry], persona_client: Callable[[str], Client], settings: object
) -> None:
    settings.SITE_URL = "http://localhost:8000"  # type: ignore[attr-defined]
    entry = approved(seed=1)
    response = persona_client("marketing").get(
        reverse("gallery:social_kit", args=[entry.photo.public_id]), HTTP_HOST="127.0.0.1:8001"
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = archive.read("legende.txt").decode()
    assert f"http://127.0.0.1:8001/photo/{entry.photo.public_id}/\n" in text


def test_it_refuses_the_kit_without_the_participants_consent(
    approved: Callable[..., Entry], persona_client: Callable[[str], Client], entrant: Participant
) -> None:
    entry = approved(seed=1)
    Enrollment.objects.filter(participant=entrant).update(allows_social=False)
    url = reverse("gallery:social_kit", args=[entry.photo.public_id])
    assert persona_client("marketing").get(url).status_code == 404


def test_it_answers_404_for_the_kit_of_a_photo_whose_original_was_purged(
    approved: Callable[..., Entry], persona_client: Callable[[str], Client]
) -> None:
    entry = approved(seed=1)
    Photo.objects.filter(pk=entry.photo_id).update(original="")  # as contest.retention does
    url = reverse("gallery:social_kit", args=[entry.photo.public_id])
    assert persona_client("marketing").get(url).status_code == 404


def test_it_refuses_the_kit_of_a_photo_that_is_not_public(
    approved: Callable[..., Entry],
    ready_entry: Callable[..., Entry],
    persona_client: Callable[[str], Client],
) -> None:
    client = persona_client("marketing")
    pending = ready_entry(seed=1)
    hidden = approved(seed=2)
    Entry.objects.filter(pk=hidden.pk).update(hidden=True)
    for entry in (pending, hidden):
        url = reverse("gallery:social_kit", args=[entry.photo.public_id])
        assert client.get(url).status_code == 404


def test_it_writes_the_caption_in_french_with_a_hashtag_from_the_slug() -> None:
    text = social_caption(
        title="Brume",
        caption="Le tram dans la brume.",
        credit="Noé L.",
        contest_title="Couvertures 2027",
        url="https://example.org/photo/1/",
        slug="couvertures-2027",
    )
    assert text == (
        "Brume\nLe tram dans la brume.\n\nPhoto : Noé L.\nCouvertures 2027\n"
        "https://example.org/photo/1/\n\n#Couvertures2027\n"
    )
    assert social_hashtag("nuits_en-tram") == "#NuitsEnTram"
    assert social_hashtag("2027") == ""
    assert "Photo :" not in social_caption(
        title="T", caption="C", credit="", contest_title="K", url="u", slug="k"
    )


# --- vote bursts -------------------------------------------------------------------------


def _vote(entry: Entry, ip_hash: str, at: datetime, voter: str) -> None:
    vote = Vote.objects.create(entry=entry, user=UserFactory(email=voter), ip_hash=ip_hash)
    Vote.objects.filter(pk=vote.pk).update(created_at=at)


def test_it_counts_votes_per_hour_per_network_and_per_photo(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    now = datetime(2027, 3, 10, 14, 25, tzinfo=UTC)
    viaduct = approved(seed=1, title="Le viaduc")
    tram = approved(seed=2, title="Le tram")
    burst, home = "b" * 64, "c" * 64
    for n in range(4):  # a burst: one network, four voters, in the last half hour
        _vote(viaduct, burst, now - timedelta(minutes=5 + n), f"burst{n}@example.org")
    _vote(tram, burst, now - timedelta(minutes=50), "burst0b@example.org")
    _vote(tram, home, now - timedelta(hours=3), "home@example.org")
    _vote(tram, "", now - timedelta(hours=71, minutes=10), "unknown@example.org")
    _vote(tram, home, now - timedelta(hours=72, minutes=30), "tooold@example.org")

    bursts = selectors.vote_bursts(contest_id=contest.pk, now=now)

    assert len(bursts.hours) == 72
    assert bursts.hours[0].hour == datetime(2027, 3, 10, 14, tzinfo=UTC)
    assert bursts.since == bursts.hours[-1].hour == datetime(2027, 3, 7, 15, tzinfo=UTC)
    counts = {h.hour: h.votes for h in bursts.hours if h.votes}
    assert counts == {
        datetime(2027, 3, 10, 14, tzinfo=UTC): 4,
        datetime(2027, 3, 10, 13, tzinfo=UTC): 1,
        datetime(2027, 3, 10, 11, tzinfo=UTC): 1,
        datetime(2027, 3, 7, 15, tzinfo=UTC): 1,
    }
    assert bursts.peak == 4
    assert [(n.network, n.votes, n.photos, n.voters) for n in bursts.networks] == [
        ("b" * 10, 5, 2, 5),
        ("c" * 10, 1, 1, 1),
    ]
    assert [(p.title, p.votes, p.networks) for p in bursts.photos] == [
        ("Le viaduc", 4, 1),
        ("Le tram", 1, 1),
    ]
    assert bursts.photos[0].public_id == viaduct.photo.public_id


def test_it_shows_the_bursts_of_votes_cast_by_visitors_in_fixed_queries(
    contest: Contest,
    approved: Callable[..., Entry],
    persona_client: Callable[[str], Client],
) -> None:
    entries = [approved(seed=1, title="Le viaduc"), approved(seed=2, title="Le tram")]
    client = persona_client("marketing")
    url = reverse("gallery:vote_bursts", args=[contest.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(6):
        voter = UserFactory(email=f"fan{n}@example.org")
        for entry in entries[: 1 + n % 2]:
            assert vote_cast(entry=entry, user=voter, ip_address=f"203.0.113.{n % 2}")
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()
    assert len(after) == len(before)
    bursts = selectors.vote_bursts(contest_id=contest.pk, now=datetime.now(tz=UTC))
    assert bursts.hours[0].votes == 9
    assert sorted((n.votes, n.photos, n.voters) for n in bursts.networks) == [(3, 1, 3), (6, 2, 3)]
    assert [(p.title, p.votes, p.networks) for p in bursts.photos] == [
        ("Le viaduc", 6, 2),
        ("Le tram", 3, 1),
    ]
    for network in bursts.networks:
        assert f"<code>{network.network}</code>" in page
    assert "Le viaduc" in page
