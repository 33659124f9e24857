"""The gallery's "discover" order: each visitor's own start, kept while they scroll, every
photo once, a fixed number of queries, and pages shared (and cached) by a bucket's visitors."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contest.models import Contest, Entry
from contest.shuffle import shuffle_key
from gallery import discover, selectors
from gallery.views import START_COOKIE
from moderation.services import entry_decide
from photos.selectors import renditions_hash

pytestmark = pytest.mark.django_db


def gallery_url(contest: Contest, query: str = "?ordre=discover") -> str:
    return reverse("gallery:gallery", args=[contest.slug]) + query


def titles(html: str) -> list[str]:
    return re.findall(r'<span class="tile-title">(?:<[^>]+>[^<]*</[^>]+> )?([^<]+)</span>', html)


def next_link(html: str) -> str:
    match = re.search(r'<a class="button" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else ""


@pytest.fixture
def seven(approved: Callable[..., Entry], monkeypatch: pytest.MonkeyPatch) -> list[Entry]:
    """Seven public photos, in pages of 3."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    return [approved(seed=i, title=f"Photo {i}") for i in range(7)]


def test_each_approved_photo_gets_the_next_key_of_its_contest_once(
    contest: Contest, seven: list[Entry], moderator: object
) -> None:
    assert [e.shuffle_key for e in seven] == [shuffle_key(n) for n in range(1, 8)]
    contest.refresh_from_db()
    assert contest.shuffle_serial == 7
    # Refused, then approved again: it keeps its place.
    entry = seven[2]
    for approve in (False, True):
        entry.refresh_from_db()
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,  # type: ignore[arg-type]
            approve=approve,
            reason=Entry.Reason.OTHER,
            seen_renditions=renditions_hash(entry.photo.renditions.all()),
        )
    entry.refresh_from_db()
    assert entry.shuffle_key == shuffle_key(3)
    contest.refresh_from_db()
    assert contest.shuffle_serial == 7


@pytest.mark.parametrize("start", [0, discover.bucket_start(shuffle_key(4)) + 1, 1 << 30])
def test_a_whole_scroll_shows_every_photo_once_in_the_order_of_the_keys_from_the_start(
    contest: Contest, seven: list[Entry], start: int
) -> None:
    seen: list[Entry] = []
    page = selectors.gallery_page(contest_id=contest.pk, order="discover", start=start, size=3)
    seen += page.entries
    while page.next_cursor:
        page = selectors.gallery_page(
            contest_id=contest.pk, order="discover", cursor=page.next_cursor, size=3
        )
        seen += page.entries
    keys = sorted(e.shuffle_key for e in seven if e.shuffle_key is not None)
    begin = discover.bucket_start(start)
    expected = [k for k in keys if k >= begin] + [k for k in keys if k < begin]
    assert [e.shuffle_key for e in seen] == expected


def test_a_page_costs_the_same_queries_at_the_start_and_deep_in_the_scroll(
    contest: Contest, seven: list[Entry]
) -> None:
    def queries(**kwargs: object) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            page = selectors.gallery_page(
                contest_id=contest.pk,
                order="discover",
                size=2,
                **kwargs,  # type: ignore[arg-type]
            )
        return len(captured), page.next_cursor

    # Starting at 0 the scroll never wraps past the top of the key space.
    first, cursor = queries(start=0)
    second, cursor = queries(cursor=cursor)
    third, _cursor = queries(cursor=cursor)
    assert first == second == third == 2  # the page, then its renditions
    # The one page that wraps reads a second key range: one query more.
    top = discover.bucket_start(max(e.shuffle_key or 0 for e in seven))
    wrapping, _cursor = queries(start=top)
    assert wrapping == 3


def test_a_visitor_keeps_their_order_and_scrolls_through_every_photo_once(
    contest: Contest, seven: list[Entry]
) -> None:
    visitor = Client()
    response = visitor.get(gallery_url(contest))
    assert response.status_code == 200
    assert START_COOKIE in response.cookies
    html = response.content.decode()
    again = visitor.get(gallery_url(contest)).content.decode()
    assert titles(again) == titles(html)  # the same first page on the next visit
    assert START_COOKIE not in visitor.get(gallery_url(contest)).cookies  # set once
    seen = titles(html)
    link = next_link(html)
    while link:
        html = visitor.get(link).content.decode()
        seen += titles(html)
        link = next_link(html)
    assert sorted(seen) == sorted(e.title for e in seven)
    assert len(seen) == 7


def test_two_new_visitors_start_at_different_places(
    contest: Contest, seven: list[Entry], settings: object
) -> None:
    firsts = [titles(Client().get(gallery_url(contest)).content.decode()) for _ in range(2)]
    assert firsts[0] != firsts[1]
    assert firsts[0][0] != firsts[1][0]


def test_a_forged_start_cookie_gives_a_new_start_not_an_error(
    contest: Contest, seven: list[Entry]
) -> None:
    visitor = Client()
    visitor.cookies[START_COOKIE] = "12345"  # not signed
    response = visitor.get(gallery_url(contest))
    assert response.status_code == 200
    assert START_COOKIE in response.cookies


def test_a_visitor_of_the_same_bucket_gets_the_page_from_the_cache_with_their_own_token(
    contest: Contest, seven: list[Entry]
) -> None:
    first = Client()
    rendered = first.get(gallery_url(contest)).content.decode()
    second = Client()
    second.cookies[START_COOKIE] = first.cookies[START_COOKIE].value
    with CaptureQueriesContext(connection) as queries:
        response = second.get(gallery_url(contest))
    assert len(queries) == 1  # the gallery version: the page came from the cache
    assert START_COOKIE not in response.cookies  # a returning visitor: no cookie to set
    cached = response.content.decode()
    assert titles(cached) == titles(rendered)
    token = r'name="csrfmiddlewaretoken" value="([^"]+)"'
    assert re.findall(token, cached) != re.findall(token, rendered)


def test_a_page_after_the_first_is_cached_for_anyone_following_the_same_link(
    contest: Contest, seven: list[Entry]
) -> None:
    visitor = Client()
    link = next_link(visitor.get(gallery_url(contest)).content.decode())
    assert link
    rendered = visitor.get(link).content.decode()
    with CaptureQueriesContext(connection) as queries:
        cached = Client().get(link).content.decode()
    assert len(queries) == 1
    assert titles(cached) == titles(rendered)


def test_a_refused_photo_leaves_every_cached_discover_page_at_once(
    contest: Contest, seven: list[Entry], moderator: object
) -> None:
    visitor = Client()
    first = visitor.get(gallery_url(contest)).content.decode()
    link = next_link(first)
    later = visitor.get(link).content.decode()
    shown = titles(first)[0]
    deeper = titles(later)[0]
    for title in (shown, deeper):
        entry = Entry.objects.get(title=title)
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,  # type: ignore[arg-type]
            approve=False,
            reason=Entry.Reason.OTHER,
        )
    assert shown not in titles(visitor.get(gallery_url(contest)).content.decode())
    assert deeper not in titles(Client().get(link).content.decode())


def test_an_invalid_discover_cursor_gives_the_first_page_and_no_cache_entry(
    contest: Contest, seven: list[Entry]
) -> None:
    from django.core.cache import cache

    visitor = Client()
    first = titles(visitor.get(gallery_url(contest)).content.decode())
    keys_before = set(cache._cache.keys())  # type: ignore[attr-defined]
    for junk in ("5_-1", f"{1 << 31}_1", "32768_" + "9" * 30, "x_y"):
        response = visitor.get(gallery_url(contest, f"?ordre=discover&apres={junk}"))
        assert response.status_code == 200
        assert titles(response.content.decode()) == first
    assert set(cache._cache.keys()) == keys_before  # type: ignore[attr-defined]


def test_the_migration_numbers_the_entries_approved_before_it_in_their_order(
    contest: Contest, seven: list[Entry]
) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("contest.migrations.0009_discover_key")
    Entry.objects.update(shuffle_key=None)
    Contest.objects.update(shuffle_serial=0)
    migration.number_approved(apps, None)
    by_approval = Entry.objects.order_by("decided_at", "id").values_list("shuffle_key", flat=True)
    assert list(by_approval) == [shuffle_key(n) for n in range(1, 8)]
    contest.refresh_from_db()
    assert contest.shuffle_serial == 7
