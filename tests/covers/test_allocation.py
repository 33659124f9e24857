"""Cover allocation (covers/allocation.py): pure code, no database.

Each worked example carries its hand reasoning in the docstring; the property test checks
the optimum against brute force over every valid assignment of small contests.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covers.allocation import Allocation, Candidate, GuideSlot, Pick, Reason, allocate

G1, G2, G3 = 11, 12, 13
ALL = frozenset({G1, G2, G3})


def cand(
    entry_id: int,
    score: float,
    eligible: Collection[int] = ALL,
    *,
    participant: int | None = None,
    guide_scores: Mapping[int, float] | None = None,
) -> Candidate:
    """A candidate whose participant defaults to one of its own (id 1000 + entry id)."""
    return Candidate(
        entry_id=entry_id,
        participant_id=1000 + entry_id if participant is None else participant,
        score=score,
        eligible=frozenset(eligible),
        guide_scores=dict(guide_scores or {}),
    )


def test_it_fills_more_slots_than_the_greedy_choice() -> None:
    """Greedy guide by guide gives G1 its best photo A (9); B (8) only suits G1, so G2 stays
    empty: 1 slot, 9. Putting A on G2 and B on G1 fills both: 2 slots, 17."""
    result = allocate([GuideSlot(G1), GuideSlot(G2)], [cand(1, 9.0), cand(2, 8.0, eligible={G1})])
    assert result.entry_ids == {G1: [2], G2: [1]}
    assert result.unfilled == {G1: 0, G2: 0}
    assert result.total_score == 17.0


def test_it_finds_a_higher_total_than_the_best_pair_first() -> None:
    """Scores per guide: A 10 on G1, 9 on G2; B 9 on G1, 1 on G2. Best pair first takes
    A-G1 (10), leaving B-G2 (1): 11. A-G2 and B-G1 give 9 + 9 = 18."""
    result = allocate(
        [GuideSlot(G1), GuideSlot(G2)],
        [
            cand(1, 0.0, guide_scores={G1: 10.0, G2: 9.0}),
            cand(2, 0.0, guide_scores={G1: 9.0, G2: 1.0}),
        ],
    )
    assert result.entry_ids == {G1: [2], G2: [1]}
    assert result.total_score == 18.0


def test_it_gives_a_participant_one_cover_at_most() -> None:
    """P owns A (10) and B (9), Q owns C (5), two guides. With the rule P has one cover:
    A and C, 15. Without it the two best photos win: A and B, 19."""
    candidates = [cand(1, 10.0, participant=7), cand(2, 9.0, participant=7), cand(3, 5.0)]
    guides = [GuideSlot(G1), GuideSlot(G2)]

    one_each = allocate(guides, candidates)
    assert one_each.entry_ids == {G1: [1], G2: [3]}
    assert one_each.total_score == 15.0

    any_number = allocate(guides, candidates, one_per_participant=False)
    assert any_number.entry_ids == {G1: [1], G2: [2]}
    assert any_number.total_score == 19.0


def test_it_skips_a_participants_best_photo_when_another_fills_more_slots() -> None:
    """P owns A (10, G1 only) and B (8, G2 only); Q owns C (9, G1 only). Greedy takes A,
    then neither C (G1 is full) nor B (P has a cover): 1 slot. B on G2 and C on G1 fill
    both: 17."""
    result = allocate(
        [GuideSlot(G1), GuideSlot(G2)],
        [
            cand(1, 10.0, {G1}, participant=7),
            cand(2, 8.0, {G2}, participant=7),
            cand(3, 9.0, {G1}, participant=8),
        ],
    )
    assert result.entry_ids == {G1: [3], G2: [2]}
    assert result.total_score == 17.0


def test_it_fills_a_guide_that_needs_two_photos() -> None:
    """G1 takes 2, G2 takes 1; A 9 and B 8 suit both, C 7 and D 6 suit G1 only. Greedy G1
    first takes A and B and leaves G2 empty. All three slots fill with A, B, C (24): G2
    gets A or B; on that tie the earlier guide G1 keeps the lower id A."""
    result = allocate(
        [GuideSlot(G1, needs=2), GuideSlot(G2)],
        [cand(1, 9.0), cand(2, 8.0), cand(3, 7.0, {G1}), cand(4, 6.0, {G1})],
    )
    assert result.entry_ids == {G1: [1, 3], G2: [2]}
    assert result.unfilled == {G1: 0, G2: 0}
    assert result.total_score == 24.0


def test_it_lists_a_guides_picks_best_score_first() -> None:
    """G1 takes 3 photos of 5, 9 and 7: they come 9, 7, 5."""
    result = allocate([GuideSlot(G1, needs=3)], [cand(1, 5.0), cand(2, 9.0), cand(3, 7.0)])
    assert result.entry_ids == {G1: [2, 3, 1]}


def test_it_never_uses_an_ineligible_pair() -> None:
    """A (10) suits no guide and B (1) only G2: G1 stays empty rather than take A."""
    result = allocate([GuideSlot(G1), GuideSlot(G2)], [cand(1, 10.0, ()), cand(2, 1.0, {G2})])
    assert result.entry_ids == {G1: [], G2: [2]}
    assert result.unfilled == {G1: 1, G2: 0}
    assert result.total_score == 1.0


def test_it_leaves_the_later_guide_empty_when_photos_run_out() -> None:
    """Three guides, two photos of the same score that suit all: G1 and G2 get one each
    (lower id on the earlier guide), G3 stays empty."""
    result = allocate([GuideSlot(G1), GuideSlot(G2), GuideSlot(G3)], [cand(2, 5.0), cand(1, 5.0)])
    assert result.entry_ids == {G1: [1], G2: [2], G3: []}
    assert result.unfilled == {G1: 0, G2: 0, G3: 1}
    assert result.filled == 2


def test_it_handles_no_candidates_and_no_guides() -> None:
    assert allocate([GuideSlot(G1, needs=2)], []) == Allocation(
        picks={G1: ()}, unfilled={G1: 2}, total_score=0.0
    )
    assert allocate([], [cand(1, 5.0)]) == Allocation(picks={}, unfilled={}, total_score=0.0)


def test_it_keeps_a_pin_and_optimises_around_it() -> None:
    """P owns A (10) and B (8), Q owns C (5). Unpinned: A and C, 15. The chair pins B on
    G1: P is used up, so G2 gets C: 13."""
    candidates = [cand(1, 10.0, participant=7), cand(2, 8.0, participant=7), cand(3, 5.0)]
    result = allocate([GuideSlot(G1), GuideSlot(G2)], candidates, pins={G1: [2]})
    assert result.picks == {
        G1: (Pick(2, 7, 8.0, Reason.PINNED),),
        G2: (Pick(3, 1003, 5.0, Reason.SUGGESTED),),
    }
    assert result.total_score == 13.0


def test_it_fills_the_rest_of_a_guide_with_a_pin() -> None:
    """G1 takes 2; C (3) is pinned on it, the free slot gets the best of the rest, A (9)."""
    result = allocate(
        [GuideSlot(G1, needs=2)], [cand(1, 9.0), cand(2, 8.0), cand(3, 3.0)], pins={G1: {3}}
    )
    assert result.entry_ids == {G1: [1, 3]}
    assert [p.reason for p in result.picks[G1]] == [Reason.SUGGESTED, Reason.PINNED]


def test_it_explains_each_pick_in_json_ready_values() -> None:
    result = allocate([GuideSlot(G1), GuideSlot(G2)], [cand(1, 9.5), cand(2, 4.0)], pins={G2: [2]})
    assert [p.as_dict() for p in result.picks[G1]] == [
        {"entry_id": 1, "score": 9.5, "reason": "suggested"}
    ]
    assert [p.as_dict() for p in result.picks[G2]] == [
        {"entry_id": 2, "score": 4.0, "reason": "pinned"}
    ]


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        ({99: [1]}, "guide 99, which is not being allocated"),
        ({G1: [99]}, "entry 99, pinned on guide 11, is no candidate"),
        ({G2: [3]}, "entry 3 is pinned on guide 12 but not eligible"),
        ({G1: [1, 2]}, "guide 11 takes 1 photo"),
        ({G1: [1], G2: [1]}, r"entry 1 is pinned twice \(guides 11 and 12\)"),
        ({G1: [1], G2: [2]}, r"participant 7 has two pinned entries \(1 and 2\)"),
    ],
)
def test_it_refuses_a_pin_that_breaks_a_rule(pins: dict[int, list[int]], message: str) -> None:
    candidates = [cand(1, 1.0, participant=7), cand(2, 2.0, participant=7), cand(3, 3.0, {G1})]
    with pytest.raises(ValueError, match=message):
        allocate([GuideSlot(G1), GuideSlot(G2)], candidates, pins=pins)


def test_it_allows_two_pins_of_one_participant_when_the_rule_is_off() -> None:
    candidates = [cand(1, 1.0, participant=7), cand(2, 2.0, participant=7)]
    result = allocate(
        [GuideSlot(G1), GuideSlot(G2)],
        candidates,
        pins={G1: [1], G2: [2]},
        one_per_participant=False,
    )
    assert result.entry_ids == {G1: [1], G2: [2]}


def test_it_refuses_duplicate_ids_and_bad_numbers() -> None:
    with pytest.raises(ValueError, match="guide 11 appears twice"):
        allocate([GuideSlot(G1), GuideSlot(G1)], [])
    with pytest.raises(ValueError, match="entry 1 appears twice"):
        allocate([GuideSlot(G1)], [cand(1, 1.0), cand(1, 2.0)])
    with pytest.raises(ValueError, match="needs -1 photos"):
        GuideSlot(G1, needs=-1)
    with pytest.raises(ValueError, match=r"score -1\.0"):
        cand(1, -1.0)
    with pytest.raises(ValueError, match="score nan"):
        cand(1, 1.0, guide_scores={G1: math.nan})


def test_it_gives_a_tie_to_the_lower_entry_id() -> None:
    """Three photos of 5 for one slot: entry 1 wins, whatever order they come in."""
    candidates = [cand(3, 5.0), cand(1, 5.0), cand(2, 5.0)]
    for order in itertools.permutations(candidates):
        assert allocate([GuideSlot(G1)], order).entry_ids == {G1: [1]}


def test_it_gives_the_same_answer_whatever_the_order_of_candidates() -> None:
    """Many ties (scores 0 to 3, shared participants): every shuffle gives one answer."""
    rng = random.Random(4)
    candidates = [
        cand(
            i,
            float(rng.randint(0, 3)),
            {g for g in ALL if rng.random() < 0.7},
            participant=rng.randint(1, 6),
        )
        for i in range(1, 16)
    ]
    guides = [GuideSlot(G1, needs=2), GuideSlot(G2), GuideSlot(G3, needs=3)]
    expected = allocate(guides, candidates)
    for _ in range(20):
        rng.shuffle(candidates)
        assert allocate(guides, candidates) == expected
    assert_rules(guides, candidates, {}, True, expected)


def test_it_ignores_scores_and_eligibility_for_guides_not_being_allocated() -> None:
    result = allocate([GuideSlot(G1)], [cand(1, 2.0, {G1, 99}, guide_scores={99: 50.0, G2: 40.0})])
    assert result.entry_ids == {G1: [1]}
    assert result.total_score == 2.0


# --- against brute force -----------------------------------------------------------------


def pins_valid(
    guides: Sequence[GuideSlot],
    by_entry: Mapping[int, Candidate],
    pins: Mapping[int, Sequence[int]],
    one_per_participant: bool,
) -> bool:
    """Whether the pins keep every rule (the strategy only pins known guides and entries)."""
    needs = {g.guide_id: g.needs for g in guides}
    pairs = [(g, e) for g, entries in pins.items() for e in entries]
    entries = [e for _, e in pairs]
    people = [by_entry[e].participant_id for e in entries]
    return (
        all(len(entries) <= needs[g] for g, entries in pins.items())
        and all(g in by_entry[e].eligible for g, e in pairs)
        and len(set(entries)) == len(entries)
        and (not one_per_participant or len(set(people)) == len(people))
    )


def brute_force(
    guides: Sequence[GuideSlot],
    candidates: Sequence[Candidate],
    pins: Mapping[int, Sequence[int]],
    one_per_participant: bool,
) -> tuple[int, float]:
    """The best (filled slots, total score) over every valid assignment keeping the pins."""
    pinned = {e: g for g, entries in pins.items() for e in entries}
    needs = {g.guide_id: g.needs for g in guides}
    options = [
        [pinned[c.entry_id]]
        if c.entry_id in pinned
        else [None, *(g for g in needs if g in c.eligible)]
        for c in candidates
    ]
    best = (0, 0.0)
    for choice in itertools.product(*options):
        placed = [(c, g) for c, g in zip(candidates, choice, strict=True) if g is not None]
        per_guide = Counter(g for _, g in placed)
        if any(per_guide[g] > n for g, n in needs.items()):
            continue
        people = [c.participant_id for c, _ in placed]
        if one_per_participant and len(set(people)) != len(people):
            continue
        best = max(best, (len(placed), math.fsum(c.score_for(g) for c, g in placed)))
    return best


def assert_rules(
    guides: Sequence[GuideSlot],
    candidates: Sequence[Candidate],
    pins: Mapping[int, Sequence[int]],
    one_per_participant: bool,
    result: Allocation,
) -> None:
    """Every rule of the module holds in `result`, the tie rule for replacements included."""
    by_entry = {c.entry_id: c for c in candidates}
    pinned = {(g, e) for g, entries in pins.items() for e in entries}
    assert list(result.picks) == [g.guide_id for g in guides]
    placed = [(g, p) for g, picks in result.picks.items() for p in picks]
    for guide in guides:
        picks = result.picks[guide.guide_id]
        assert len(picks) + result.unfilled[guide.guide_id] == guide.needs
        assert list(picks) == sorted(picks, key=lambda p: (-p.score, p.entry_id))
    for g, pick in placed:
        candidate = by_entry[pick.entry_id]
        assert g in candidate.eligible
        assert pick.score == candidate.score_for(g)
        assert pick.participant_id == candidate.participant_id
        assert pick.reason == (Reason.PINNED if (g, pick.entry_id) in pinned else Reason.SUGGESTED)
    assert pinned <= {(g, p.entry_id) for g, p in placed}
    used = [p.entry_id for _, p in placed]
    assert len(set(used)) == len(used)
    people = {p.participant_id for _, p in placed}
    if one_per_participant:
        assert len(people) == len(used)
    assert result.total_score == math.fsum(p.score for _, p in placed)
    for g, pick in placed:
        if pick.reason == Reason.PINNED:
            continue
        for other in candidates:
            assert not (
                other.entry_id < pick.entry_id
                and other.entry_id not in used
                and g in other.eligible
                and other.score_for(g) == pick.score
                and not (
                    one_per_participant
                    and other.participant_id != pick.participant_id
                    and other.participant_id in people
                )
            ), f"entry {other.entry_id} ties with {pick.entry_id} on guide {g} and is lower"
    assert_no_free_trade(guides, by_entry, result)


def assert_no_free_trade(
    guides: Sequence[GuideSlot], by_entry: Mapping[int, Candidate], result: Allocation
) -> None:
    """No suggested pick could move at no cost to an earlier guide, to an empty slot or in
    exchange for a suggested pick of a higher entry id."""
    order = [g.guide_id for g in guides]
    for g1, g2 in itertools.combinations(order, 2):
        for late in result.picks[g2]:
            a = by_entry[late.entry_id]
            if late.reason == Reason.PINNED or g1 not in a.eligible:
                continue
            if result.unfilled[g1]:
                assert a.score_for(g1) != a.score_for(g2), f"{a.entry_id} could fill {g1}"
            for early in result.picks[g1]:
                b = by_entry[early.entry_id]
                assert not (
                    early.reason == Reason.SUGGESTED
                    and a.entry_id < b.entry_id
                    and g2 in b.eligible
                    and a.score_for(g1) + b.score_for(g2) == b.score_for(g1) + a.score_for(g2)
                ), f"{a.entry_id} and {b.entry_id} could trade guides {g2} and {g1}"


scores = st.one_of(st.integers(0, 4).map(float), st.floats(0, 10))


@st.composite
def contests(
    draw: st.DrawFn,
) -> tuple[list[GuideSlot], list[Candidate], dict[int, list[int]], bool]:
    """Up to 3 guides taking 1 or 2 photos, up to 5 candidates, up to 2 pins (maybe bad)."""
    guides = [
        GuideSlot(G1 + i, needs=draw(st.integers(1, 2))) for i in range(draw(st.integers(1, 3)))
    ]
    guide_ids = [g.guide_id for g in guides]
    count = draw(st.integers(0, 5))
    entry_ids = draw(st.permutations(range(1, count + 1)))  # ids unrelated to input order
    candidates = [
        Candidate(
            entry_id=entry_id,
            participant_id=draw(st.integers(1, 3)),
            score=draw(scores),
            eligible=frozenset(draw(st.sets(st.sampled_from(guide_ids)))),
            guide_scores=draw(st.dictionaries(st.sampled_from(guide_ids), scores, max_size=2)),
        )
        for entry_id in entry_ids
    ]
    pins: dict[int, list[int]] = {}
    if candidates:
        for g, e in draw(
            st.lists(st.tuples(st.sampled_from(guide_ids), st.sampled_from(entry_ids)), max_size=2)
        ):
            pins.setdefault(g, []).append(e)
    return guides, candidates, pins, draw(st.booleans())


@settings(max_examples=400, deadline=None)
@given(contests())
def test_it_matches_brute_force_on_small_contests(
    contest: tuple[list[GuideSlot], list[Candidate], dict[int, list[int]], bool],
) -> None:
    guides, candidates, pins, one_per_participant = contest
    by_entry = {c.entry_id: c for c in candidates}
    if not pins_valid(guides, by_entry, pins, one_per_participant):
        with pytest.raises(ValueError, match="pinned"):
            allocate(guides, candidates, pins=pins, one_per_participant=one_per_participant)
        return
    result = allocate(guides, candidates, pins=pins, one_per_participant=one_per_participant)
    filled, total = brute_force(guides, candidates, pins, one_per_participant)
    assert result.filled == filled
    assert result.total_score == pytest.approx(total, abs=1e-9)
    assert_rules(guides, candidates, pins, one_per_participant, result)
    assert (
        allocate(guides, candidates[::-1], pins=pins, one_per_participant=one_per_participant)
        == result
    )
