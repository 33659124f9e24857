"""Who judges which entry: a quorum of jurors per entry, with balanced loads.

No Django here: entries and jurors are ids, an assignment is a dict entry -> set of jurors.

Rules kept by every function:

- each entry ends with exactly `quorum` distinct jurors;
- no (juror, entry) pair of `forbidden` is ever dealt (own entries, recusals, conflicts);
- fixed tasks stay where they are: `existing` ones in `assign`, and mid-round every task that
  is not open (a vote already cast);
- the same input and `seed` give the same output; the seed breaks ties between equally loaded
  jurors at random, so which jurors judge an entry together is not correlated (no juror
  always sits with the same two others, as plain round-robin would do).

Balance. A juror's load is the number of entries they hold. In `assign` and `raise_quorum` it
counts every task, existing ones included. In `add_juror` and `remove_juror` it counts open
tasks only: done votes are behind everyone, and a round ends when the last juror finishes, so
the work left is what must be shared.

What is guaranteed: the result has the smallest possible sum of squared loads (over the active
jurors) among all assignments that keep the rules above. Equivalently, no juror can hand a
movable task, directly or along a chain of hand-overs, to a juror holding at least two fewer
tasks. The achievable load vectors form an M-convex set, where that least-squares point also
has the smallest possible largest load and the largest possible smallest load (Frank and
Murota, "Discrete decreasing minimization"); the tests check all three against brute force
on small rounds, and the no-chain condition on every round they draw.

So loads are within one of each other whenever any valid assignment has them within one,
which is always the case when nothing is forbidden or fixed. When something is, they may
not be, and then only for a reason the caller can see: a juror barred from most entries (the
author of many) can only judge the rest and ends below the others; an entry with exactly
`quorum` eligible jurors must take all of them; existing tasks or done votes may already give
a juror more than a fair share, or keep them off the entries where work is left.

How: the entries with constraints (forbidden pairs, jurors already on them) are dealt one by
one, the most constrained first, each to its least loaded eligible jurors (a heap keyed by
load plus a random fraction). The others, usually nearly all, are dealt at once with NumPy:
the same least-loaded-first order, cut from a sorted stream of keys. Then open tasks move in
bulk straight from the heaviest jurors to the lightest (a newcomer's share, mid-round), and,
while some juror can pass a task along a chain to a juror two tasks lighter, the shortest
such chain (found by a breadth-first search) is applied; the search ends only when no chain
is left, so the balance never depends on how lucky the first deal was.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


class AssignmentImpossible(ValueError):
    """Some entries have fewer eligible jurors than the quorum needs."""

    def __init__(self, eligible: Mapping[int, int], quorum: int) -> None:
        # entry -> how many jurors could judge it (counting those already on it).
        self.eligible = dict(eligible)
        self.quorum = quorum
        shown = ", ".join(f"entry {e}: {n}" for e, n in sorted(self.eligible.items())[:5])
        more = "" if len(self.eligible) <= 5 else f", and {len(self.eligible) - 5} more"
        super().__init__(
            f"{len(self.eligible)} entries cannot have {quorum} jurors; "
            f"eligible jurors per entry: {shown}{more}"
        )


@dataclass
class _Board:
    """The working state: who holds what, and which tasks may still move."""

    entries: list[int]  # every entry of the round
    jurors: list[int]  # the active jurors, who can be given tasks
    assigned: dict[int, set[int]]  # entry -> every juror on it; an entry not here has none
    movable: dict[int, set[int]]  # active juror -> entries whose task may move
    fixed: dict[int, int]  # active juror -> tasks that count in the load but cannot move
    blocked: dict[int, set[int]]  # entry -> forbidden jurors

    def load(self, juror: int) -> int:
        return self.fixed[juror] + len(self.movable[juror])


def _check_quorum(quorum: int) -> None:
    if quorum < 1:
        raise ValueError(f"the quorum must be at least 1, not {quorum}")


def _distinct(ids: Iterable[int], what: str) -> list[int]:
    result = list(ids)
    if len(set(result)) != len(result):
        raise ValueError(f"the {what} contain duplicates")
    return result


def _blocked_by_entry(forbidden: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    blocked: dict[int, set[int]] = {}
    for juror, entry in forbidden:
        blocked.setdefault(entry, set()).add(juror)
    return blocked


def _deal_order(
    board: _Board, quorum: int, rng: np.random.Generator
) -> tuple[list[tuple[int, int]], list[int]]:
    """The entries to deal, shuffled: (constrained entry, need) most constrained first, then
    the free entries (nobody on them, nobody forbidden), which need the whole quorum.

    Raises AssignmentImpossible if an entry cannot reach the quorum.
    """
    assigned, blocked_by, jurors = board.assigned, board.blocked, board.jurors
    if assigned:  # mid-round, most entries are complete: leave them out before shuffling
        pending = [e for e in board.entries if len(assigned.get(e, ())) < quorum]
    else:
        pending = board.entries
    shuffled: list[int] = np.asarray(pending, dtype=np.int64)[
        rng.permutation(len(pending))
    ].tolist()
    special = {e for e, on_it in assigned.items() if on_it} | blocked_by.keys()
    free = [entry for entry in shuffled if entry not in special] if special else shuffled
    constrained: list[tuple[int, int, int]] = []
    short: dict[int, int] = {}
    for entry in (e for e in shuffled if e in special) if special else ():
        taken = assigned.get(entry, set())
        need = quorum - len(taken)
        if need <= 0:
            continue
        blocked = blocked_by.get(entry, set())
        eligible = sum(1 for j in jurors if j not in taken and j not in blocked)
        if eligible < need:
            short[entry] = eligible + len(taken)
        constrained.append((eligible - need, entry, need))
    if len(jurors) < quorum:
        short.update(dict.fromkeys(free, len(jurors)))
    if short:
        raise AssignmentImpossible(short, quorum)
    # sorted() is stable: entries with the same slack keep their shuffled order.
    constrained.sort(key=lambda item: item[0])
    return [(entry, need) for _, entry, need in constrained], free


def _deal_with_heap(
    board: _Board, items: list[tuple[int, int]], loads: list[int], rng: np.random.Generator
) -> None:
    """Deal (entry, need) items in order, each to its least loaded eligible jurors."""
    jurors, assigned, movable, blocked_by = (
        board.jurors,
        board.assigned,
        board.movable,
        board.blocked,
    )
    draws = iter(rng.random(sum(need for _, need in items) + len(jurors)).tolist())
    # Heap of (load + a random fraction, juror index): the least loaded come out first, and
    # equal loads in a fresh random order each time, so no two jurors stay paired.
    heap = [(load + next(draws), i) for i, load in enumerate(loads)]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    for entry, need in items:
        taken = assigned.setdefault(entry, set())
        blocked = blocked_by.get(entry, set())
        chosen: list[int] = []
        skipped: list[tuple[float, int]] = []
        while len(chosen) < need:
            item = pop(heap)
            if jurors[item[1]] in taken or jurors[item[1]] in blocked:
                skipped.append(item)
            else:
                chosen.append(item[1])
        # Pushed back only now, so nobody is drawn twice for one entry.
        for item in skipped:
            push(heap, item)
        for i in chosen:
            taken.add(jurors[i])
            movable[jurors[i]].add(entry)
            loads[i] += 1
            push(heap, (loads[i] + next(draws), i))


def _level_counts(loads: list[int], rows: int, quorum: int, rng: np.random.Generator) -> IntArray:
    """How many of `rows` entries (each needing `quorum`) each juror takes: water-filling.

    The result c has sum rows * quorum, 0 <= c <= rows (one task per entry at most), and
    loads + c as level as those bounds allow; who gets the last odd tasks is drawn at random.
    """
    base = np.asarray(loads, dtype=np.int64)
    total = rows * quorum

    def taken_up_to(level: int) -> int:
        return int(np.clip(level - base, 0, rows).sum())

    low, high = int(base.min()), int(base.max()) + rows  # taken_up_to(high) >= total
    while low < high:  # the highest level whose fill does not exceed the total
        middle = (low + high + 1) // 2
        low, high = (middle, high) if taken_up_to(middle) <= total else (low, middle - 1)
    counts = np.clip(low - base, 0, rows)
    extra = total - int(counts.sum())
    if extra:
        room = np.flatnonzero((base <= low) & (counts < rows))
        counts[rng.choice(room, size=extra, replace=False)] += 1
    return counts


def _deal_free(
    loads: list[int], rows: int, quorum: int, rng: np.random.Generator
) -> IntArray | None:
    """Deal `rows` entries open to every juror at once: a (rows, quorum) grid of juror indexes.

    How many tasks each juror takes comes from `_level_counts`. Each juror's tasks get the
    keys load, load + 1, ... plus a random fraction, and the stream of jurors sorted by key is
    cut into rows of `quorum`: the order in which dealing entry by entry to the least loaded
    would pick them, each load level in a fresh random order, so no pair of jurors sticks
    together. A row can only hold a juror twice where a level ends inside it; the repeat is
    swapped with a later juror of its own level. Returns None when the level is too short for
    that (few jurors, very uneven loads): the caller then deals entry by entry.
    """
    counts = _level_counts(loads, rows, quorum, rng)
    owner = np.repeat(np.arange(len(loads)), counts)
    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    level = np.asarray(loads, dtype=np.int64)[owner] + (np.arange(owner.size) - firsts)
    order = np.argsort(level + rng.random(owner.size), kind="stable")
    stream: list[int] = owner[order].tolist()
    levels = level[order]
    ends = np.flatnonzero(levels[1:] != levels[:-1]) + 1  # first position of each new level
    level_end = np.append(ends, owner.size)  # level_end[i]: end of the level starting at ends[i-1]
    for boundary in ends[ends % quorum != 0].tolist():
        row_start = boundary - boundary % quorum
        row_end = row_start + quorum
        if len(set(stream[row_start:row_end])) == quorum:
            continue
        # Walk the row from the boundary on; swap a repeated juror with a later one of its level.
        seen = set(stream[row_start:boundary])
        position = boundary
        while position < row_end:
            if stream[position] in seen:
                this_level_end = int(level_end[np.searchsorted(ends, position, side="right")])
                other = next(
                    (
                        s
                        for s in range(row_end, this_level_end)
                        if stream[s] not in seen and stream[s] not in stream[position:row_end]
                    ),
                    None,
                )
                if other is None:
                    return None
                stream[position], stream[other] = stream[other], stream[position]
            seen.add(stream[position])
            position += 1
    grid = np.asarray(stream, dtype=np.int64).reshape(rows, quorum)
    ordered = np.sort(grid, axis=1)
    if (ordered[:, 1:] == ordered[:, :-1]).any():
        return None  # a swap pushed a repeat into a row that was not looked at again
    return grid


def _fill(board: _Board, quorum: int, rng: np.random.Generator) -> None:
    """Give every entry below the quorum its missing jurors, least loaded first."""
    constrained, free = _deal_order(board, quorum, rng)
    loads = [board.load(j) for j in board.jurors]
    _deal_with_heap(board, constrained, loads, rng)
    if not free:
        return
    grid = _deal_free(loads, len(free), quorum, rng)
    if grid is None:
        _deal_with_heap(board, [(entry, quorum) for entry in free], loads, rng)
        return
    ids = np.asarray(board.jurors, dtype=np.int64)
    board.assigned.update(zip(free, map(set, ids[grid].tolist()), strict=True))
    # Each juror's new entries: the grid's cells sorted by juror, cut at each juror's count.
    cells = grid.ravel()
    entry_of_cell = np.repeat(np.asarray(free, dtype=np.int64), quorum)
    by_juror = entry_of_cell[np.argsort(cells, kind="stable")]
    cuts = np.cumsum(np.bincount(cells, minlength=len(board.jurors)))[:-1]
    for juror, entries in zip(board.jurors, np.split(by_juror, cuts), strict=True):
        board.movable[juror].update(entries.tolist())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small sets.

    250,000 new sets would set it off hundreds of times, each pass walking everything
    alive, for nothing: dicts of sets of ints hold no cycles. Copying and dealing a large
    round took a quarter to a half longer with it running.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _solve(board: _Board, quorum: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _fill(board, quorum, rng)
    _rebalance(board, rng)


Path = list[tuple[int, int, int]]  # (giver, receiver, entry) hand-overs


def _search(board: _Board, source: int, loads: dict[int, int], lowest: int) -> Path | None:
    """The shortest chain of hand-overs from `source` to the lightest reachable juror.

    Returns None unless that juror holds at least two tasks fewer than `source`.
    """
    parent: dict[int, tuple[int, int]] = {}
    unseen = set(board.jurors)
    unseen.discard(source)
    queue = deque([source])
    best: int | None = None
    while queue and unseen:
        giver = queue.popleft()
        for entry in board.movable[giver]:
            fresh = unseen - board.assigned[entry]
            blocked = board.blocked.get(entry)
            if blocked:
                fresh -= blocked
            for receiver in sorted(fresh):
                parent[receiver] = (giver, entry)
                queue.append(receiver)
                if best is None or loads[receiver] < loads[best]:
                    best = receiver
            unseen -= fresh
            if not unseen:
                break
        if best is not None and loads[best] == lowest:
            break  # no juror is lighter: stop searching
    if best is None or loads[best] > loads[source] - 2:
        return None
    path: Path = []
    node = best
    while node != source:
        giver, entry = parent[node]
        path.append((giver, node, entry))
        node = giver
    return path[::-1]


def _improving_path(board: _Board) -> Path | None:
    loads = {j: board.load(j) for j in board.jurors}
    if not loads:
        return None
    lowest = min(loads.values())
    sources = [j for j in board.jurors if loads[j] >= lowest + 2 and board.movable[j]]
    for source in sorted(sources, key=lambda j: -loads[j]):
        path = _search(board, source, loads, lowest)
        if path is not None:
            return path
    return None


def _direct_moves(board: _Board, rng: np.random.Generator) -> None:
    """Move tasks in bulk straight from the heaviest jurors to the lightest.

    Only a shortcut for `_rebalance`: a newcomer taking a twelfth of a 250,000-entry round
    would otherwise be one chain search per task. Each batch goes from a juror above the mean
    to one below it, at most halfway, so every task moved lowers the sum of squared loads.
    The entries moved are drawn at random among those the receiver may take.
    """
    if not board.jurors:
        return
    loads = {j: board.load(j) for j in board.jurors}
    floor, ceiling = divmod(sum(loads.values()), len(loads))
    ceiling = floor + (1 if ceiling else 0)
    stuck: set[tuple[int, int]] = set()  # pairs with nothing the receiver may take
    moved = True
    while moved:
        moved = False
        by_load = sorted(board.jurors, key=lambda j: loads[j])
        for receiver, giver in itertools.product(by_load, reversed(by_load)):
            if loads[giver] - loads[receiver] < 2:
                continue
            wanted = min(loads[giver] - floor, ceiling - loads[receiver])
            wanted = min(wanted, (loads[giver] - loads[receiver]) // 2)
            if wanted < 1 or (giver, receiver) in stuck:
                continue
            blocked = board.blocked
            movable = sorted(
                e
                for e in board.movable[giver]
                if receiver not in board.assigned[e] and receiver not in blocked.get(e, ())
            )
            if not movable:
                stuck.add((giver, receiver))
                continue
            chosen = rng.choice(len(movable), size=min(wanted, len(movable)), replace=False)
            for entry in (movable[i] for i in chosen.tolist()):
                board.movable[giver].remove(entry)
                board.assigned[entry].remove(giver)
                board.assigned[entry].add(receiver)
                board.movable[receiver].add(entry)
            loads[giver] -= len(chosen)
            loads[receiver] += len(chosen)
            moved = True
            break


def _rebalance(board: _Board, rng: np.random.Generator) -> None:
    """Apply improving chains until there is none: the sum of squared loads is then minimal."""
    _direct_moves(board, rng)
    # Each chain lowers the sum of squared loads by at least 2, so this ends.
    while (path := _improving_path(board)) is not None:
        # The hand-overs of a shortest chain never clash (each receiver is new on its entry).
        for giver, receiver, entry in path:
            board.movable[giver].remove(entry)
            board.assigned[entry].remove(giver)
            board.assigned[entry].add(receiver)
            board.movable[receiver].add(entry)


@_gc_paused()
def assign(
    entries: Sequence[int],
    jurors: Sequence[int],
    *,
    quorum: int,
    forbidden: Collection[tuple[int, int]] = (),
    existing: Mapping[int, Collection[int]] | None = None,
    seed: int = 0,
) -> dict[int, set[int]]:
    """Give each entry `quorum` distinct jurors, balancing the jurors' loads.

    `forbidden` holds (juror, entry) pairs never to deal. `existing` maps an entry to jurors
    already on it (with votes, say): they stay and count towards its quorum and their loads;
    an existing juror missing from `jurors` keeps the task but is given nothing new. See the
    module docstring for the balance guarantee.

    Raises AssignmentImpossible when an entry has fewer than `quorum` eligible jurors, and
    ValueError for a bad quorum, duplicate ids, an existing entry that is not in `entries`,
    more existing jurors than the quorum, or an existing pair that is forbidden.
    """
    _check_quorum(quorum)
    entry_list = _distinct(entries, "entries")
    juror_list = _distinct(jurors, "jurors")
    board = _Board(
        entries=entry_list,
        jurors=juror_list,
        assigned={},
        movable={juror: set() for juror in juror_list},
        fixed=dict.fromkeys(juror_list, 0),
        blocked=_blocked_by_entry(forbidden),
    )
    known = set(entry_list)
    for entry, given in (existing or {}).items():
        on_it = set(given)
        if entry not in known:
            raise ValueError(f"existing jurors given for entry {entry}, which is not in entries")
        if len(on_it) > quorum:
            raise ValueError(f"entry {entry} already has more than {quorum} jurors")
        clash = on_it & board.blocked.get(entry, set())
        if clash:
            raise ValueError(f"entry {entry}: jurors {sorted(clash)} are on it but forbidden")
        board.assigned[entry] = on_it
        for juror in on_it:
            if juror in board.fixed:
                board.fixed[juror] += 1
    _solve(board, quorum, seed)
    return {entry: board.assigned[entry] for entry in board.entries}


@_gc_paused()
def _mid_round(
    assignment: Mapping[int, Collection[int]],
    *,
    quorum: int,
    open_tasks: Collection[tuple[int, int]],
    forbidden: Collection[tuple[int, int]],
    active: Collection[int],
    joining: int | None = None,
    leaving: int | None = None,
    seed: int,
) -> dict[int, set[int]]:
    """Re-deal open work among `active` jurors; everything not open stays put."""
    _check_quorum(quorum)
    blocked = _blocked_by_entry(forbidden)
    jurors = sorted(active)
    board = _Board(
        entries=list(assignment),
        jurors=jurors,
        assigned={entry: set(on_it) for entry, on_it in assignment.items()},
        movable={juror: set() for juror in jurors},
        fixed=dict.fromkeys(jurors, 0),  # loads count open tasks only: done work is sunk
        blocked=blocked,
    )
    open_set = set(open_tasks)
    for entry, juror in open_set:
        if juror not in board.assigned.get(entry, ()):
            raise ValueError(f"open task (entry {entry}, juror {juror}) is not in the assignment")
        if juror == joining:
            raise ValueError(f"juror {juror} is already on the jury")
        if juror == leaving or (blocked and juror in blocked.get(entry, ())):
            # Leaving, or recused since it was dealt: give it to someone else.
            board.assigned[entry].discard(juror)
        elif juror in board.movable:
            board.movable[juror].add(entry)
        else:
            raise ValueError(f"juror {juror} holds open tasks but is not on the jury")
    for entry, on_it in board.assigned.items():
        if len(on_it) > quorum:
            raise ValueError(f"entry {entry} has more than {quorum} jurors")
    for entry, barred in blocked.items():
        clash = {j for j in board.assigned.get(entry, ()) if j in barred}
        if clash:  # open ones were taken off above, so these are votes already cast
            raise ValueError(f"entry {entry}: jurors {sorted(clash)} voted on it but are forbidden")
    _solve(board, quorum, seed)
    return {entry: board.assigned[entry] for entry in board.entries}


def _jury(open_tasks: Collection[tuple[int, int]], jurors: Collection[int] | None) -> set[int]:
    return set(jurors) if jurors is not None else {juror for _, juror in open_tasks}


def add_juror(
    assignment: Mapping[int, Collection[int]],
    juror: int,
    *,
    quorum: int,
    open_tasks: Collection[tuple[int, int]],
    forbidden: Collection[tuple[int, int]] = (),
    jurors: Collection[int] | None = None,
    seed: int = 0,
) -> dict[int, set[int]]:
    """Give a new juror a fair share of the open work, taken from the most loaded jurors.

    `open_tasks` holds the (entry, juror) pairs not yet voted: only those move. `jurors` is
    the jury before the newcomer (default: everyone holding an open task; a juror who has
    finished is then left out and is given nothing). Entries below the quorum are topped up.
    Returns a new assignment; the input is not changed.
    """
    return _mid_round(
        assignment,
        quorum=quorum,
        open_tasks=open_tasks,
        forbidden=forbidden,
        active=_jury(open_tasks, jurors) | {juror},
        joining=juror,
        seed=seed,
    )


def remove_juror(
    assignment: Mapping[int, Collection[int]],
    juror: int,
    *,
    quorum: int,
    open_tasks: Collection[tuple[int, int]],
    forbidden: Collection[tuple[int, int]] = (),
    jurors: Collection[int] | None = None,
    seed: int = 0,
) -> dict[int, set[int]]:
    """Re-deal a leaving juror's open tasks to the others; their done votes stay.

    `open_tasks` and `jurors` as in `add_juror` (the leaving juror may be in `jurors` or
    not). Raises AssignmentImpossible when some entry is left without enough eligible jurors.
    Returns a new assignment; the input is not changed.
    """
    if not any(juror in on_it for on_it in assignment.values()):
        raise ValueError(f"juror {juror} is not in the assignment")
    return _mid_round(
        assignment,
        quorum=quorum,
        open_tasks=open_tasks,
        forbidden=forbidden,
        active=_jury(open_tasks, jurors) - {juror},
        leaving=juror,
        seed=seed,
    )


def raise_quorum(
    assignment: Mapping[int, Collection[int]],
    jurors: Sequence[int],
    *,
    new_quorum: int,
    forbidden: Collection[tuple[int, int]] = (),
    seed: int = 0,
) -> dict[int, set[int]]:
    """Add tasks so that every entry has `new_quorum` jurors; nothing already dealt moves.

    Loads count every task, as in `assign`. Lowering the quorum raises ValueError: some
    juror's task, perhaps a vote already cast, would have to be dropped, and choosing whose
    is a decision for a person, not for this function.
    """
    for entry, on_it in assignment.items():
        if len(on_it) > new_quorum:
            raise ValueError(
                f"entry {entry} has {len(on_it)} jurors: lowering the quorum to {new_quorum} "
                "would drop someone's task, and whose vote to drop is not ours to choose"
            )
    return assign(
        list(assignment),
        jurors,
        quorum=new_quorum,
        forbidden=forbidden,
        existing=assignment,
        seed=seed,
    )
