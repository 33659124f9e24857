"""The allocation's "why not": for each guide, the candidates ranked above its pick that are
not on it, with the reason (covers.allocation.why_not, pure). Hand cases carry their
reasoning; the property checks that an allocation `allocate` made never leaves a candidate
that could simply have taken the place."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from covers.allocation import Candidate, GuideSlot, Passed, WhyNot, allocate, why_not
from tests.covers.test_allocation import G1, G2, G3, cand


def test_it_says_a_better_photo_is_the_cover_of_another_guide() -> None:
    """X (10) may go on either guide, Y (9) only on G1: both filled needs X on G2, so G1's
    pick is Y, and X, ranked above it there, is G2's cover."""
    guides = [GuideSlot(G1), GuideSlot(G2)]
    candidates = [cand(1, 10.0), cand(2, 9.0, {G1})]
    picks = allocate(guides, candidates).entry_ids
    assert picks == {G1: [2], G2: [1]}

    assert why_not(guides, candidates, picks) == {
        G1: (WhyNot(1, 10.0, Passed.COVER_ELSEWHERE, guide_id=G2),),
        G2: (),
    }


def test_it_says_the_participant_already_has_a_cover() -> None:
    """Participant 7's X (10) fits G1 only, their X' (8) G2 only; Z (9) of someone else G1
    only. One cover each: Z on G1 and X' on G2 fill both, so X waits behind Z on G1."""
    guides = [GuideSlot(G1), GuideSlot(G2)]
    candidates = [cand(1, 10.0, {G1}, participant=7), cand(2, 8.0, {G2}, participant=7)]
    candidates.append(cand(3, 9.0, {G1}))
    picks = allocate(guides, candidates).entry_ids
    assert picks == {G1: [3], G2: [2]}

    assert why_not(guides, candidates, picks)[G1] == (
        WhyNot(1, 10.0, Passed.PARTICIPANT_HAS_COVER, guide_id=G2, cover_entry_id=2),
    )
    # With the rule off, nothing stops X: it would have been suggested.
    assert why_not(guides, candidates, picks, one_per_participant=False)[G1] == (
        WhyNot(1, 10.0, Passed.NOT_SUGGESTED),
    )


def test_it_says_a_better_photo_is_not_eligible_for_the_guide() -> None:
    guides = [GuideSlot(G1)]
    candidates = [cand(1, 20.0, set()), cand(2, 15.0, {G2}), cand(3, 9.0), cand(4, 5.0)]
    picks = allocate(guides, candidates).entry_ids
    assert picks == {G1: [3]}

    # Ranked best first; the photo ranked below the pick (4) is not listed.
    assert why_not(guides, candidates, picks)[G1] == (
        WhyNot(1, 20.0, Passed.NOT_ELIGIBLE),
        WhyNot(2, 15.0, Passed.NOT_ELIGIBLE),
    )


def test_it_says_a_photo_chosen_by_hand_keeps_the_place() -> None:
    guides = [GuideSlot(G1)]
    candidates = [cand(1, 10.0, {G1}), cand(2, 4.0, {G1})]
    picks = allocate(guides, candidates, pins={G1: [2]}).entry_ids
    assert picks == {G1: [2]}

    assert why_not(guides, candidates, picks, pinned=[(G1, 2)])[G1] == (
        WhyNot(1, 10.0, Passed.CHOSEN_BY_HAND),
    )


def test_it_says_a_free_photo_was_not_suggested_when_the_picks_were_changed_by_hand() -> None:
    guides = [GuideSlot(G1)]
    candidates = [cand(1, 10.0), cand(2, 4.0)]
    assert why_not(guides, candidates, {G1: [2]})[G1] == (WhyNot(1, 10.0, Passed.NOT_SUGGESTED),)


def test_it_lists_every_candidate_behind_an_empty_slot() -> None:
    """G3 needs two photos and gets one: 1 would score only 3 there against 10 on G1, and 3
    may go nowhere, so every other candidate is listed behind the empty slot."""
    guides = [GuideSlot(G1), GuideSlot(G3, needs=2)]
    candidates = [cand(1, 10.0, guide_scores={G3: 3.0}), cand(2, 8.0, {G3}), cand(3, 1.0, set())]
    picks = allocate(guides, candidates).entry_ids
    assert picks == {G1: [1], G3: [2]}

    assert why_not(guides, candidates, picks)[G3] == (
        WhyNot(1, 3.0, Passed.COVER_ELSEWHERE, guide_id=G1),
        WhyNot(3, 1.0, Passed.NOT_ELIGIBLE),
    )


def test_it_ranks_by_the_guides_own_score_then_entry_id() -> None:
    """Entry 1 scores 9 in general but 2 on G1; 3 and 2 tie at 7 there: 2 ranks first."""
    guides = [GuideSlot(G1)]
    candidates = [
        cand(1, 9.0, {G2}, guide_scores={G1: 2.0}),
        cand(3, 7.0, set()),
        cand(2, 7.0, set()),
        cand(4, 5.0, {G1}),
    ]
    assert [w.entry_id for w in why_not(guides, candidates, {G1: [4]})[G1]] == [2, 3]


@st.composite
def contests(draw: st.DrawFn) -> tuple[list[GuideSlot], list[Candidate], bool]:
    """Up to 3 guides of 1 or 2 photos, up to 6 candidates of 3 participants, whole scores
    (so that no two different totals look equal to the solver)."""
    guides = [GuideSlot(G1 + i, draw(st.integers(1, 2))) for i in range(draw(st.integers(1, 3)))]
    ids = [g.guide_id for g in guides]
    candidates = [
        Candidate(
            entry_id=entry_id,
            participant_id=draw(st.integers(1, 3)),
            score=float(draw(st.integers(0, 4))),
            eligible=frozenset(draw(st.sets(st.sampled_from(ids)))),
            guide_scores={
                g: float(s)
                for g, s in draw(
                    st.dictionaries(st.sampled_from(ids), st.integers(0, 4), max_size=2)
                ).items()
            },
        )
        for entry_id in draw(st.permutations(range(1, draw(st.integers(0, 6)) + 1)))
    ]
    return guides, candidates, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(contests())
def test_an_optimal_allocation_leaves_no_candidate_that_could_take_the_place(
    contest: tuple[list[GuideSlot], list[Candidate], bool],
) -> None:
    guides, candidates, one_per_participant = contest
    result = allocate(guides, candidates, one_per_participant=one_per_participant)
    explained = why_not(
        guides, candidates, result.entry_ids, one_per_participant=one_per_participant
    )
    by_entry = {c.entry_id: c for c in candidates}
    for guide in guides:
        for row in explained[guide.guide_id]:
            assert row.reason not in (Passed.NOT_SUGGESTED, Passed.CHOSEN_BY_HAND), row
            assert row.entry_id not in result.entry_ids[guide.guide_id]
            if row.reason == Passed.NOT_ELIGIBLE:
                assert guide.guide_id not in by_entry[row.entry_id].eligible
            elif row.reason == Passed.COVER_ELSEWHERE:
                assert row.entry_id in result.entry_ids[row.guide_id or 0]
            else:
                assert one_per_participant
                cover = by_entry[row.cover_entry_id or 0]
                assert cover.participant_id == by_entry[row.entry_id].participant_id
