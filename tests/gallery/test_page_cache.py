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
