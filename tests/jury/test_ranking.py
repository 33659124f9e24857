"""Rankings of a jury round (jury/ranking.py): pure code, no database.

Each worked example carries its hand computation in the docstring, so a failure can be
checked against paper.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jury.ranking import (
    EntryScore,
    borda,
    borda_points,
    normalised_means,
    pairwise_matrix,
    schulze,
    strongest_paths,
    weighted_score,
)

A, B, C, D, E = 1, 2, 3, 4, 5


def ballots_from(spec: list[tuple[int, str]]) -> list[list[list[int]]]:
    """One ballot per voter from (count, "ACBED") lines: a strict order, best first."""
    ids = {"A": A, "B": B, "C": C, "D": D, "E": E}
    return [[[ids[c]] for c in order] for count, order in spec for _ in range(count)]


WIKIPEDIA_45 = ballots_from(
    [
        (5, "ACBED"),
        (5, "ADECB"),
        (8, "BEDAC"),
        (3, "CABED"),
        (7, "CAEBD"),
        (2, "CBADE"),
        (7, "DCEBA"),
        (8, "EBADC"),
    ]
)


def test_it_ranks_the_classic_45_voter_example_e_a_c_b_d() -> None:
    """The example of Wikipedia's "Schulze method" page: 45 voters, 5 candidates.

    Pairwise counts d[X, Y] (voters preferring X to Y), e.g. d[A, B]: A is above B in
    ACBED (5), ADECB (5), CABED (3), CAEBD (7) = 20, and d[B, A] = 45 - 20 = 25:

            A   B   C   D   E
        A   -  20  26  30  22
        B  25   -  16  33  18
        C  19  29   -  17  24
        D  15  12  28   -  14
        E  23  27  21  31   -

    Links (winning votes): A→C 26, A→D 30, B→A 25, B→D 33, C→B 29, C→E 24, D→C 28, E→A 23,
    E→B 27, E→D 31. Strongest paths, e.g. p[A, B] = A→D→C→B = min(30, 28, 29) = 28, and
    p[E, A] = max(E→A 23, E→D→C→B→A = min(31, 28, 29, 25) = 25) = 25:

            A   B   C   D   E
        A   -  28  28  30  24
        B  25   -  28  33  24
        C  25  29   -  29  24
        D  25  28  28   -  24
        E  25  28  28  31   -

    E beats everyone (p[E, X] > p[X, E]: 25 > 24, 28 > 24, ...); then A beats C (28 > 25),
    B (28 > 25), D (30 > 25); C beats B (29 > 28) and D (29 > 28); B beats D (33 > 28).
    So E > A > C > B > D.
    """
    candidates, d = pairwise_matrix(WIKIPEDIA_45)
    assert candidates == [A, B, C, D, E]
    assert d.tolist() == [
        [0, 20, 26, 30, 22],
        [25, 0, 16, 33, 18],
        [19, 29, 0, 17, 24],
        [15, 12, 28, 0, 14],
        [23, 27, 21, 31, 0],
    ]
    assert strongest_paths(d).tolist() == [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]
    assert schulze(WIKIPEDIA_45) == [[E], [A], [C], [B], [D]]


def test_it_keeps_an_exact_tie_as_one_group() -> None:
    """Two jurors with opposite ballots: d[A, B] = d[B, A] = 1, so no link either way, all
    strongest paths are 0, nobody beats anybody: one group [A, B].

    Three jurors in a perfect cycle (A>B>C, B>C>A, C>A>B): d[A, B] = d[B, C] = d[C, A] = 2
    against 1, so links A→B, B→C, C→A all of strength 2; every strongest path is 2 (around
    the cycle), p[X, Y] = p[Y, X] everywhere: one group [A, B, C].
    """
    assert schulze([[[A], [B]], [[B], [A]]]) == [[A, B]]
    cycle = [[[A], [B], [C]], [[B], [C], [A]], [[C], [A], [B]]]
    assert schulze(cycle) == [[A, B, C]]


def test_it_puts_candidates_missing_from_a_ballot_below_the_named_ones() -> None:
    """Three ballots naming only some of the candidates 1, 2, 3:

        X: 1 > 2        (3 missing: 1 > 3, 2 > 3)
        Y: 3            (1, 2 missing: 3 > 1, 3 > 2; 1 vs 2: no preference)
        Z: 1            (2, 3 missing: 1 > 2, 1 > 3; 2 vs 3: no preference)

    d[1, 2] = X + Z = 2, d[2, 1] = 0; d[1, 3] = X + Z = 2, d[3, 1] = Y = 1;
    d[2, 3] = X = 1, d[3, 2] = Y = 1 (Z, naming neither, counts for neither).
    Links: 1→2 (2), 1→3 (2); 2 and 3 tie (1 = 1), no link. Strongest paths: p[1, 2] =
    p[1, 3] = 2, nothing reaches 1, and 2 and 3 reach each other only through 1, which
    they cannot reach: p[2, 3] = p[3, 2] = 0. So 1 first, then 2 and 3 tied.
    """
    ballots = [[[1], [2]], [[3]], [[1]]]
    assert pairwise_matrix(ballots)[1].tolist() == [[0, 2, 2], [0, 0, 1], [1, 1, 0]]
    assert schulze(ballots) == [[1], [2, 3]]


def test_it_reads_a_group_on_a_ballot_as_a_tie() -> None:
    """Ballot {1, 2} > 3 twice and 3 > 1 > 2 once: d[1, 2] = 1 (only the third ballot),
    d[2, 1] = 0; d[1, 3] = 2, d[3, 1] = 1; d[2, 3] = 2, d[3, 2] = 1. Links: 1→2 (1),
    1→3 (2), 2→3 (2). 1 beats 2 (1 > 0) and 3 (2 > 0); 2 beats 3 (2 > 0): 1 > 2 > 3.
    """
    ballots: list[list[Collection[int]]] = [[{1, 2}, [3]], [{2, 1}, [3]], [[3], [1], [2]]]
    assert pairwise_matrix(ballots)[1].tolist() == [[0, 1, 2], [0, 0, 2], [1, 1, 0]]
    assert schulze(ballots) == [[1], [2], [3]]


def test_it_ranks_nothing_when_there_is_no_ballot() -> None:
    assert schulze([]) == []
    assert borda([]) == []


def test_it_refuses_a_ballot_naming_a_candidate_twice() -> None:
    with pytest.raises(ValueError, match="candidate 2 appears twice"):
        schulze([[[1, 2], [2]]])


def textbook_schulze(ballots: list[list[list[int]]]) -> list[list[int]]:
    """Schulze written the plain way: triple loops, no NumPy."""
    candidates = sorted({c for ballot in ballots for group in ballot for c in group})
    d = {(x, y): 0 for x in candidates for y in candidates}
    for ballot in ballots:
        level = {c: i for i, group in enumerate(ballot) for c in group}
        for x, y in itertools.permutations(candidates, 2):
            if level.get(x, len(ballot)) < level.get(y, len(ballot)):
                d[x, y] += 1
    p = {(x, y): d[x, y] if d[x, y] > d[y, x] else 0 for x in candidates for y in candidates}
    for k in candidates:
        for i in candidates:
            for j in candidates:
                if len({i, j, k}) == 3:
                    p[i, j] = max(p[i, j], min(p[i, k], p[k, j]))
    remaining, groups = set(candidates), []
    while remaining:
        top = sorted(x for x in remaining if not any(p[y, x] > p[x, y] for y in remaining))
        groups.append(top)
        remaining -= set(top)
    return groups


ballot_lists = st.lists(
    st.lists(st.lists(st.integers(0, 7), min_size=1, max_size=3), max_size=5),
    min_size=1,
    max_size=9,
).map(lambda ballots: [dedupe(ballot) for ballot in ballots])


def dedupe(ballot: list[list[int]]) -> list[list[int]]:
    """Keep each candidate's first appearance on a ballot (the input must name each once)."""
    seen: set[int] = set()
    result = []
    for group in ballot:
        kept = [c for c in dict.fromkeys(group) if c not in seen]
        seen.update(kept)
        if kept:
            result.append(kept)
    return result


@settings(max_examples=200, deadline=None)
@given(ballot_lists)
def test_it_agrees_with_the_textbook_triple_loop(ballots: list[list[list[int]]]) -> None:
    """The vectorised version gives the same groups as the plain one, ties and short
    ballots included."""
    assert schulze(ballots) == textbook_schulze(ballots)


def test_it_gives_borda_points_with_shared_places_for_ties_and_missing_candidates() -> None:
    """Candidates A..D, three ballots (n = 4, so each ballot hands out 0+1+2+3 = 6 points):

        A > B > C > D      A 3, B 2, C 1, D 0
        B > {A, C}         B 3 (A, C, D below); A and C share places 2 and 3: 1 below (D)
                           plus half a point for the tie = 1.5 each; D missing: 0
        C                  C 3; A, B, D missing share places 2..4: 0 below + 2/2 = 1 each

    Totals: A 3 + 1.5 + 1 = 5.5, B 2 + 3 + 1 = 6, C 1 + 1.5 + 3 = 5.5, D 0 + 0 + 1 = 1
    (sum 18 = 3 x 6). Ranking: B, then A and C tied, then D.
    """
    ballots = [[[A], [B], [C], [D]], [[B], [A, C]], [[C]]]
    assert borda_points(ballots) == {A: 5.5, B: 6.0, C: 5.5, D: 1.0}
    assert borda(ballots) == [[B], [A, C], [D]]


@settings(max_examples=200, deadline=None)
@given(ballot_lists)
def test_it_makes_a_short_borda_ballot_weigh_as_much_as_a_full_one(
    ballots: list[list[list[int]]],
) -> None:
    """Every ballot hands out n(n-1)/2 points, however many candidates it names."""
    n = len({c for ballot in ballots for group in ballot for c in group})
    assert sum(borda_points(ballots).values()) == len(ballots) * n * (n - 1) / 2


def test_it_evens_out_a_harsh_juror() -> None:
    """Juror 1 gives entries 10, 11, 12 the scores 8, 6, 4; juror 2, harsher by one point
    everywhere, gives 7, 5, 3.

    Juror 1: mean 6, population std sqrt((4 + 0 + 4) / 3) = sqrt(8/3); z = +sqrt(3/2), 0,
    -sqrt(3/2). Juror 2: mean 5, same std, the same z. So each entry's mean z is +sqrt(1.5),
    0, -sqrt(1.5): both jurors count exactly alike.
    Overall: the six scores have mean 5.5 and population std sqrt(17.5 / 6) (squared
    deviations 6.25 + 0.25 + 2.25 + 2.25 + 0.25 + 6.25 = 17.5). Entry 10: 5.5 + sqrt(1.5) x
    sqrt(17.5/6) = 5.5 + sqrt(4.375) = 7.5917; entry 11: 5.5; entry 12: 3.4083.
    """
    votes = [(1, 10, 8), (1, 11, 6), (1, 12, 4), (2, 10, 7), (2, 11, 5), (2, 12, 3)]
    scores = normalised_means(votes, scale=(0, 10))
    assert isinstance(scores[10], EntryScore)
    assert (scores[10].raw_mean, scores[10].votes) == (7.5, 2)
    assert scores[10].normalised_mean == pytest.approx(7.5917, abs=1e-4)
    assert scores[11].normalised_mean == pytest.approx(5.5)
    assert scores[12].normalised_mean == pytest.approx(3.4083, abs=1e-4)


def test_it_ranks_equally_the_favourites_of_a_harsh_and_a_lenient_juror() -> None:
    """Each juror sees different entries: juror 1 (lenient) scores 10 and 11 with 8 and 6;
    juror 2 (harsh) scores 12 and 13 with 7 and 5.

    Raw means put 10 (8) > 12 (7) > 11 (6) > 13 (5): entry 12 loses only for its juror.
    z-scores: juror 1 mean 7, std 1, so +1 and -1; juror 2 mean 6, std 1, so +1 and -1.
    Overall mean 6.5, std sqrt((2.25 + 0.25 + 0.25 + 2.25) / 4) = sqrt(1.25) = 1.1180.
    Normalised: 10 and 12 get 6.5 + 1.1180 = 7.6180; 11 and 13 get 6.5 - 1.1180 = 5.3820.
    """
    scores = normalised_means([(1, 10, 8), (1, 11, 6), (2, 12, 7), (2, 13, 5)], scale=(0, 10))
    assert scores[10].normalised_mean == pytest.approx(6.5 + 1.25**0.5)
    assert scores[12].normalised_mean == pytest.approx(scores[10].normalised_mean)
    assert scores[11].normalised_mean == pytest.approx(6.5 - 1.25**0.5)
    assert scores[13].normalised_mean == pytest.approx(scores[11].normalised_mean)
    assert [scores[e].raw_mean for e in (10, 11, 12, 13)] == [8, 6, 7, 5]


def test_it_counts_a_juror_who_gives_the_same_score_everywhere_as_neutral() -> None:
    """Juror 1 gives 9, 9; juror 2 gives 6 and 4 to entries 10 and 11.

    Juror 1: std 0, so z = 0 for both. Juror 2: mean 5, std 1: z = +1, -1. Mean z: entry 10
    (0 + 1) / 2 = 0.5, entry 11 -0.5. Overall mean (9 + 9 + 6 + 4) / 4 = 7, std
    sqrt((4 + 4 + 1 + 9) / 4) = sqrt(4.5) = 2.1213: 7 +- 0.5 x 2.1213 = 8.0607 and 5.9393.
    """
    scores = normalised_means([(1, 10, 9), (1, 11, 9), (2, 10, 6), (2, 11, 4)], scale=(0, 10))
    assert scores[10].normalised_mean == pytest.approx(7 + 0.5 * 4.5**0.5)
    assert scores[11].normalised_mean == pytest.approx(7 - 0.5 * 4.5**0.5)


def test_it_keeps_normalised_scores_inside_the_scale() -> None:
    """Scale 1..5, entries 10..13. Juror 1 gives 5, 1, 1, 1; juror 2 gives 5, 4, 4, 4.

    Juror 1: mean 2, std sqrt(12 / 4) = sqrt(3); z = +sqrt(3), then -1/sqrt(3) three times.
    Juror 2: mean 4.25, std sqrt(0.75 / 4) = sqrt(3) / 4; z = +sqrt(3), -1/sqrt(3) x 3.
    Overall: mean 25 / 8 = 3.125, variance (2 x 1.875^2 + 3 x 2.125^2 + 3 x 0.875^2) / 8 =
    22.875 / 8 = 2.859375. Entry 10: 3.125 + sqrt(3 x 2.859375) = 3.125 + 2.9288 = 6.05,
    above the scale: clipped to 5. Entry 11: 3.125 - sqrt(2.859375 / 3) = 2.1487.
    """
    votes = [(1, 10 + i, s) for i, s in enumerate((5, 1, 1, 1))]
    votes += [(2, 10 + i, s) for i, s in enumerate((5, 4, 4, 4))]
    scores = normalised_means(votes, scale=(1, 5))
    assert scores[10].normalised_mean == 5
    assert scores[11].normalised_mean == pytest.approx(3.125 - (2.859375 / 3) ** 0.5)


def test_it_refuses_two_scores_from_one_juror_for_one_entry() -> None:
    with pytest.raises(ValueError, match="juror 1 scored entry 10 twice"):
        normalised_means([(1, 10, 3), (1, 10, 4)], scale=(0, 10))
    with pytest.raises(ValueError, match="outside"):
        normalised_means([(1, 10, 11)], scale=(0, 10))
    assert normalised_means([], scale=(0, 10)) == {}


def test_it_weighs_the_criteria() -> None:
    """Composition 8 (weight 2), story 6 (weight 1), technique 5 (weight 1):
    (2 x 8 + 6 + 5) / (2 + 1 + 1) = 27 / 4 = 6.75. Weights summing to 1 or not: same result.
    """
    scores = {"composition": 8, "story": 6, "technique": 5}
    assert weighted_score(scores, {"composition": 2, "story": 1, "technique": 1}) == 6.75
    assert weighted_score(scores, {"composition": 0.5, "story": 0.25, "technique": 0.25}) == 6.75


def test_it_refuses_weights_that_cannot_make_an_average() -> None:
    with pytest.raises(ValueError, match="add up to zero"):
        weighted_score({"story": 6}, {"story": 0})
    with pytest.raises(ValueError, match="not scored"):
        weighted_score({"story": 6}, {"story": 1, "composition": 1})
    with pytest.raises(ValueError, match="negative"):
        weighted_score({"story": 6, "composition": 2}, {"story": 2, "composition": -1})


def test_it_ranks_forty_candidates_like_the_textbook_version() -> None:
    """40 candidates, 9 full random ballots (bench/jury_pure.py times 200)."""
    rng = np.random.default_rng(7)
    ballots = [[[int(c)] for c in rng.permutation(40)] for _ in range(9)]
    assert schulze(ballots) == textbook_schulze(ballots)
