"""Benchmark: the jury's pure modules against plain baselines, in the same run.

Run from the project root:

    .venv/bin/python bench/jury_pure.py              # best of 5 (Schulze) and 3 (assign)
    .venv/bin/python bench/jury_pure.py --repeat 9

1. `jury.ranking.schulze` over 200 candidates and 9 full ballots (random orders, fixed seed),
   the size of a large final round, against a straightforward pure-Python Schulze written
   here: pairwise counts and strongest paths with triple loops over lists. Both must give
   the same ranking. Target: under 0.2 s.
2. `jury.assignment.assign` of 250,000 entries to 20 jurors with quorum 3, against a naive
   round-robin (entry i to jurors i*3, i*3+1, i*3+2 mod 20) building the same dict of sets.
   Both are checked (quorum met, loads within one), and the bench prints how evenly pairs of
   jurors share entries: the project draws them at random, round-robin always seats the
   same neighbours together.
3. For information, with no baseline (round-robin can do neither): `assign` on the same
   round with forbidden pairs (each juror the author of 250 entries, barred from them); then,
   mid-round with the votes on every third entry cast, `add_juror` (a 21st juror takes a
   share of the 500,000 open tasks) and `remove_juror` (one juror leaves, their open tasks
   are dealt to the others).

Times are wall-clock, best of --repeat runs, on whatever else the machine is doing. `assign`
pauses Python's cyclic garbage collector while it builds its sets (see `_gc_paused`); the
round-robin does not, and timing it with the collector paused made no measurable difference.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

import numpy as np  # noqa: E402

from jury.assignment import add_juror, assign, remove_juror  # noqa: E402
from jury.ranking import schulze  # noqa: E402

T = TypeVar("T")


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]


def plain_pairwise(candidates: list[int], ballots: list[list[list[int]]]) -> list[list[int]]:
    """d[i][j]: ballots ranking candidate i above candidate j, missing ones below all."""
    n = len(candidates)
    index = {c: i for i, c in enumerate(candidates)}
    d = [[0] * n for _ in range(n)]
    for ballot in ballots:
        rank = [len(ballot)] * n
        for level, group in enumerate(ballot):
            for c in group:
                rank[index[c]] = level
        for i in range(n):
            for j in range(n):
                if rank[i] < rank[j]:
                    d[i][j] += 1
    return d


def plain_schulze(ballots: list[list[list[int]]]) -> list[list[int]]:
    """Schulze the textbook way: lists of lists and triple loops."""
    candidates = sorted({c for ballot in ballots for group in ballot for c in group})
    n = len(candidates)
    d = plain_pairwise(candidates, ballots)
    p = [[d[i][j] if d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for k in range(n):
        for i in range(n):
            if i == k:
                continue
            for j in range(n):
                if j != k and j != i:
                    p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))
    remaining, groups = set(range(n)), []
    while remaining:
        top = [i for i in remaining if not any(p[j][i] > p[i][j] for j in remaining)]
        groups.append(sorted(candidates[i] for i in top))
        remaining -= set(top)
    return groups


def round_robin(entries: int, jurors: int, quorum: int) -> dict[int, set[int]]:
    """The naive deal: consecutive jurors, wrapping around."""
    return {e: {(e * quorum + k) % jurors for k in range(quorum)} for e in range(entries)}


def describe(result: dict[int, set[int]], quorum: int, jurors: int) -> str:
    if any(len(on_it) != quorum for on_it in result.values()):
        raise SystemExit("an entry does not have the quorum")
    loads = collections.Counter(j for on_it in result.values() for j in on_it)
    pairs = collections.Counter(
        pair for on_it in result.values() for pair in itertools.combinations(sorted(on_it), 2)
    )
    counts = [pairs.get(pair, 0) for pair in itertools.combinations(range(jurors), 2)]
    return (
        f"loads {min(loads.values())}..{max(loads.values())}, "
        f"entries per pair of jurors {min(counts)}..{max(counts)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=0, help="runs per measurement")
    args = parser.parse_args()

    rng = np.random.default_rng(2027)
    ballots = [[[int(c)] for c in rng.permutation(200)] for _ in range(9)]
    ours, ranking = best_of(args.repeat or 5, lambda: schulze(ballots))
    plain, plain_ranking = best_of(1, lambda: plain_schulze(ballots))
    if ranking != plain_ranking:
        raise SystemExit("schulze() and the plain version disagree")
    verdict = "OK" if ours < 0.2 else "SLOWER THAN TARGET"
    print("Schulze, 200 candidates x 9 ballots")
    print(f"  plain Python triple loop  {plain:8.3f} s")
    print(
        f"  jury.ranking.schulze      {ours:8.3f} s   {plain / ours:6.1f}x faster  "
        f"(target < 0.2 s: {verdict})"
    )

    entries, jurors, quorum = 250_000, 20, 3
    naive, naive_result = best_of(args.repeat or 3, lambda: round_robin(entries, jurors, quorum))
    ours, result = best_of(
        args.repeat or 3, lambda: assign(range(entries), range(jurors), quorum=quorum)
    )
    print(f"assign, {entries:,} entries x {jurors} jurors, quorum {quorum}")
    print(f"  naive round-robin         {naive:8.3f} s   {describe(naive_result, quorum, jurors)}")
    print(f"  jury.assignment.assign    {ours:8.3f} s   {describe(result, quorum, jurors)}")
    print(f"                                       {ours / naive:6.1f}x the round-robin's time")

    # Every 50th entry is by a juror, in turn: 5,000 entries, 250 per juror.
    forbidden = {((e // 50) % jurors, e) for e in range(0, entries, 50)}
    constrained, result = best_of(
        args.repeat or 3,
        lambda: assign(range(entries), range(jurors), quorum=quorum, forbidden=forbidden),
    )
    if any((j, e) in forbidden for e, on_it in result.items() for j in on_it):
        raise SystemExit("a forbidden pair was dealt")
    print(
        f"  same, {len(forbidden):,} forbidden pairs {constrained:6.3f} s   "
        f"{describe(result, quorum, jurors)} (no baseline)"
    )

    done = {(e, j) for e, on_it in result.items() if e % 3 == 0 for j in on_it}
    open_tasks = {(e, j) for e, on_it in result.items() for j in on_it} - done
    start = time.perf_counter()
    joined = add_juror(result, 99, quorum=quorum, open_tasks=open_tasks, forbidden=forbidden)
    added = time.perf_counter() - start
    open_tasks = {(e, j) for e, on_it in joined.items() for j in on_it} - done
    start = time.perf_counter()
    left = remove_juror(joined, 5, quorum=quorum, open_tasks=open_tasks, forbidden=forbidden)
    removed = time.perf_counter() - start
    for label, seconds, after in (("add_juror", added, joined), ("remove_juror", removed, left)):
        open_loads = collections.Counter(
            j for e, on_it in after.items() for j in on_it if (e, j) not in done
        )
        print(
            f"  {label:<12} mid-round      {seconds:6.3f} s   open tasks per juror "
            f"{min(open_loads.values())}..{max(open_loads.values())} (no baseline)"
        )


if __name__ == "__main__":
    main()
