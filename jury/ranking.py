"""Rankings of a jury round from plain values: Schulze, Borda, normalised scores.

No Django here: ballots are lists of groups of candidate ids (best group first, ties inside a
group), votes are (juror_id, entry_id, score) tuples. The pairwise matrix and the strongest
paths are public too, so a results page can show them and anyone can check the ranking by
hand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ballot = Sequence[Collection[int]]
IntMatrix = npt.NDArray[np.int64]


def _candidates(ballots: Sequence[Ballot]) -> list[int]:
    return sorted({candidate for ballot in ballots for group in ballot for candidate in group})


def _ballot_levels(ballot: Ballot) -> dict[int, int]:
    """Map each candidate named on `ballot` to its group's position (0 = best)."""
    levels: dict[int, int] = {}
    for level, group in enumerate(ballot):
        for candidate in group:
            if candidate in levels:
                raise ValueError(f"candidate {candidate} appears twice on one ballot")
            levels[candidate] = level
    return levels


def pairwise_matrix(ballots: Sequence[Ballot]) -> tuple[list[int], IntMatrix]:
    """Count, for each ordered pair, the ballots preferring the first candidate to the second.

    Returns the candidates (sorted ids) and d, where d[i, j] is the number of ballots ranking
    candidates[i] strictly above candidates[j]. A candidate missing from a ballot ranks below
    every candidate named on it; two candidates both missing get no preference from it.
    """
    candidates = _candidates(ballots)
    index = {candidate: i for i, candidate in enumerate(candidates)}
    n = len(candidates)
    d = np.zeros((n, n), dtype=np.int64)
    for ballot in ballots:
        # Missing candidates share the level after the last group: below all named ones, and
        # equal to each other, so "strictly above" gives no preference between them.
        rank = np.full(n, len(ballot), dtype=np.int64)
        for candidate, level in _ballot_levels(ballot).items():
            rank[index[candidate]] = level
        d += rank[:, None] < rank[None, :]
    return candidates, d


def strongest_paths(d: IntMatrix) -> IntMatrix:
    """Widths of the strongest paths, with winning votes as link strength.

    A link i -> j has strength d[i, j] when d[i, j] > d[j, i], else 0; p[i, j] is the largest,
    over all paths from i to j, of the weakest link on the path (Floyd–Warshall, one
    vectorised step per intermediate candidate k).
    """
    p = np.where(d > d.T, d, 0).astype(np.int64)
    for k in range(p.shape[0]):
        # Row and column k do not change during step k, so updating from the old p is exact.
        np.maximum(p, np.minimum(p[:, k, None], p[None, k, :]), out=p)
    # Paths from a candidate back to itself mean nothing here; zero keeps the table readable.
    np.fill_diagonal(p, 0)
    return p


def _groups_from_beats(candidates: Sequence[int], beats: npt.NDArray[np.bool_]) -> list[list[int]]:
    """Peel off, again and again, the candidates that no remaining candidate beats."""
    ids = np.asarray(candidates, dtype=np.int64)
    beaten_by = beats.sum(axis=0)
    alive = np.ones(len(candidates), dtype=bool)
    groups: list[list[int]] = []
    while alive.any():
        top = alive & (beaten_by == 0)
        if not top.any():
            # Schulze's relation is transitive, hence acyclic: this cannot happen.
            raise RuntimeError("the beats relation has a cycle")
        groups.append(sorted(ids[top].tolist()))
        beaten_by -= beats[top].sum(axis=0)
        alive &= ~top
    return groups


def schulze(ballots: Sequence[Ballot]) -> list[list[int]]:
    """Rank the candidates by the Schulze method (winning votes), ties kept as groups.

    Each ballot is a list of groups of candidate ids, best group first. The candidates are all
    ids named on any ballot. A beats B when p[A, B] > p[B, A] (strongest paths). The result is
    built layer by layer: the first group is every candidate that no one beats, the next group
    every candidate that no one left beats, and so on; each group is sorted by id. The beats
    relation is a strict partial order, so two candidates of different groups are not always
    separated by a beat (A beats C, B ties with both: [[A, B], [C]]); with enough ballots and
    no exact ties the result is a strict order.
    """
    candidates, d = pairwise_matrix(ballots)
    p = strongest_paths(d)
    return _groups_from_beats(candidates, p > p.T)


def borda_points(ballots: Sequence[Ballot]) -> dict[int, float]:
    """Borda points summed over the ballots.

    On one ballot a candidate earns one point per candidate ranked strictly below it and half
    a point per candidate tied with it (the points of the places a tie occupies are shared
    equally). Candidates missing from a ballot rank below all named ones and tie with each
    other. So every ballot hands out the same total, n(n-1)/2 for n candidates: a short ballot
    weighs as much as a full one.
    """
    candidates = _candidates(ballots)
    n = len(candidates)
    points = dict.fromkeys(candidates, 0.0)
    for ballot in ballots:
        levels = _ballot_levels(ballot)
        missing = n - len(levels)
        below = missing
        # Walk from the worst group up, so "below" is what lies under the current group.
        for group in reversed(ballot):
            for candidate in group:
                points[candidate] += below + (len(group) - 1) / 2
            below += len(group)
        if missing:
            share = (missing - 1) / 2
            for candidate in candidates:
                if candidate not in levels:
                    points[candidate] += share
    return points


def borda(ballots: Sequence[Ballot]) -> list[list[int]]:
    """Rank by Borda points (see `borda_points`): groups of equal points, best first."""
    by_points: dict[float, list[int]] = defaultdict(list)
    for candidate, total in borda_points(ballots).items():
        # Points are multiples of 1/2, exact in floating point: equality is safe.
        by_points[total].append(candidate)
    return [sorted(by_points[total]) for total in sorted(by_points, reverse=True)]


@dataclass(frozen=True)
class EntryScore:
    """An entry's scores: the plain mean, the juror-normalised mean, and how many votes."""

    raw_mean: float
    normalised_mean: float
    votes: int


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    mean = math.fsum(values) / len(values)
    if max(values) == min(values):
        # Exactly zero: a rounding residue here would blow up the z-scores of a flat juror.
        return mean, 0.0
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def normalised_means(
    votes: Iterable[tuple[int, int, float]], *, scale: tuple[float, float]
) -> dict[int, EntryScore]:
    """Score each entry with every juror's own leniency taken out.

    Per juror, each score becomes a z-score: (score - the juror's mean) / the juror's
    population standard deviation; a juror whose scores are all equal gives 0 to each. An
    entry's mean z is then put back on the round's scale as

        normalised = clip(overall_mean + mean_z * overall_std, scale[0], scale[1])

    with overall_mean and overall_std (population) taken over all raw scores of the round.
    Why this map: it is increasing in mean_z, so it orders the entries exactly as the mean z
    does (clipping can only merge entries at a bound, never swap two); and it gives numbers
    centred and spread like the scores the jurors actually gave, so a juror reads "7.6 / 10"
    rather than "z = +1.2". Clipping keeps an entry that every juror loved inside the scale.

    Raises ValueError if a juror scored the same entry twice or a score is outside the scale.
    """
    low, high = scale
    if low > high:
        raise ValueError(f"the scale {scale} is empty")
    by_juror: dict[int, dict[int, float]] = defaultdict(dict)
    for juror, entry, score in votes:
        if not low <= score <= high:
            raise ValueError(f"juror {juror} gave {score} to entry {entry}, outside {scale}")
        if entry in by_juror[juror]:
            raise ValueError(f"juror {juror} scored entry {entry} twice")
        by_juror[juror][entry] = float(score)
    if not by_juror:
        return {}

    raw: dict[int, list[float]] = defaultdict(list)
    z: dict[int, list[float]] = defaultdict(list)
    for given in by_juror.values():
        mean, std = _mean_std(list(given.values()))
        for entry, score in given.items():
            raw[entry].append(score)
            z[entry].append((score - mean) / std if std else 0.0)

    overall_mean, overall_std = _mean_std([s for scores in raw.values() for s in scores])
    result: dict[int, EntryScore] = {}
    for entry, scores in raw.items():
        mean_z = math.fsum(z[entry]) / len(scores)
        normalised = min(high, max(low, overall_mean + mean_z * overall_std))
        result[entry] = EntryScore(
            raw_mean=math.fsum(scores) / len(scores), normalised_mean=normalised, votes=len(scores)
        )
    return result


def weighted_score(criteria_scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The weighted average of one vote's criterion scores (weights need not sum to 1).

    Every weighted criterion must be scored and every scored criterion weighted: a missing
    score silently counted as 0 would sink an entry. Raises ValueError otherwise, for a
    negative weight, or when the weights add up to zero.
    """
    if set(criteria_scores) != set(weights):
        missing = sorted(set(weights) - set(criteria_scores))
        unknown = sorted(set(criteria_scores) - set(weights))
        raise ValueError(f"criteria not scored: {missing}; scored without a weight: {unknown}")
    if any(w < 0 for w in weights.values()):
        raise ValueError("criterion weights cannot be negative")
    total = math.fsum(weights.values())
    if total == 0:
        raise ValueError("the criterion weights add up to zero")
    return math.fsum(criteria_scores[c] * weights[c] for c in weights) / total
