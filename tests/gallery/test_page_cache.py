"""The whole gallery page served from the cache: to whom, with whose CSRF token, for how long."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from gallery import page_cache
from moderation.services import entry_decide
from tests.conftest import service_missing
from tests.http import csrf_post

pytestmark = pytest.mark.django_db


def gallery_url(contest: Contest, query: str = "") -> str:
    return reverse("gallery:gallery", args=[contest.slug]) + query


def page_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    tokens = set(re.findall(r'"X-CSRFToken": "([^"]+)"', html)) | {match.group(1)}
    assert len(tokens) == 1, tokens
    return match.group(1)


def test_a_cached_page_costs_one_query_and_carries_each_visitors_own_token(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    approved(seed=1, title="Le viaduc")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    rendered = first.get(gallery_url(contest)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = second.get(gallery_url(contest))
    assert len(queries) == 1  # the contest's gallery version, nothing else
    cached = response.content.decode()
    assert "Le viaduc" in cached
    assert page_token(rendered) != page_token(cached)
    assert re.sub(r'(value=|"X-CSRFToken": )"[^"]+"', "", rendered) == re.sub(
        r'(value=|"X-CSRFToken": )"[^"]+"', "", cached
    )
    # The token in the cached page is this visitor's: the language form works.
    switched = second.post(
        reverse("set_language"),
        {"language": "en", "next": gallery_url(contest), "csrfmiddlewaretoken": page_token(cached)},
    )
    assert switched.status_code == 302
    english = second.get(gallery_url(contest)).content.decode()
    assert '<html lang="en">' in english


def test_a_signed_in_visitor_never_gets_nor_leaves_a_shared_page(
    contest: Contest, approved: Callable[..., Entry], other_entrant: Participant
) -> None:
    approved(seed=1)
    sign_out = f'action="{reverse("contest:signout")}"'
    member = Client()
    member.force_login(other_entrant.user)
    assert sign_out in member.get(gallery_url(contest)).content.decode()
    assert sign_out not in Client().get(gallery_url(contest)).content.decode()
    assert sign_out in member.get(gallery_url(contest)).content.decode()


def test_the_language_form_of_a_cached_page_returns_to_the_same_address(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    approved(seed=1)
    city = contest.themes.order_by("position").first()
    assert city is not None
    for query in (
        "?ordre=recent",
        f"?theme={city.pk}&ordre=recent",
        f"?ordre=recent&theme={city.pk}",
    ):
        for _ in range(2):  # rendered, then cached
            html = Client().get(gallery_url(contest, query)).content.decode()
            assert (
                f'name="next" value="{gallery_url(contest, query).replace("&", "&amp;")}"' in html
            )


def test_an_approval_or_a_withdrawal_shows_at_once(
    contest: Contest, approved: Callable[..., Entry], moderator: object
) -> None:
    kept = approved(seed=1, title="Gardée")
    assert "Gardée" in Client().get(gallery_url(contest)).content.decode()
    approved(seed=2, title="Nouvelle")
    assert "Nouvelle" in Client().get(gallery_url(contest)).content.decode()
    kept.refresh_from_db()
    entry_decide(
        entry_id=kept.pk,
        version=kept.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=False,
        reason=Entry.Reason.OTHER,
    )
    assert "Gardée" not in Client().get(gallery_url(contest)).content.decode()


def test_a_page_is_not_kept_past_the_closing_when_vote_counts_appear(
    contest: Contest, settings: Any
) -> None:
    contest.closes_at = timezone.now() + timedelta(seconds=20)
    assert page_cache.cache_seconds(contest, "recent") <= 20
    contest.closes_at = timezone.now() + timedelta(days=3)
    assert page_cache.cache_seconds(contest, "recent") == settings.GALLERY_CACHE_SECONDS
    assert page_cache.cache_seconds(contest, "votes") == 30


def test_it_serves_the_first_page_for_an_invalid_cursor_without_caching_it(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    """Any `apres=` value used to make a new cache entry: a visitor could fill the cache."""
    from django.core.cache import cache

    approved(seed=1, title="Le viaduc")
    visitor = Client()
    first = visitor.get(gallery_url(contest))
    keys_before = set(cache._cache.keys())  # type: ignore[attr-defined]
    for junk in ("x", "1_", "_1", "9" * 60 + "_1", "1_2_3", "-_-"):
        response = visitor.get(gallery_url(contest, f"?apres={junk}"))
        assert response.status_code == 200
        assert "Le viaduc" in response.content.decode()
    assert set(cache._cache.keys()) == keys_before  # type: ignore[attr-defined]
    assert first.status_code == 200


def test_it_renders_the_gallery_and_photo_pages_when_the_cache_is_down(
    contest: Contest, approved: Callable[..., Entry], settings: object
) -> None:
    entry = approved(seed=1, title="Le viaduc")
    # A Redis cache where nothing listens (port 9, "discard"): every cache call fails.
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisDown

    with pytest.raises(RedisDown):
        cache.get("anything")
    visitor = Client()
    page = visitor.get(gallery_url(contest))
    assert page.status_code == 200
    assert "Le viaduc" in page.content.decode()
    photo = visitor.get(reverse("gallery:photo", args=[entry.photo.public_id]))
    assert photo.status_code == 200
    # Rate limits live in the same cache: a rider can still ask for a sign-in link.
    asked = csrf_post(
        Client(enforce_csrf_checks=True), reverse("contest:signin"), {"email": "a@b.org"}
    )
    assert asked.status_code == 200
    assert "a@b.org" in asked.content.decode()


def test_the_gallery_share_image_is_chosen_again_after_any_change(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    """It is cached (choosing it reads the most voted photos of the whole gallery), under the
    gallery version: a withdrawn photo never stays in it."""
    from django.core.cache import cache

    from contest.services import contest_gallery_changed

    Client().get(gallery_url(contest))
    before = page_cache.share_image_key(contest)
    assert cache.get(before) is not None
    approved(seed=1)  # bumps the gallery version, as any refusal or withdrawal does
    contest_gallery_changed(contest_id=contest.pk)
    contest.refresh_from_db()
    assert page_cache.share_image_key(contest) != before
    with CaptureQueriesContext(connection) as queries:
        Client().get(gallery_url(contest))
    assert any("vote_count" in q["sql"] and "ORDER BY" in q["sql"] for q in queries)


# --- the photo page ----------------------------------------------------------------------


def photo_url(entry: Entry, query: str = "") -> str:
    return reverse("gallery:photo", args=[entry.photo.public_id]) + query


def without_tokens(html: str) -> str:
    return re.sub(r'(value=|"X-CSRFToken": )"[^"]+"', "", html)


def test_a_cached_photo_page_costs_one_query_and_carries_each_visitors_own_token(
    approved: Callable[..., Entry],
) -> None:
    entry = approved(seed=1, title="Le viaduc")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    rendered = first.get(photo_url(entry)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = second.get(photo_url(entry))
    assert len(queries) == 1  # whether the photo is public, and what the key holds
    cached = response.content.decode()
    assert "Le viaduc" in cached
    assert page_token(rendered) != page_token(cached)
    assert without_tokens(rendered) == without_tokens(cached)
    assert response.cookies["csrftoken"].value  # the visitor's own, set on the way out
    # The token in the cached page is this visitor's: the vote form works (an anonymous
    # vote is sent to verify an e-mail address, not refused as a forgery).
    voted = second.post(
        reverse("gallery:vote", args=[entry.photo.public_id]),
        {"csrfmiddlewaretoken": page_token(cached)},
    )
    assert voted.status_code == 302
    assert voted["Location"].startswith(reverse("contest:signin"))


def test_a_cached_photo_page_never_carries_a_signed_in_visitors_name_nor_vote(
    approved: Callable[..., Entry], other_entrant: Participant
) -> None:
    entry = approved(seed=1)
    sign_out = f'action="{reverse("contest:signout")}"'
    member = Client(enforce_csrf_checks=True)
    member.force_login(other_entrant.user)
    csrf_post(
        member, reverse("gallery:vote", args=[entry.photo.public_id]), {}, page=photo_url(entry)
    )
    mine = member.get(photo_url(entry)).content.decode()
    assert sign_out in mine
    assert "Vous avez voté pour cette photo" in mine
    for _ in range(2):  # rendered, then cached
        anonymous = Client().get(photo_url(entry)).content.decode()
        assert sign_out not in anonymous
        assert "Vous avez voté pour cette photo" not in anonymous
        assert "J'aime cette photo" in anonymous
    # And the member's state is theirs at once, never the cached anonymous page.
    again = member.get(photo_url(entry)).content.decode()
    assert sign_out in again
    assert "Vous avez voté pour cette photo" in again


def test_a_cached_photo_page_is_in_each_visitors_language(approved: Callable[..., Entry]) -> None:
    entry = approved(seed=1)
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        assert '<html lang="en">' in english.get(photo_url(entry)).content.decode()
        french = Client().get(photo_url(entry)).content.decode()
        assert '<html lang="fr">' in french
        assert "J'aime cette photo" in french


def test_a_vote_count_shows_at_once_on_the_cached_photo_page(
    contest: Contest, approved: Callable[..., Entry], other_entrant: Participant
) -> None:
    contest.show_votes = "always"
    contest.save(update_fields=["show_votes"])
    entry = approved(seed=1)
    for _ in range(2):
        assert "0 vote pour l'instant" in Client().get(photo_url(entry)).content.decode()
    member = Client(enforce_csrf_checks=True)
    member.force_login(other_entrant.user)
    csrf_post(
        member, reverse("gallery:vote", args=[entry.photo.public_id]), {}, page=photo_url(entry)
    )
    assert "1 vote pour l'instant" in Client().get(photo_url(entry)).content.decode()


def test_a_refused_withdrawn_or_hidden_photo_is_never_served_from_the_cache(
    approved: Callable[..., Entry], entrant: Participant, moderator: object
) -> None:
    from contest.rights import entry_withdraw

    refused, withdrawn, hidden = (approved(seed=seed) for seed in (1, 2, 3))
    for entry in (refused, withdrawn, hidden):
        for _ in range(2):
            assert Client().get(photo_url(entry)).status_code == 200
    refused.refresh_from_db()
    entry_decide(
        entry_id=refused.pk,
        version=refused.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=False,
        reason=Entry.Reason.OTHER,
    )
    assert entry_withdraw(entry_id=withdrawn.pk, participant=entrant)
    # Even a change that forgot to bump the gallery version: the page's one query is the
    # rule of public visibility itself.
    Entry.objects.filter(pk=hidden.pk).update(hidden=True)
    for entry in (refused, withdrawn, hidden):
        assert Client().get(photo_url(entry)).status_code == 404


def test_an_approval_shows_on_the_photo_page_at_once(
    ready_entry: Callable[..., Entry], moderator: object
) -> None:
    from photos.selectors import renditions_hash

    entry = ready_entry(seed=1)
    assert Client().get(photo_url(entry)).status_code == 404
    entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=renditions_hash(entry.photo.renditions.all()),
    )
    assert Client().get(photo_url(entry)).status_code == 200


def test_a_shared_link_with_a_query_string_gets_the_cached_photo_page(
    approved: Callable[..., Entry],
) -> None:
    """Facebook adds `fbclid=` to every link it sends on: one page for every such address,
    whose language form returns to the photo's own address."""
    entry = approved(seed=1)
    Client().get(photo_url(entry))
    for query in ("?fbclid=IwAR0abc", "?utm_source=whatsapp&utm_medium=share", "?voter=1"):
        with CaptureQueriesContext(connection) as queries:
            html = Client().get(photo_url(entry, query)).content.decode()
        assert len(queries) == 1, query
        assert f'name="next" value="{photo_url(entry)}"' in html
        assert "Confirmer mon vote" not in html  # the vote intent is for a signed-in voter


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_photo_pages_query_is_prepared_once_per_connection_and_survives_losing_it(
    approved: Callable[..., Entry], entrant: Participant
) -> None:
    """Planning it costs ten times running it; a pooler or a restart may drop the statement."""
    from contest.rights import entry_withdraw

    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    entry = approved(seed=1)
    public_id = entry.photo.public_id
    with CaptureQueriesContext(connection) as first:
        state = page_cache.photo_state(public_id=public_id)
    assert state is not None
    assert state.entry_id == entry.pk
    assert state == page_cache.PhotoState.of(entry)
    with CaptureQueriesContext(connection) as again:
        assert page_cache.photo_state(public_id=public_id) == state
    assert [q["sql"].split()[0] for q in again] == ["EXECUTE"]
    assert len(first) in (1, 2)  # PREPARE, unless an earlier test of this process did
    contest = entry.contest
    with CaptureQueriesContext(connection) as gallery:
        page_cache.cache_state(slug=contest.slug)
        assert page_cache.cache_state(slug=contest.slug) == page_cache.CacheState(
            contest.pk, contest.gallery_version, contest.status, contest.show_votes
        )
    assert gallery[-1]["sql"].startswith("EXECUTE")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler resetting the session does
    assert page_cache.photo_state(public_id=public_id) == state
    assert page_cache.cache_state(slug=contest.slug) is not None
    assert entry_withdraw(entry_id=entry.pk, participant=entrant)
    assert page_cache.photo_state(public_id=public_id) is None
