"""The "discover" order's arithmetic (gallery/discover.py, contest/shuffle.py): every photo
once per scroll, an order that does not move, and first pages shared out evenly."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest.shuffle import KEY_SPACE, shuffle_key
from gallery import discover

keys_st = st.sets(st.integers(0, KEY_SPACE - 1), max_size=60).map(sorted)
starts_st = st.integers(0, discover.BUCKETS - 1).map(lambda b: b * discover.BUCKET_WIDTH)


def golden_keys(count: int) -> list[int]:
    return sorted(shuffle_key(serial) for serial in range(1, count + 1))


@given(keys=keys_st, start=starts_st, size=st.integers(1, 8))
def test_it_shows_every_photo_once_over_a_whole_scroll_from_any_start(
    keys: list[int], start: int, size: int
) -> None:
    pages = discover.scroll(keys, start, size)
    seen = [key for page in pages for key in page]
    # From the start upwards, round past the top, back to the start: no gap, no repeat.
    assert seen == [k for k in keys if k >= start] + [k for k in keys if k < start]
    assert all(len(page) == size for page in pages[:-1])


@given(keys=keys_st, start=starts_st, size=st.integers(1, 8))
def test_it_follows_a_page_from_its_cursor_alone(keys: list[int], start: int, size: int) -> None:
    pages = discover.scroll(keys, start, size)
    for before, after in zip(pages, [*pages[1:], []], strict=False):
        position = discover.parse_cursor(discover.cursor_of(discover.Position(start), before[-1]))
        assert position == discover.Position(start, before[-1])
        assert discover.page_after(keys, position, size) == after


@given(keys=keys_st, size=st.integers(1, 8))
def test_each_first_page_share_adds_up_to_every_bucket_showing_a_full_page(
    keys: list[int], size: int
) -> None:
    shares = discover.exposure(keys, size)
    if len(keys) > size:
        assert sum(shares) == discover.BUCKETS * size
    else:
        assert shares == [discover.BUCKETS] * len(keys)


@given(keys=keys_st, start=starts_st, size=st.integers(1, 8))
def test_a_photo_is_on_the_first_page_of_a_start_just_below_it(
    keys: list[int], start: int, size: int
) -> None:
    """What exposure() counts: the starts in the `size` gaps below the photo's key."""
    page = set(discover.first_page(keys, start, size))
    for i, key in enumerate(keys):
        if len(keys) <= size:
            assert key in page
            continue
        below = keys[i - size]
        inside = below < start <= key if below < key else start > below or start <= key
        assert (key in page) == inside


def test_golden_ratio_keys_give_every_photo_about_the_same_share_of_first_pages() -> None:
    for count in (100, 2_000, 30_000):
        shares = discover.exposure(golden_keys(count), 48)
        assert max(shares) / min(shares) <= 1.15, count


def test_photos_approved_late_get_the_same_share_as_early_ones() -> None:
    keys = [shuffle_key(serial) for serial in range(1, 20_001)]
    share = dict(zip(sorted(keys), discover.exposure(sorted(keys), 48), strict=True))
    early = [share[k] for k in keys[:1000]]
    late = [share[k] for k in keys[-1000:]]
    assert abs(sum(late) / sum(early) - 1) < 0.05


def test_a_few_withdrawn_photos_do_not_spoil_the_balance() -> None:
    keys = golden_keys(20_000)
    kept = [k for i, k in enumerate(keys) if i % 10 != 3]  # one in ten withdrawn
    shares = discover.exposure(kept, 48)
    assert max(shares) / min(shares) <= 1.3


def test_ten_thousand_visitors_see_every_photo_about_as_often() -> None:
    keys = golden_keys(20_000)
    starts = [discover.visitor_start(n) for n in range(1, 10_001)]
    seen = discover.appearances(keys, starts, 48)
    assert max(seen.values()) / min(seen.values()) <= 1.5


def test_consecutive_visitors_start_far_apart() -> None:
    starts = [discover.visitor_start(n) for n in range(1, 101)]
    assert len(set(starts)) == 100
    ordered = sorted(starts)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    assert min(gaps) > KEY_SPACE // 400  # no two bunched: near-equal gaps (~1/100 each)


def test_every_serial_gets_its_own_key() -> None:
    keys = {shuffle_key(serial) for serial in range(1, 200_001)}
    assert len(keys) == 200_000
    assert all(0 <= k < KEY_SPACE for k in keys)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "x",
        "1_",
        "_1",
        "1_2_3",
        "-32768_5",
        "+1_5",
        f"{KEY_SPACE}_1",
        f"0_{KEY_SPACE}",
        "9" * 30,
    ],
)
def test_it_refuses_a_cursor_that_is_not_one_of_ours(cursor: str) -> None:
    assert discover.parse_cursor(cursor) is None


@given(start=starts_st, last=st.integers(0, KEY_SPACE - 1))
def test_a_cursor_reads_back_as_it_was_written(start: int, last: int) -> None:
    position = discover.Position(start, last)
    assert discover.parse_cursor(discover.cursor_of(position, last)) == position
