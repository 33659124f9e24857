"""The "discover" order of the gallery: where each visitor starts, and how a page follows
the one before. Pure: plain integers in, plain integers out.

Every approved entry has a key in [0, KEY_SPACE) (contest.shuffle), near-equally spaced. A
visitor starts at a point of the key space, their *start*, and reads the keys upwards from
it, round past the top to the lowest keys, and stops when back at the start: each page is a
range of keys, one index range scan whatever the size of the gallery, and the whole scroll
shows every photo once, in an order that is the visitor's own and does not move.

A start is either the first key of one of BUCKETS equal buckets (`bucket_start`: a random
start, and the starts handed out before the turns below) or a photo's key (the turns): two
visitors of the same start see the same pages, which is what makes a page cacheable. A
photo is on the first page of every bucket whose start falls in the stretch of key space
just below it, the `size` gaps before its key: with near-equal gaps and a bucket far
narrower than a page of photos, every photo is on about as many first pages as any other.

New visitors are handed starts in turn (`round_robin_rank`): the n-th new visitor of a
contest starts at the photo ranked (n - 1) * size in key order, so that consecutive new
visitors' first pages follow each other round the whole gallery without overlap, and every
photo is on a first page as often as any other, give or take one. A start is then a photo's
key; `bucket_start` gives one when the turn cannot be counted (no shared cache), and
`visitor_start` spreads the starts of numbered visitors over the buckets (the bench's
returning visitors).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from contest.shuffle import KEY_SPACE, shuffle_key

__all__ = [
    "BUCKETS",
    "BUCKET_WIDTH",
    "KEY_SPACE",
    "Position",
    "Segment",
    "bucket_start",
    "cursor_of",
    "exposure",
    "first_page",
    "page_starts",
    "parse_cursor",
    "round_robin_rank",
    "round_robin_start",
    "scroll",
    "segments",
    "visitor_start",
]

# 2^16 buckets of 2^15 keys. At 250,000 photos a page of 48 spans ~12.6 buckets, so each
# photo is on 12 or 13 buckets' first pages; the buckets stay finer than a page of photos
# up to ~1.5 million photos in one contest.
BUCKET_BITS = 16
BUCKETS = 1 << BUCKET_BITS
BUCKET_WIDTH = KEY_SPACE // BUCKETS


def bucket_start(point: int) -> int:
    """The start of the bucket holding `point` of the key space."""
    point %= KEY_SPACE
    return point - point % BUCKET_WIDTH


def visitor_start(number: int) -> int:
    """The start handed to the `number`-th new visitor: the golden-ratio sequence again, so
    that however many visitors came, their starts are spread evenly over the key space."""
    return bucket_start(shuffle_key(number))


@dataclass(frozen=True)
class Position:
    """Where a visitor is in their scroll: their start, and the last key they were shown
    (None on the first page)."""

    start: int
    after: int | None = None


@dataclass(frozen=True)
class Segment:
    """Keys low <= key < high, read upwards."""

    low: int
    high: int


def segments(position: Position) -> list[Segment]:
    """The key ranges that follow `position`, in reading order: up to the top of the key
    space, then from the bottom back to the start."""
    start, after = position.start, position.after
    if after is None:
        return [Segment(start, KEY_SPACE), Segment(0, start)]
    if after >= start:
        return [Segment(after + 1, KEY_SPACE), Segment(0, start)]
    return [Segment(after + 1, start)]


def cursor_of(position: Position, last_key: int) -> str:
    """The "load more" cursor after `last_key`: the start and the last key shown."""
    return f"{position.start}_{last_key}"


def parse_cursor(cursor: str) -> Position | None:
    """The position a cursor names, or None when it is not one of ours."""
    start, sep, last = cursor.partition("_")
    if not sep or not start.isdigit() or not last.isdigit() or len(cursor) > 24:
        return None
    begin, after = int(start), int(last)
    if begin >= KEY_SPACE or after >= KEY_SPACE:
        return None
    return Position(start=begin, after=after)


def round_robin_rank(number: int, count: int, size: int) -> int:
    """The rank, in key order, of the photo the `number`-th new visitor (from 1) starts at,
    among `count` photos: whole pages one after the other, round the gallery and on, each
    turn taking up where the one before stopped, so that no photo is left out."""
    return ((number - 1) * size) % count if count else 0


# --- the same order over a list of keys: for tests, the fairness figures and the bench ------


def _read(keys: Sequence[int], segment: Segment, count: int) -> list[int]:
    begin = bisect.bisect_left(keys, segment.low)
    end = bisect.bisect_left(keys, segment.high)
    return list(keys[begin : min(end, begin + count)])


def first_page(keys: Sequence[int], start: int, size: int) -> list[int]:
    """The keys of the first page of a visitor starting at `start` (`keys` sorted)."""
    return page_after(keys, Position(start), size)


def page_after(keys: Sequence[int], position: Position, size: int) -> list[int]:
    """The keys of the page that follows `position` (`keys` sorted, distinct)."""
    page: list[int] = []
    for segment in segments(position):
        page += _read(keys, segment, size - len(page))
        if len(page) == size:
            break
    return page


def scroll(keys: Sequence[int], start: int, size: int) -> list[list[int]]:
    """Every page of a visitor's scroll, to the end."""
    pages = []
    position = Position(start)
    while page := page_after(keys, position, size):
        pages.append(page)
        position = Position(start, page[-1])
    return pages


def exposure(keys: Sequence[int], size: int) -> list[int]:
    """For each key (`keys` sorted, distinct), on how many buckets' first pages it is: the
    number of bucket starts in the stretch (key `size` places below, key] of the key space,
    round past zero. Each bucket being as likely as any other, it is the photo's share of
    first pages."""
    n = len(keys)
    if n <= size:
        return [BUCKETS] * n  # every first page shows every photo

    def starts_up_to(point: int) -> int:  # bucket starts s with 0 <= s <= point
        return point // BUCKET_WIDTH + 1

    counts = []
    for i, key in enumerate(keys):
        below = keys[i - size]  # i - size < 0: a key near the top, round past zero
        if below < key:
            counts.append(starts_up_to(key) - starts_up_to(below))
        else:
            counts.append(starts_up_to(key) + BUCKETS - starts_up_to(below))
    return counts


def page_starts(keys: Sequence[int], size: int) -> list[int]:
    """The keys at ranks 0, size, 2 * size... of `keys` (sorted): where whole pages start."""
    return list(keys[::size])


def round_robin_start(keys: Sequence[int], number: int, size: int) -> int:
    """The start of the `number`-th new visitor over `keys` (sorted), as the site hands it."""
    return keys[round_robin_rank(number, len(keys), size)] if keys else 0


def appearances(keys: Sequence[int], starts: Iterable[int], size: int) -> dict[int, int]:
    """How many of the visitors starting at `starts` saw each key on their first page."""
    seen = dict.fromkeys(keys, 0)
    for start in starts:
        for key in first_page(keys, start, size):
            seen[key] += 1
    return seen
