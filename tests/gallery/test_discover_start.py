"""Where new "discover" visitors start: in turn, whole pages one after the other round the
gallery, so that consecutive visitors see different photos and every photo is on a first
page as often as any other; each visitor keeps their start; a cache outage is not an error."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

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


# --- the starts' list: read by one process at a time, not per visitor -------------------


def starts_key(contest: Contest) -> str:
    return f"{services.DISCOVER_STARTS_KEY}:{contest.pk}:{selectors.PAGE_SIZE}"


@pytest_db
def test_a_new_visitor_mid_page_costs_one_short_lookup_and_no_list_read(
    contest: Contest, seven: list[Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(10):  # a whole lap of starts (their pages cached), and three more
        Client().get(gallery_url(contest))
    asked: list[str] = []
    get = cache.get

    def spy(key: str, *args: Any, **kwargs: Any) -> object:
        asked.append(key)
        return get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", spy)
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(gallery_url(contest))
    # The 11th visitor: rank 30 % 7 = 2, the third photo of the first page.
    assert titles(response.content.decode()) == in_key_order(seven, 30, 31, 32)
    # The gallery version, then the photo two places into the page (one short range scan of
    # the index): the page came from the cache, the list of starts from this process's copy.
    assert len(queries) == 2
    assert "OFFSET 2" in queries[1]["sql"].upper()
    assert not [key for key in asked if key.startswith(services.DISCOVER_STARTS_KEY)]


@pytest_db
def test_two_visitors_at_once_when_the_starts_are_due_read_them_once(
    contest: Contest, seven: list[Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    reading = selectors.discover_page_starts
    during: list[int] = []

    def read_while_another_visitor_comes(**kwargs: int) -> selectors.DiscoverStarts:
        # A second visitor of another process (no copy of its own) arrives mid-reading.
        services._local_starts.clear()
        with CaptureQueriesContext(connection) as theirs:
            during.append(services.discover_visitor_start(contest_id=contest.pk))
        assert len(theirs) == 0  # no reading of their own, no waiting for this one
        return reading(**kwargs)

    monkeypatch.setattr(selectors, "discover_page_starts", read_while_another_visitor_comes)
    with CaptureQueriesContext(connection) as queries:
        first = services.discover_visitor_start(contest_id=contest.pk)
    assert len(queries) == 1  # the keys, read once for both
    assert first == seven[0].shuffle_key  # the first visitor's turn
    assert during == [discover.bucket_start(during[0])]  # no list yet: a random start
    # The lock is gone with the reading: the next visitors take their turns from it.
    services._local_starts.clear()
    monkeypatch.setattr(selectors, "discover_page_starts", reading)
    with CaptureQueriesContext(connection) as queries:
        assert services.discover_visitor_start(contest_id=contest.pk) == seven[6].shuffle_key
    assert len(queries) == 0  # visitor 3: rank 6, a page's start, from the shared copy


@pytest_db
def test_while_one_process_reads_the_due_starts_the_others_use_the_last_reading(
    contest: Contest, seven: list[Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "DISCOVER_STARTS_SECONDS", -1)  # always due
    services.discover_visitor_start(contest_id=contest.pk)  # visitor 1 reads them
    services._local_starts.clear()
    assert cache.add(f"{starts_key(contest)}:lock", 1)  # another process is reading them
    with CaptureQueriesContext(connection) as queries:
        second = services.discover_visitor_start(contest_id=contest.pk)
    assert second == seven[3].shuffle_key  # their turn, from the last reading
    assert len(queries) == 0
    cache.delete(f"{starts_key(contest)}:lock")  # that process is done...
    services._local_starts.clear()
    with CaptureQueriesContext(connection) as queries:
        third = services.discover_visitor_start(contest_id=contest.pk)
    assert third == seven[6].shuffle_key
    assert len(queries) == 1  # ...and they were still due: read again, by this visitor


def test_many_processes_at_once_read_the_starts_once_and_nobody_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Threads for processes (each with no copy of its own), on the shared cache's lock."""
    calls: list[int] = []
    contest_id = 987_654  # no database: the reading is a stand-in

    def slow_reading(*, contest_id: int, size: int) -> selectors.DiscoverStarts:
        calls.append(contest_id)
        time.sleep(1)
        # Whole pages only (no lookup of a key mid-page), each a bucket's start.
        starts = [page * 7 * discover.BUCKET_WIDTH for page in range(10)]
        return selectors.DiscoverStarts(count=size * 10, starts=starts)

    monkeypatch.setattr(selectors, "discover_page_starts", slow_reading)
    monkeypatch.setattr(services, "_local_starts", ThreadLocalStarts())
    barrier = threading.Barrier(6)
    waited: dict[int, tuple[float, int]] = {}

    def visitor(n: int) -> None:
        barrier.wait()
        began = time.perf_counter()
        start = services.discover_visitor_start(contest_id=contest_id)
        waited[n] = (time.perf_counter() - began, start)

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert calls == [contest_id]  # one reading
    quick = [start for seconds, start in waited.values() if seconds < 0.5]
    assert len(waited) == 6 and len(quick) == 5  # the others did not wait for it
    assert all(start == discover.bucket_start(start) for start in quick)


class ThreadLocalStarts(threading.local):
    """services._local_starts, one per thread: each thread a process of its own."""

    def __init__(self) -> None:
        self.starts: dict[str, tuple[float, selectors.DiscoverStarts]] = {}

    def get(self, key: str) -> tuple[float, selectors.DiscoverStarts] | None:
        return self.starts.get(key)

    def __setitem__(self, key: str, value: tuple[float, selectors.DiscoverStarts]) -> None:
        self.starts[key] = value

    def clear(self) -> None:
        self.starts.clear()
