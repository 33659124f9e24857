"""Quorum allocation (jury/assignment.py): pure code, no database.

Hypothesis draws many rounds (0..60 entries, 1..12 jurors, quorum 1..4, forbidden pairs
scattered at random plus sometimes an "author" juror barred from a block of entries), then
changes the jury mid-round with some votes cast. Balance is checked against its definition:
no juror can pass a movable task, directly or along a chain, to a juror two tasks lighter;
loads within one when nothing is forbidden or fixed; and on tiny rounds against brute force.
"""

from __future__ import annotations

import collections
import functools
import itertools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jury.assignment import (
    AssignmentImpossible,
    _deal_free,
    add_juror,
    assign,
    raise_quorum,
    remove_juror,
)

MANY = settings(max_examples=200, deadline=None)


@dataclass
class Round:
    entries: list[int]
    jurors: list[int]
    quorum: int
    forbidden: set[tuple[int, int]]  # (juror, entry)
    seed: int


@st.composite
def rounds(draw: st.DrawFn, max_entries: int = 60, max_jurors: int = 12) -> Round:
    entries = list(range(draw(st.integers(0, max_entries))))
    jurors = list(range(100, 100 + draw(st.integers(1, max_jurors))))
    quorum = draw(st.integers(1, 4))
    forbidden: set[tuple[int, int]] = set()
    if entries:
        pairs = st.tuples(st.sampled_from(jurors), st.sampled_from(entries))
        forbidden |= set(draw(st.lists(pairs, max_size=3 * len(entries))))
        if draw(st.booleans()):
            # An author: one juror barred from a block of their own entries.
            author = draw(st.sampled_from(jurors))
            start = draw(st.integers(0, len(entries) - 1))
            size = draw(st.integers(1, len(entries)))
            forbidden |= {(author, e) for e in entries[start : start + size]}
    return Round(entries, jurors, quorum, forbidden, draw(st.integers(0, 2**32 - 1)))


def loads(
    assignment: Mapping[int, Collection[int]], tasks: Iterable[tuple[int, int]] | None = None
) -> collections.Counter[int]:
    """Tasks per juror: all of them, or only the (entry, juror) pairs in `tasks`."""
    if tasks is None:
        tasks = [(e, j) for e, on_it in assignment.items() for j in on_it]
    return collections.Counter(j for _, j in tasks)


def assert_no_improving_chain(
    assignment: Mapping[int, Collection[int]],
    *,
    active: Collection[int],
    movable: Collection[tuple[int, int]],
    load: Mapping[int, int],
    forbidden: Collection[tuple[int, int]],
) -> None:
    """No active juror x can pass a movable task along a chain to a y with load <= x - 2.

    Edge x -> y: x holds a movable task on entry e, y is not on e and not forbidden on it.
    """
    edges: dict[int, set[int]] = {x: set() for x in active}
    for entry, juror in movable:
        edges[juror] |= {
            y for y in active if y not in assignment[entry] and (y, entry) not in forbidden
        }
    for x in active:
        reach: set[int] = set()
        todo = [x]
        while todo:
            for y in edges[todo.pop()] - reach:
                reach.add(y)
                todo.append(y)
        for y in reach:
            assert load[x] - load[y] <= 1, (
                f"juror {x} ({load[x]}) could pass a task to {y} ({load[y]})"
            )


def eligible_count(
    entry: int,
    jurors: Iterable[int],
    fixed: Collection[int],
    forbidden: Collection[tuple[int, int]],
) -> int:
    return len(set(fixed) | {j for j in jurors if (j, entry) not in forbidden})


def assert_valid(
    result: Mapping[int, set[int]],
    *,
    entries: Iterable[int],
    quorum: int,
    forbidden: Collection[tuple[int, int]],
    kept: Iterable[tuple[int, int]] = (),
) -> None:
    assert sorted(result) == sorted(entries)
    for entry, on_it in result.items():
        assert len(on_it) == quorum, f"entry {entry} has {sorted(on_it)}"
        assert not {(j, entry) for j in on_it} & set(forbidden)
    for entry, juror in kept:
        assert juror in result[entry], f"({entry}, {juror}) was dropped"


@MANY
@given(rounds())
def test_it_meets_the_quorum_without_forbidden_pairs_and_with_balanced_loads(r: Round) -> None:
    """Quorum met with distinct jurors, no forbidden pair, loads optimal; or a refusal
    exactly when some entry has fewer eligible jurors than the quorum."""
    short = [e for e in r.entries if eligible_count(e, r.jurors, (), r.forbidden) < r.quorum]
    if short:
        with pytest.raises(AssignmentImpossible) as refused:
            assign(r.entries, r.jurors, quorum=r.quorum, forbidden=r.forbidden, seed=r.seed)
        assert sorted(refused.value.eligible) == short
        return
    result = assign(r.entries, r.jurors, quorum=r.quorum, forbidden=r.forbidden, seed=r.seed)
    assert_valid(result, entries=r.entries, quorum=r.quorum, forbidden=r.forbidden)
    load = loads(result)
    assert set(load) <= set(r.jurors)
    assert_no_improving_chain(
        result,
        active=r.jurors,
        movable=[(e, j) for e, on_it in result.items() for j in on_it],
        load={j: load[j] for j in r.jurors},
        forbidden=r.forbidden,
    )


@MANY
@given(rounds().map(lambda r: Round(r.entries, r.jurors, r.quorum, set(), r.seed)))
def test_it_keeps_loads_within_one_when_nothing_is_forbidden(r: Round) -> None:
    if len(r.jurors) < r.quorum and r.entries:
        with pytest.raises(AssignmentImpossible, match=f"cannot have {r.quorum} jurors"):
            assign(r.entries, r.jurors, quorum=r.quorum, seed=r.seed)
        return
    load = loads(assign(r.entries, r.jurors, quorum=r.quorum, seed=r.seed))
    counts = [load[j] for j in r.jurors]
    assert max(counts) - min(counts) <= 1


@st.composite
def rounds_with_existing(draw: st.DrawFn, **sizes: int) -> tuple[Round, dict[int, set[int]]]:
    """A round where some entries already have jurors, including one no longer on the jury."""
    r = draw(rounds(**sizes))
    existing: dict[int, set[int]] = {}
    for entry in r.entries:
        allowed = [j for j in [*r.jurors, 99] if (j, entry) not in r.forbidden]
        on_it = draw(st.lists(st.sampled_from(allowed), max_size=r.quorum, unique=True))
        if on_it:
            existing[entry] = set(on_it)
    return r, existing


@MANY
@given(rounds_with_existing())
def test_it_keeps_existing_jurors_and_counts_them_in_the_loads(
    case: tuple[Round, dict[int, set[int]]],
) -> None:
    r, existing = case
    deal = functools.partial(
        assign,
        r.entries,
        r.jurors,
        quorum=r.quorum,
        forbidden=r.forbidden,
        existing=existing,
        seed=r.seed,
    )
    short = [
        e
        for e in r.entries
        if eligible_count(e, r.jurors, existing.get(e, ()), r.forbidden) < r.quorum
    ]
    if short:
        with pytest.raises(AssignmentImpossible):
            deal()
        return
    result = deal()
    kept = [(e, j) for e, on_it in existing.items() for j in on_it]
    assert_valid(result, entries=r.entries, quorum=r.quorum, forbidden=r.forbidden, kept=kept)
    load = loads(result)
    assert_no_improving_chain(
        result,
        active=r.jurors,
        movable=[
            (e, j) for e, on_it in result.items() for j in on_it if j not in existing.get(e, ())
        ],
        load={j: load[j] for j in r.jurors},
        forbidden=r.forbidden,
    )


@MANY
@given(rounds_with_existing(max_entries=4, max_jurors=4))
def test_it_balances_as_well_as_the_best_possible_assignment(
    case: tuple[Round, dict[int, set[int]]],
) -> None:
    """On tiny rounds, every valid assignment is tried: ours has the least sum of squared
    loads, the least largest load and the greatest smallest load."""
    r, existing = case
    options = []
    for entry in r.entries:
        fixed = existing.get(entry, set())
        free = [j for j in r.jurors if j not in fixed and (j, entry) not in r.forbidden]
        options.append(
            [fixed | set(c) for c in itertools.combinations(free, r.quorum - len(fixed))]
        )
    if not all(options):
        return  # impossible: checked by the tests above
    result = assign(
        r.entries, r.jurors, quorum=r.quorum, forbidden=r.forbidden, existing=existing, seed=r.seed
    )

    def profile(on_entries: Iterable[set[int]]) -> list[int]:
        load = collections.Counter(j for on_it in on_entries for j in on_it)
        return [load[j] for j in r.jurors]

    every = [profile(choice) for choice in itertools.product(*options)]
    ours = profile(result.values())
    assert sum(x * x for x in ours) == min(sum(x * x for x in p) for p in every)
    assert max(ours) == min(max(p) for p in every)
    assert min(ours) == max(min(p) for p in every)


@st.composite
def mid_rounds(
    draw: st.DrawFn,
) -> tuple[Round, dict[int, set[int]], set[tuple[int, int]], set[tuple[int, int]]]:
    """A dealt round, the votes cast so far, and the newcomer's own entries."""
    r = draw(rounds())
    if any(eligible_count(e, r.jurors, (), r.forbidden) < r.quorum for e in r.entries):
        r = Round(r.entries, r.jurors, r.quorum, set(), r.seed)
    if len(r.jurors) < r.quorum:
        r = Round(
            r.entries, [*r.jurors, *range(200, 200 + r.quorum)], r.quorum, r.forbidden, r.seed
        )
    dealt = assign(r.entries, r.jurors, quorum=r.quorum, forbidden=r.forbidden, seed=r.seed)
    tasks = sorted((e, j) for e, on_it in dealt.items() for j in on_it)
    done = set(draw(st.lists(st.sampled_from(tasks), unique=True))) if tasks else set()
    newcomer_own = (
        {(1000, e) for e in draw(st.lists(st.sampled_from(r.entries)))} if r.entries else set()
    )
    return r, dealt, done, newcomer_own


@MANY
@given(mid_rounds(), st.data())
def test_it_shares_the_open_work_when_jurors_join_and_leave(
    case: tuple[Round, dict[int, set[int]], set[tuple[int, int]], set[tuple[int, int]]],
    data: st.DataObject,
) -> None:
    """A juror joins, then one leaves: done votes stay, quorum and forbidden pairs hold,
    and the open work is balanced (no improving chain over open tasks)."""
    r, dealt, done, newcomer_own = case
    forbidden = r.forbidden | newcomer_own
    open_tasks = {(e, j) for e, on_it in dealt.items() for j in on_it} - done

    joined = add_juror(
        dealt,
        1000,
        quorum=r.quorum,
        open_tasks=open_tasks,
        forbidden=forbidden,
        jurors=r.jurors,
        seed=r.seed,
    )
    assert_valid(joined, entries=r.entries, quorum=r.quorum, forbidden=forbidden, kept=done)
    jury = [*r.jurors, 1000]
    open_joined = {(e, j) for e, on_it in joined.items() for j in on_it} - done
    assert {e for e, j in open_joined if j == 1000} <= {e for e, _ in open_tasks}
    open_load = loads(joined, open_joined)
    assert_no_improving_chain(
        joined,
        active=jury,
        movable=open_joined,
        load={j: open_load[j] for j in jury},
        forbidden=forbidden,
    )

    leaving = data.draw(st.sampled_from(jury))
    still = [j for j in jury if j != leaving]
    kept_votes = done
    short = [
        e
        for e in r.entries
        if eligible_count(e, still, {j for j in joined[e] if (e, j) in done}, forbidden) < r.quorum
    ]
    remove = functools.partial(
        remove_juror,
        joined,
        leaving,
        quorum=r.quorum,
        open_tasks=open_joined,
        forbidden=forbidden,
        jurors=jury,
        seed=r.seed,
    )
    if short:
        with pytest.raises(AssignmentImpossible):
            remove()
        return
    if not any(leaving in on_it for on_it in joined.values()):
        with pytest.raises(ValueError, match="not in the assignment"):
            remove()
        return
    left = remove()
    assert_valid(left, entries=r.entries, quorum=r.quorum, forbidden=forbidden, kept=kept_votes)
    assert {e for e, on_it in left.items() if leaving in on_it} == {
        e for e, j in done if j == leaving
    }
    open_left = {(e, j) for e, on_it in left.items() for j in on_it} - done
    open_load = loads(left, open_left)
    assert_no_improving_chain(
        left,
        active=still,
        movable=open_left,
        load={j: open_load[j] for j in still},
        forbidden=forbidden,
    )


def test_it_moves_tasks_when_dealing_alone_would_leave_a_juror_idle() -> None:
    """Entries 0 and 1, jurors 1..4, quorum 2; juror 2 may not judge entry 0, juror 4 not
    entry 1. Four tasks, four jurors: one each is possible ({1, 4} and {2, 3}, or {3, 4}
    and {1, 2}). Dealing entry 0 first to {1, 3} leaves entry 1 (eligible 1, 2, 3) to take
    juror 2 and one of 1 and 3: loads 2, 1, 1, 0. The chain search must then move a task
    (3 hands entry 0 to 4, say) to reach 1, 1, 1, 1, whatever the seed.
    """
    for seed in range(20):
        result = assign([0, 1], [1, 2, 3, 4], quorum=2, forbidden={(2, 0), (4, 1)}, seed=seed)
        assert sorted(loads(result).values()) == [1, 1, 1, 1], f"seed {seed}: {result}"


def test_it_gives_a_newcomer_a_fair_share_taken_from_the_busiest() -> None:
    """30 entries, 3 jurors, quorum 2: 20 tasks each. Juror 1 has voted 10 times, juror 2
    five times, juror 3 never: open 10, 15, 20 (45 in all). A fourth juror arrives: open
    work shared 45 / 4, so loads 11 or 12 each, and no done vote moves."""
    dealt = assign(range(30), [1, 2, 3], quorum=2, seed=1)
    done = {(e, 1) for e in sorted(e for e, on in dealt.items() if 1 in on)[:10]}
    done |= {(e, 2) for e in sorted(e for e, on in dealt.items() if 2 in on)[:5]}
    open_tasks = {(e, j) for e, on in dealt.items() for j in on} - done
    joined = add_juror(dealt, 4, quorum=2, open_tasks=open_tasks)
    open_after = {(e, j) for e, on in joined.items() for j in on} - done
    assert sorted(loads(joined, open_after).values()) == [11, 11, 11, 12]
    assert done <= {(e, j) for e, on in joined.items() for j in on}


def test_it_deals_a_leaving_jurors_open_tasks_and_keeps_their_votes() -> None:
    dealt = assign(range(12), [1, 2, 3, 4], quorum=2, seed=3)
    done = {(e, 1) for e in sorted(e for e, on in dealt.items() if 1 in on)[:2]}
    open_tasks = {(e, j) for e, on in dealt.items() for j in on} - done
    left = remove_juror(dealt, 1, quorum=2, open_tasks=open_tasks)
    assert {e for e, on in left.items() if 1 in on} == {e for e, _ in done}
    open_after = {(e, j) for e, on in left.items() for j in on} - done
    counts = loads(left, open_after)
    assert 1 not in counts
    assert max(counts.values()) - min(counts.values()) <= 1
    assert sum(counts.values()) == 24 - 2


def test_it_raises_the_quorum_by_adding_tasks_only() -> None:
    dealt = assign(range(20), [1, 2, 3, 4, 5], quorum=2, seed=4)
    raised = raise_quorum(dealt, [1, 2, 3, 4, 5], new_quorum=3)
    assert all(dealt[e] <= raised[e] and len(raised[e]) == 3 for e in dealt)
    assert sorted(loads(raised).values()) == [12] * 5


def test_it_refuses_to_lower_the_quorum() -> None:
    dealt = assign(range(5), [1, 2, 3], quorum=2)
    with pytest.raises(ValueError, match="whose vote to drop"):
        raise_quorum(dealt, [1, 2, 3], new_quorum=1)


def test_it_names_the_entries_that_cannot_reach_the_quorum() -> None:
    """Entry 7 is the work of juror 1 and juror 2 has a conflict: only juror 3 is left."""
    with pytest.raises(AssignmentImpossible, match=r"entry 7: 1\b") as refused:
        assign(range(10), [1, 2, 3], quorum=2, forbidden={(1, 7), (2, 7)})
    assert isinstance(refused.value, ValueError)
    assert refused.value.eligible == {7: 1}


def test_it_gives_the_same_deal_for_the_same_seed() -> None:
    first = assign(range(200), range(8), quorum=3, seed=5)
    assert assign(range(200), range(8), quorum=3, seed=5) == first
    assert assign(range(200), range(8), quorum=3, seed=6) != first


def test_it_spreads_pairs_of_jurors_evenly() -> None:
    """600 entries, 10 jurors, quorum 3: 1800 tasks, 3 pairs per entry, 45 possible pairs,
    so each pair of jurors should judge about 600 x 3 / 45 = 40 entries together.
    Round-robin (entry i to jurors i, i+1, i+2 mod 10) would give 120 to neighbours and 0
    to the others."""
    result = assign(range(600), range(10), quorum=3, seed=0)
    together = collections.Counter(
        pair for on_it in result.values() for pair in itertools.combinations(sorted(on_it), 2)
    )
    assert len(together) == 45
    assert min(together.values()) >= 20 and max(together.values()) <= 60


def test_it_refuses_an_existing_juror_who_is_forbidden() -> None:
    with pytest.raises(ValueError, match=r"entry 2: jurors \[1\] are on it but forbidden"):
        assign(range(4), [1, 2, 3], quorum=2, forbidden={(1, 2)}, existing={2: {1}})


@MANY
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=12),
    st.integers(1, 4),
    st.integers(1, 80),
    st.integers(0, 2**32 - 1),
)
def test_it_deals_open_entries_in_one_pass_with_distinct_jurors_and_level_loads(
    start: list[int], quorum: int, rows: int, seed: int
) -> None:
    """The NumPy pass used for the bulk of a round (entries open to every juror): when it
    gives a grid rather than handing back to the entry-by-entry deal, every row has distinct
    jurors and the loads end as level as one task per juror per entry allows."""
    if len(start) < quorum:
        return
    grid = _deal_free(start, rows, quorum, np.random.default_rng(seed))
    if grid is None:
        return
    assert grid.shape == (rows, quorum)
    assert all(len(set(row)) == quorum for row in grid.tolist())
    final = [load + int((grid == i).sum()) for i, load in enumerate(start)]
    taken = [f - s for f, s in zip(final, start, strict=True)]
    # Level: no task could move from a juror a to a juror b (who has room: one task per
    # entry at most) and leave them closer.
    for a, b in itertools.permutations(range(len(start)), 2):
        if taken[a] > 0 and taken[b] < rows:
            assert final[a] <= final[b] + 1, (final, taken)


def test_it_deals_a_fresh_round_in_one_pass() -> None:
    grid = _deal_free([0] * 20, 5000, 3, np.random.default_rng(0))
    assert grid is not None
    assert all(len(set(row)) == 3 for row in grid.tolist())


def test_it_moves_an_open_task_away_from_a_juror_who_recuses_mid_round() -> None:
    """Juror 1 declares a conflict on an entry not yet voted on: the re-deal gives that
    entry to someone else. A conflict on an entry juror 1 already voted on is refused."""
    dealt = assign(range(6), [1, 2, 3, 4], quorum=2, seed=2)
    mine = sorted(e for e, on in dealt.items() if 1 in on)
    open_tasks = {(e, j) for e, on in dealt.items() for j in on}
    after = add_juror(dealt, 5, quorum=2, open_tasks=open_tasks, forbidden={(1, mine[0])})
    assert 1 not in after[mine[0]] and len(after[mine[0]]) == 2
    with pytest.raises(ValueError, match="voted on it but are forbidden"):
        add_juror(
            dealt,
            5,
            quorum=2,
            open_tasks=open_tasks - {(mine[0], 1)},
            forbidden={(1, mine[0])},
        )
