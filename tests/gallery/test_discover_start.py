"""Where new "discover" visitors start: in turn, whole pages one after the other round the
gallery, so that consecutive visitors see different photos and every photo is on a first
page as often as any other; each visitor keeps their start; a cache outage is not an error."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contest.models import Contest, Entry
from contest.shuffle import shuffle_key
from gallery import discover, selectors, services
from gallery.views import START_COOKIE
from moderation.services import entry_decide

SIZE = 48


def golden_keys(count: int) -> list[int]:
    return sorted(shuffle_key(n) for n in range(1, count + 1))


def first_pages(keys: list[int], visitors: int, size: int) -> list[list[int]]:
    return [
        discover.first_page(keys, discover.round_robin_start(keys, n, size), size)
        for n in range(1, visitors + 1)
    ]


# --- the turns, over plain keys ----------------------------------------------------------


def test_consecutive_new_visitors_see_consecutive_pages_without_overlap() -> None:
    keys = golden_keys(1_000)
    pages = first_pages(keys, 20, SIZE)  # 960 photos: less than one lap
    shown = [key for page in pages for key in page]
    assert shown == keys[: 20 * SIZE]  # one page after the other, none twice


def test_the_lap_wraps_round_and_the_next_one_takes_up_where_it_stopped() -> None:
    keys = golden_keys(100)
    pages = first_pages(keys, 5, SIZE)
    assert pages[2] == keys[96:] + keys[:44]  # the third visitor's page wraps past the top
    assert pages[3] == keys[44:92]  # and the fourth carries on from there
    assert pages[4] == keys[92:] + keys[:40]


@pytest.mark.parametrize(("photos", "best"), [(250_000, 2.0), (25_000, 20 / 19)])
def test_ten_thousand_visitors_see_every_photo_as_often_as_whole_counts_allow(
    photos: int, best: float
) -> None:
    keys = golden_keys(photos)
    starts = [discover.round_robin_start(keys, n, SIZE) for n in range(1, 10_001)]
    seen = discover.appearances(keys, starts, SIZE).values()
    assert min(seen) >= 1
    assert max(seen) / min(seen) == pytest.approx(best)


# --- the site's turns ---------------------------------------------------------------------


pytest_db = pytest.mark.django_db


def gallery_url(contest: Contest) -> str:
    return reverse("gallery:gallery", args=[contest.slug]) + "?ordre=discover"


def titles(html: str) -> list[str]:
    return re.findall(r'<span class="tile-title">(?:<[^>]+>[^<]*</[^>]+> )?([^<]+)</span>', html)


@pytest.fixture
def seven(approved: Callable[..., Entry], monkeypatch: pytest.MonkeyPatch) -> list[Entry]:
    """Seven public photos, in pages of 3, in key order."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    entries = [approved(seed=i, title=f"Photo {i}") for i in range(7)]
    return sorted(entries, key=lambda e: e.shuffle_key or 0)


def in_key_order(seven: list[Entry], *ranks: int) -> list[str]:
    return [seven[rank % len(seven)].title for rank in ranks]


@pytest_db
def test_new_visitors_one_after_the_other_see_the_next_photos(
    contest: Contest, seven: list[Entry]
) -> None:
    firsts = [titles(Client().get(gallery_url(contest)).content.decode()) for _ in range(4)]
    assert firsts == [
        in_key_order(seven, 0, 1, 2),
        in_key_order(seven, 3, 4, 5),
        in_key_order(seven, 6, 7, 8),  # round past the last photo to the first ones
        in_key_order(seven, 9, 10, 11),  # the next lap takes up where that one stopped
    ]


@pytest_db
def test_a_visitor_keeps_their_first_page_while_others_come_and_go(
    contest: Contest, seven: list[Entry]
) -> None:
    visitor = Client()
    mine = titles(visitor.get(gallery_url(contest)).content.decode())
    for _ in range(3):
        Client().get(gallery_url(contest))
    assert titles(visitor.get(gallery_url(contest)).content.decode()) == mine


@pytest_db
def test_visitors_given_the_same_start_share_the_cached_page(
    contest: Contest, seven: list[Entry]
) -> None:
    for _ in range(7):  # a whole lap of 7 photos in pages of 3: 7 visitors, 7 starts
        Client().get(gallery_url(contest))
    first = Client().get(gallery_url(contest)).content.decode()
    assert titles(first) == in_key_order(seven, 21, 22, 23)  # 21 = 3 laps: back to rank 0
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(gallery_url(contest))
    assert len(queries) == 1  # the gallery version: the page came from the cache
    assert titles(response.content.decode()) == in_key_order(seven, 24, 25, 26)


@pytest_db
def test_a_photo_refused_after_the_turns_were_counted_is_never_shown(
    contest: Contest, seven: list[Entry], moderator: object
) -> None:
    Client().get(gallery_url(contest))  # the starts are read and cached
    gone = seven[3]  # the next visitor's start
    entry_decide(
        entry_id=gone.pk,
        version=Entry.objects.get(pk=gone.pk).version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=False,
        reason=Entry.Reason.OTHER,
    )
    shown = titles(Client().get(gallery_url(contest)).content.decode())
    assert gone.title not in shown
    assert shown == in_key_order(seven, 4, 5, 6)


@pytest_db
def test_without_the_cache_a_new_visitor_gets_a_random_start_not_an_error(
    contest: Contest, seven: list[Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> int:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)
    response = Client().get(gallery_url(contest))
    assert response.status_code == 200
    assert START_COOKIE in response.cookies  # their start, kept as any other
    assert len(titles(response.content.decode())) == 3
    start = services.discover_visitor_start(contest_id=contest.pk)
    assert start == discover.bucket_start(start)  # a bucket's start, drawn at random


@pytest_db
def test_an_empty_gallery_starts_new_visitors_at_zero(contest: Contest) -> None:
    assert services.discover_visitor_start(contest_id=contest.pk) == 0
    response = Client().get(gallery_url(contest))
    assert response.status_code == 200
