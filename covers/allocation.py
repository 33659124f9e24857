"""Which shortlisted photo goes on which guide's cover: an optimal assignment.

No Django here: guides, entries and participants are ids.

Rules kept by `allocate`:

- each slot of a guide holds one photo, and an entry fills at most one slot overall;
- with `one_per_participant` (the default) a participant has at most one cover overall;
- a photo only goes on a guide it is eligible for (eligibility is per guide: a photo may be
  sharp enough for a DL guide and too small for an A5 one);
- the chair's pins stay where they are, and use up their entry (and, with the rule above,
  their participant); the rest is optimised around them.

What is optimised, in this order: the number of filled slots, then the total score (a
per-guide score of the entry where one is given, else its jury score).

Ties. The answer depends on the input as a set, never on the order the candidates come in.
Among equally good allocations exact ties are settled by single exchanges, so that none of
these is possible at the end: an unused candidate with the same score for the slot and a
lower entry id taking a suggested pick's place; two suggested picks trading guides at no
cost so that the earlier guide (in the order given) gets the lower entry id; a suggested pick
moving at no cost to an empty slot of an earlier guide.

How: scipy's `linear_sum_assignment` on a matrix whose columns are the open slots (a guide
with `needs=n` is n columns). With `one_per_participant` its rows are participants, each
weighing, for a guide, its best eligible entry there: a participant then gets at most one
slot, so the photos are distinct too. Without it the rows are entries. A pair weighs
`big + score`, where `big` is more than any allocation's total score, so that one more filled
slot outweighs any gain in score; a forbidden pair weighs 0 and is dropped from the result
(not -inf, which makes the solver raise when some slot cannot be filled).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

T = TypeVar("T")


class Reason(StrEnum):
    """Why a photo is on a cover."""

    PINNED = "pinned"
    SUGGESTED = "suggested"


@dataclass(frozen=True, slots=True)
class GuideSlot:
    """A guide and how many photos its cover takes."""

    guide_id: int
    needs: int = 1

    def __post_init__(self) -> None:
        if self.needs < 0:
            raise ValueError(f"guide {self.guide_id} needs {self.needs} photos; 0 or more")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A shortlisted entry: its jury score and the guides it may go on.

    `guide_scores` replaces `score` on the guides it names (a photo that suits one format
    better); scores for guides the entry is not eligible for, or that are not being
    allocated, are ignored, and so is eligibility for such guides.
    """

    entry_id: int
    participant_id: int
    score: float
    eligible: frozenset[int]
    guide_scores: Mapping[int, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for value in (self.score, *self.guide_scores.values()):
            # NaN would make the optimum meaningless; negative ones would be dropped for empty.
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"entry {self.entry_id} has score {value}; finite and >= 0")

    def score_for(self, guide_id: int) -> float:
        """The score of this entry on `guide_id`'s cover."""
        return self.guide_scores.get(guide_id, self.score)


@dataclass(frozen=True, slots=True)
class Pick:
    """A photo on a guide's cover, with why it is there."""

    entry_id: int
    participant_id: int
    score: float
    reason: Reason

    def as_dict(self) -> dict[str, int | float | str]:
        """The explanation as JSON-ready values."""
        return {"entry_id": self.entry_id, "score": self.score, "reason": self.reason.value}


@dataclass(frozen=True, slots=True)
class Allocation:
    """The covers: every guide's picks, best score first, and its empty slots."""

    picks: dict[int, tuple[Pick, ...]]
    unfilled: dict[int, int]
    total_score: float

    @property
    def entry_ids(self) -> dict[int, list[int]]:
        """Guide id -> the picked entry ids in slot order."""
        return {guide_id: [p.entry_id for p in picks] for guide_id, picks in self.picks.items()}

    @property
    def filled(self) -> int:
        """How many slots hold a photo, over all guides."""
        return sum(len(picks) for picks in self.picks.values())


def allocate(
    guides: Sequence[GuideSlot],
    candidates: Iterable[Candidate],
    *,
    pins: Mapping[int, Collection[int]] | None = None,
    one_per_participant: bool = True,
) -> Allocation:
    """The best covers for `guides`, keeping `pins` (guide id -> entry ids).

    Raises ValueError on duplicate ids and on pins that name an unknown guide or entry or
    break a rule.
    """
    by_guide = _index(((g.guide_id, g) for g in guides), "guide")
    by_entry = _index(((c.entry_id, c) for c in candidates), "entry")
    pinned = _pinned(pins or {}, by_guide, by_entry, one_per_participant)
    taken_entries = {entry_id for _, entry_id in pinned}
    taken_people = (
        {by_entry[entry_id].participant_id for entry_id in taken_entries}
        if one_per_participant
        else set()
    )
    free = [
        by_entry[entry_id]
        for entry_id in sorted(by_entry)
        if entry_id not in taken_entries and by_entry[entry_id].participant_id not in taken_people
    ]
    pinned_on = [guide_id for guide_id, _ in pinned]
    columns = [g.guide_id for g in guides for _ in range(g.needs - pinned_on.count(g.guide_id))]
    chosen = _solve(columns, free, one_per_participant)
    _settle_ties(columns, chosen, free, one_per_participant)
    suggested = [(g, e) for g, e in zip(columns, chosen, strict=True) if e is not None]
    return _allocation(guides, by_entry, pinned, suggested)


def _index(items: Iterable[tuple[int, T]], what: str) -> dict[int, T]:
    index: dict[int, T] = {}
    for key, item in items:
        if key in index:
            raise ValueError(f"{what} {key} appears twice")
        index[key] = item
    return index


def _pinned(
    pins: Mapping[int, Collection[int]],
    by_guide: Mapping[int, GuideSlot],
    by_entry: Mapping[int, Candidate],
    one_per_participant: bool,
) -> list[tuple[int, int]]:
    """The pins as (guide id, entry id) pairs, checked against the rules."""
    pairs: list[tuple[int, int]] = []
    guide_of: dict[int, int] = {}  # entry -> the guide it is pinned on
    entry_of: dict[int, int] = {}  # participant -> their pinned entry
    for guide_id, entry_ids in pins.items():
        guide = by_guide.get(guide_id)
        if guide is None:
            raise ValueError(f"a pin names guide {guide_id}, which is not being allocated")
        if len(entry_ids) > guide.needs:
            raise ValueError(
                f"guide {guide_id} takes {guide.needs} photo(s) but {len(entry_ids)} are pinned"
            )
        for entry_id in entry_ids:
            candidate = by_entry.get(entry_id)
            if candidate is None:
                raise ValueError(f"entry {entry_id}, pinned on guide {guide_id}, is no candidate")
            if guide_id not in candidate.eligible:
                raise ValueError(f"entry {entry_id} is pinned on guide {guide_id} but not eligible")
            if entry_id in guide_of:
                raise ValueError(
                    f"entry {entry_id} is pinned twice (guides {guide_of[entry_id]} and {guide_id})"
                )
            person = candidate.participant_id
            if one_per_participant and person in entry_of:
                raise ValueError(
                    f"participant {person} has two pinned entries ({entry_of[person]} and "
                    f"{entry_id}) but may have one cover only"
                )
            guide_of[entry_id] = guide_id
            entry_of[person] = entry_id
            pairs.append((guide_id, entry_id))
    return pairs


def _best(row: Sequence[Candidate], guide_id: int) -> Candidate | None:
    """The row's best entry for the guide: highest score, then lowest entry id."""
    eligible = [c for c in row if guide_id in c.eligible]
    if not eligible:
        return None
    return min(eligible, key=lambda c: (-c.score_for(guide_id), c.entry_id))


def _solve(
    columns: Sequence[int], free: Sequence[Candidate], one_per_participant: bool
) -> list[int | None]:
    """The entry for each open slot (None: left empty), as filled as possible, then best."""
    chosen: list[int | None] = [None] * len(columns)
    if not columns or not free:
        return chosen
    rows: list[list[Candidate]]
    if one_per_participant:
        groups: dict[int, list[Candidate]] = {}
        for candidate in free:
            groups.setdefault(candidate.participant_id, []).append(candidate)
        rows = [groups[person] for person in sorted(groups)]
    else:
        rows = [[candidate] for candidate in free]
    guide_ids = list(dict.fromkeys(columns))
    best = [[_best(row, guide_id) for guide_id in guide_ids] for row in rows]
    allowed = np.array([[b is not None for b in line] for line in best], dtype=bool)
    score = np.array(
        [
            [b.score_for(g) if b else 0.0 for b, g in zip(line, guide_ids, strict=True)]
            for line in best
        ]
    )
    position = {guide_id: i for i, guide_id in enumerate(guide_ids)}
    to_guide = np.array([position[guide_id] for guide_id in columns])
    allowed, score = allowed[:, to_guide], score[:, to_guide]
    # No allocation scores more than (pairs) x (best score): `big` above that makes one more
    # filled slot worth more than any score. Scores closer than ulp(big) look equal.
    big = 1.0 + 2.0 * float(score.max()) * min(len(rows), len(columns))
    weight = np.where(allowed, big + score, 0.0)
    row_ind, col_ind = linear_sum_assignment(weight, maximize=True)
    for r, c in zip(row_ind.tolist(), col_ind.tolist(), strict=True):
        pick = best[r][to_guide[c]]
        if pick is not None:  # a forbidden pair the solver had to fill a row or column with
            chosen[c] = pick.entry_id
    return chosen


def _settle_ties(
    columns: Sequence[int],
    chosen: list[int | None],
    free: Sequence[Candidate],
    one_per_participant: bool,
) -> None:
    """Apply no-cost exchanges to `chosen` until none is left (the module's "Ties")."""
    # Each exchange makes the entry ids per column (empty = infinity) lexicographically
    # smaller, so the loop ends, and every exchange keeps the count and the total exactly.
    by_id = {c.entry_id: c for c in free}
    while _swap(columns, chosen, by_id) or _replace(
        columns, chosen, free, by_id, one_per_participant
    ):
        pass


def _swap(columns: Sequence[int], chosen: list[int | None], by_id: Mapping[int, Candidate]) -> bool:
    """Give an earlier slot a lower entry id (or fill it) by trading at no cost; True if done."""
    for late in range(len(columns)):
        late_id = chosen[late]
        if late_id is None:
            continue
        a = by_id[late_id]
        for early in range(late):
            early_id, g1, g2 = chosen[early], columns[early], columns[late]
            if (early_id is not None and early_id < late_id) or g1 not in a.eligible:
                continue
            if early_id is None:
                free_trade = a.score_for(g1) == a.score_for(g2)
            else:
                b = by_id[early_id]
                free_trade = g2 in b.eligible and (
                    a.score_for(g1) + b.score_for(g2) == b.score_for(g1) + a.score_for(g2)
                )
            if free_trade:
                chosen[early], chosen[late] = late_id, early_id
                return True
    return False


def _replace(
    columns: Sequence[int],
    chosen: list[int | None],
    free: Sequence[Candidate],  # sorted by entry id
    by_id: Mapping[int, Candidate],
    one_per_participant: bool,
) -> bool:
    """Put an unused entry with the same score and a lower id in a pick's place; True if done."""
    used = {entry_id for entry_id in chosen if entry_id is not None}
    people = {by_id[entry_id].participant_id for entry_id in used}
    for column, entry_id in enumerate(chosen):
        if entry_id is None:
            continue
        guide_id, current = columns[column], by_id[entry_id]
        for other in free:
            if other.entry_id >= entry_id:
                break
            if (
                other.entry_id not in used
                and guide_id in other.eligible
                and other.score_for(guide_id) == current.score_for(guide_id)
                and not (
                    one_per_participant
                    and other.participant_id != current.participant_id
                    and other.participant_id in people
                )
            ):
                chosen[column] = other.entry_id
                return True
    return False


def _allocation(
    guides: Sequence[GuideSlot],
    by_entry: Mapping[int, Candidate],
    pinned: Sequence[tuple[int, int]],
    suggested: Sequence[tuple[int, int]],
) -> Allocation:
    """The result: picks per guide, best score first (then lowest entry id)."""
    picks: dict[int, list[Pick]] = {g.guide_id: [] for g in guides}
    for pairs, reason in ((pinned, Reason.PINNED), (suggested, Reason.SUGGESTED)):
        for guide_id, entry_id in pairs:
            candidate = by_entry[entry_id]
            picks[guide_id].append(
                Pick(entry_id, candidate.participant_id, candidate.score_for(guide_id), reason)
            )
    ordered = {
        guide_id: tuple(sorted(found, key=lambda p: (-p.score, p.entry_id)))
        for guide_id, found in picks.items()
    }
    return Allocation(
        picks=ordered,
        unfilled={g.guide_id: g.needs - len(ordered[g.guide_id]) for g in guides},
        total_score=math.fsum(p.score for found in ordered.values() for p in found),
    )


class Passed(StrEnum):
    """Why a candidate ranked above a guide's pick is not on that guide's cover."""

    NOT_ELIGIBLE = "not_eligible"
    """Not allowed on this guide (too small, no print consent, release missing...)."""
    COVER_ELSEWHERE = "cover_elsewhere"
    """Already the cover of another guide: a photo fills one slot only."""
    PARTICIPANT_HAS_COVER = "participant_has_cover"
    """Its participant already has a cover, and the contest allows one per participant."""
    CHOSEN_BY_HAND = "chosen_by_hand"
    """A photo chosen by hand (pinned) ranks below it on this guide and keeps its place."""
    NOT_SUGGESTED = "not_suggested"
    """Free to go on it: the picks were changed or the candidates were since the last
    suggestion (a new suggestion would take it)."""


@dataclass(frozen=True, slots=True)
class WhyNot:
    """A candidate ranked above a guide's pick that is not on it, and why."""

    entry_id: int
    score: float
    reason: Passed
    guide_id: int | None = None
    """The guide whose cover it (or its participant's cover) is."""
    cover_entry_id: int | None = None
    """The participant's entry that is a cover (PARTICIPANT_HAS_COVER)."""


def why_not(
    guides: Sequence[GuideSlot],
    candidates: Iterable[Candidate],
    picks: Mapping[int, Collection[int]],
    *,
    pinned: Collection[tuple[int, int]] = (),
    one_per_participant: bool = True,
) -> dict[int, tuple[WhyNot, ...]]:
    """Per guide, the candidates ranked above its last pick (every candidate not picked on it
    while a slot is empty) that are not on its cover, best first, each with the first reason
    that holds: not eligible, the cover of another guide, its participant already has one,
    a photo chosen by hand keeps the place, or else it was not suggested yet.

    `picks` are the covers as they stand (guide id -> entry ids), which the chair may have
    changed since the suggestion; `pinned` the (guide id, entry id) pairs chosen by hand.
    Ranked as `allocate` orders picks: score on that guide, then lower entry id.
    """
    by_entry = _index(((c.entry_id, c) for c in candidates), "entry")
    cover_of: dict[int, int] = {}  # entry -> the guide it is a cover of
    person_cover: dict[int, tuple[int, int]] = {}  # participant -> (entry, guide)
    for guide in guides:
        for entry_id in picks.get(guide.guide_id, ()):
            cover_of.setdefault(entry_id, guide.guide_id)
            if entry_id in by_entry:
                person = by_entry[entry_id].participant_id
                person_cover.setdefault(person, (entry_id, guide.guide_id))
    hand = set(pinned)
    result: dict[int, tuple[WhyNot, ...]] = {}
    for guide in guides:
        guide_id = guide.guide_id

        def rank(candidate: Candidate, guide_id: int = guide_id) -> tuple[float, int]:
            return (-candidate.score_for(guide_id), candidate.entry_id)

        mine = [by_entry[e] for e in picks.get(guide_id, ()) if e in by_entry]
        mine_ids = {pick.entry_id for pick in mine}
        # An empty slot: every candidate not on it is "above" the pick it could have been.
        last = max(map(rank, mine)) if mine and len(mine) >= guide.needs else None
        passed: list[WhyNot] = []
        for candidate in sorted(by_entry.values(), key=rank):
            if last is not None and rank(candidate) >= last:
                break
            if candidate.entry_id in mine_ids:
                continue
            people = person_cover if one_per_participant else {}
            passed.append(_why(candidate, guide_id, mine, rank, cover_of, people, hand))
        result[guide_id] = tuple(passed)
    return result


def _why(
    candidate: Candidate,
    guide_id: int,
    mine: Sequence[Candidate],
    rank: Callable[[Candidate], tuple[float, int]],
    cover_of: Mapping[int, int],
    person_cover: Mapping[int, tuple[int, int]],
    hand: Collection[tuple[int, int]],
) -> WhyNot:
    entry_id, score = candidate.entry_id, candidate.score_for(guide_id)
    if guide_id not in candidate.eligible:
        return WhyNot(entry_id, score, Passed.NOT_ELIGIBLE)
    if entry_id in cover_of:
        return WhyNot(entry_id, score, Passed.COVER_ELSEWHERE, guide_id=cover_of[entry_id])
    if candidate.participant_id in person_cover:
        other, other_guide = person_cover[candidate.participant_id]
        return WhyNot(
            entry_id,
            score,
            Passed.PARTICIPANT_HAS_COVER,
            guide_id=other_guide,
            cover_entry_id=other,
        )
    below = [pick for pick in mine if rank(pick) > rank(candidate)]
    if any((guide_id, pick.entry_id) in hand for pick in below):
        return WhyNot(entry_id, score, Passed.CHOSEN_BY_HAND)
    return WhyNot(entry_id, score, Passed.NOT_SUGGESTED)
