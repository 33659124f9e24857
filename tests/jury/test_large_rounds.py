"""A first round judges every photo of the contest (250,000 in bench/jury.py): its tasks are
written by COPY on PostgreSQL, its scores computed by one SQL query there, and the tasks
table carries no index that another already covers. The SQL scores must be exactly those of
`ranking.normalised_means`, the reference kept in pure Python.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contest.models import Contest, Entry
from jury import ranking, selectors, services
from jury.models import Juror, Round, RoundEntry, Task
from tests.conftest import service_missing
from tests.factories import EntryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")


def test_it_keeps_no_task_index_that_a_longer_one_already_covers() -> None:
    # Every index slows the writing of a round's tasks; a plain index on columns that lead
    # another index only costs.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Task._meta.db_table)
    indexes = {
        name: tuple(c["columns"])
        for name, c in constraints.items()
        if c["index"] or c["unique"] or c["primary_key"]
    }
    covered = [
        (name, columns, other)
        for name, columns in indexes.items()
        if not constraints[name]["unique"] and not constraints[name]["primary_key"]
        for other_name, other in indexes.items()
        if other_name != name and other[: len(columns)] == columns
    ]
    assert covered == []
    # What the foreign keys on round_entry and juror relied on is still there.
    assert ("round_entry_id", "juror_id") in indexes.values()
    assert ("juror_id", "round_id", "state") in indexes.values()


def test_it_writes_every_column_of_a_new_task_when_copying_them() -> None:
    columns = {f.column for f in Task._meta.concrete_fields if not f.primary_key}
    assert set(services.TASK_COPY_COLUMNS) == columns
    assert len(services.TASK_COPY_COLUMNS) == len(columns)


@pytest.mark.postgres
@pytest.mark.usefixtures("_postgres_only")
def test_it_starts_a_round_on_postgresql_by_copy_with_tasks_as_new_as_the_models(
    contest: Contest,
    chair: object,
    juror: object,
    other_juror: object,
    third_juror: object,
    approved_photos: Callable[[int], list[Entry]],
) -> None:
    approved_photos(3)
    created = services.round_create(
        contest=contest,
        kind=Round.Kind.RATING,
        quorum=2,
        deadline=timezone.now() + timedelta(days=7),
        chair=chair,  # type: ignore[arg-type]
    )
    with CaptureQueriesContext(connection) as queries:
        services.round_activate(round_id=created.pk, chair=chair)  # type: ignore[arg-type]
    assert not [q for q in queries if q["sql"].startswith('INSERT INTO "jury_task"')]

    fresh = Task()
    compared = [
        f.attname
        for f in Task._meta.concrete_fields
        if f.attname not in ("id", "round_id", "round_entry_id", "juror_id")
    ]
    tasks = list(Task.objects.filter(round=created))
    assert len(tasks) == 3 * 2
    for task in tasks:
        assert {a: getattr(task, a) for a in compared} == {a: getattr(fresh, a) for a in compared}
    # The jurors see them: open, in their queue.
    seat = Juror.objects.get(user=juror)  # type: ignore[misc]
    assert selectors.juror_progress(juror=seat, round=created).total == 2


def _round(
    contest: Contest, kind: str, *, jurors: int, photos: int
) -> tuple[Round, list[Juror], list[RoundEntry]]:
    """An active round with its jurors and photos, and no task yet."""
    round = Round.objects.create(
        contest=contest,
        number=1,
        kind=kind,
        quorum=3,
        deadline=timezone.now() + timedelta(days=7),
        state=Round.State.ACTIVE,
    )
    seats = [
        Juror.objects.create(contest=contest, user=UserFactory(), alias=f"J{n}")  # type: ignore[misc]
        for n in range(1, jurors + 1)
    ]
    round_entries = [
        RoundEntry.objects.create(
            round=round,
            entry=EntryFactory(contest=contest, title=f"Photo {n}"),  # type: ignore[misc]
            code=f"1X{n:04d}",
        )
        for n in range(photos)
    ]
    return round, seats, round_entries


def _random_round(
    contest: Contest, kind: str, seed: int
) -> tuple[Round, list[tuple[int, int, float]]]:
    """A round with ~300 votes from 8 jurors, one who gives every photo the same score and
    one with weighted (non-integer) ratings; some photos disqualified, withdrawn or unjudged,
    some tasks open or cancelled. Returns the round and its counted (juror, entry, value)."""
    rng = random.Random(seed)
    round, jurors, round_entries = _round(contest, kind, jurors=8, photos=70)
    RoundEntry.objects.filter(pk__in=[round_entries[3].pk, round_entries[17].pk]).update(
        disqualified=True
    )
    RoundEntry.objects.filter(pk=round_entries[25].pk).update(withdrawn=True)
    for re in round_entries:
        re.refresh_from_db()
    flat, weighted = jurors[0].pk, jurors[1].pk
    tasks = []
    for re in round_entries[:-2]:  # the last two photos: no vote at all
        for juror in rng.sample(jurors, 5):
            state = rng.choices(
                [Task.State.DONE, Task.State.OPEN, Task.State.CANCELLED], [90, 7, 3]
            )[0]
            if kind == Round.Kind.YESNO:
                value = 1.0 if juror.pk == flat else float(rng.random() < 0.3 + juror.pk % 3 / 5)
            elif juror.pk == flat:
                value = 11 / 3  # not exact in binary: a rounding residue must not count
            elif juror.pk == weighted:
                value = (2 * rng.randint(1, 5) + rng.randint(1, 5)) / 3
            else:
                value = float(min(5, max(1, rng.randint(1, 5) + juror.pk % 3 - 1)))
            tasks.append(
                Task(
                    round=round,
                    round_entry=re,
                    juror=juror,
                    state=state,
                    value=value if state == Task.State.DONE else None,
                )
            )
    Task.objects.bulk_create(tasks)
    counted = [
        (t.juror_id, t.round_entry_id, t.value)
        for t in tasks
        if t.state == Task.State.DONE
        and t.value is not None
        and not t.round_entry.disqualified
        and not t.round_entry.withdrawn
    ]
    return round, counted


@pytest.mark.postgres
@pytest.mark.usefixtures("_postgres_only")
@pytest.mark.parametrize(
    ("kind", "scale"), [(Round.Kind.RATING, (1.0, 5.0)), (Round.Kind.YESNO, (0.0, 1.0))]
)
@pytest.mark.parametrize("seed", [1, 2])
def test_it_scores_a_round_in_sql_exactly_as_the_pure_normalisation_does(
    contest: Contest, kind: str, scale: tuple[float, float], seed: int
) -> None:
    round, counted = _random_round(contest, kind, seed)
    assert len(counted) > 250

    in_sql = selectors.round_scores(round=round)
    reference = ranking.normalised_means(counted, scale=scale)

    assert set(in_sql) == set(reference) and len(reference) == 70 - 5
    for re_id, expected in reference.items():
        got = in_sql[re_id]
        assert got.votes == expected.votes
        assert got.raw_mean == pytest.approx(expected.raw_mean, abs=1e-9)
        assert got.normalised_mean == pytest.approx(expected.normalised_mean, abs=1e-9)
    # And the results show them, best first.
    rows = [r for r in selectors.round_results(round=round).rows if r.votes]
    assert len(rows) == len(reference)
    for row in rows:
        normalised = reference[row.round_entry_id].normalised_mean
        assert row.normalised_mean == pytest.approx(normalised, abs=1e-9)
    if kind == Round.Kind.RATING:
        means = [r.normalised_mean or 0.0 for r in rows]
        assert means == sorted(means, reverse=True)


@pytest.mark.postgres
@pytest.mark.usefixtures("_postgres_only")
def test_it_scores_a_round_where_every_vote_is_the_same_in_sql_as_in_python(
    contest: Contest,
) -> None:
    round, _counted = _random_round(contest, Round.Kind.RATING, 3)
    Task.objects.filter(round=round, state=Task.State.DONE).update(value=3.0)
    counted = [
        (j, e, v)
        for j, e, v in Task.objects.filter(
            round=round,
            state=Task.State.DONE,
            round_entry__disqualified=False,
            round_entry__withdrawn=False,
        ).values_list("juror_id", "round_entry_id", "value")
        if v is not None
    ]
    reference = ranking.normalised_means(counted, scale=(1.0, 5.0))
    in_sql = selectors.round_scores(round=round)
    assert in_sql == reference  # every juror flat: z = 0, every entry exactly the mean, 3
    assert {s.normalised_mean for s in in_sql.values()} == {3.0}


@pytest.mark.postgres
@pytest.mark.usefixtures("_postgres_only")
def test_it_ties_two_photos_given_the_same_stars_by_the_same_jurors(contest: Contest) -> None:
    round, jurors, (a, b, c, d) = _round(contest, Round.Kind.RATING, jurors=3, photos=4)
    stars = {a: (5, 4, 5), b: (5, 4, 5), c: (3, 2, 4), d: (1, 3, 2)}
    Task.objects.bulk_create(
        Task(round=round, round_entry=re, juror=juror, state=Task.State.DONE, value=value)
        for re, values in stars.items()
        for juror, value in zip(jurors, values, strict=True)
    )

    results = selectors.round_results(round=round)

    # The chair breaks the tie (casting vote): it must be found, exactly.
    assert sorted(results.tied_winners) == [a.pk, b.pk]
    assert [r.round_entry_id for r in results.rows] == [a.pk, b.pk, c.pk, d.pk]


def _rows(kind: str, count: int, seed: int) -> list[selectors.ResultRow]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        score = rng.choice([None, round(rng.uniform(1, 5), 2), rng.uniform(1, 5)])
        rows.append(
            selectors.ResultRow(
                round_entry_id=n,
                code=f"1X{n:05d}",
                entry_id=n,
                title="",
                public_votes=0,
                disqualified=rng.random() < 0.05,
                withdrawn=rng.random() < 0.05,
                kind=kind,
                raw_mean=score,
                normalised_mean=score,
                rank=rng.randint(1, count // 3) if score is not None else None,
            )
        )
    return rows


@pytest.mark.parametrize("kind", [Round.Kind.YESNO, Round.Kind.RATING, Round.Kind.RANKING])
def test_it_previews_each_cut_with_the_photos_that_would_advance_at_it(kind: str) -> None:
    rows = _rows(kind, 600, seed=7)
    # Two scores closer than the tolerance of a cut: both advance at the higher one.
    rows[0].normalised_mean = rows[0].raw_mean = 3.5
    rows[1].normalised_mean = rows[1].raw_mean = 3.5 - 1e-10
    rows[0].disqualified = rows[0].withdrawn = rows[1].disqualified = rows[1].withdrawn = False
    results = selectors.RoundResults(round=Round(kind=kind), rows=rows)

    preview = results.preview()

    assert preview == [(cut, sum(r.advances_at(cut) for r in rows)) for cut, _count in preview]
    cuts = {r.score for r in rows if r.score is not None and not r.disqualified}
    assert [cut for cut, _count in preview] == sorted(cuts, reverse=kind != Round.Kind.RANKING)


def test_it_previews_the_cuts_of_a_first_round_at_once() -> None:
    # As many cuts as photos: the chair's round page shows the first ones.
    rows = _rows(Round.Kind.RATING, 5000, seed=8)
    results = selectors.RoundResults(round=Round(kind=Round.Kind.RATING), rows=rows)
    started = time.perf_counter()
    preview = results.preview()
    assert time.perf_counter() - started < 1.0
    assert len(preview) > 1500


@pytest.mark.postgres
@pytest.mark.usefixtures("_postgres_only")
@pytest.mark.parametrize("kind", [Round.Kind.RATING, Round.Kind.YESNO])
@pytest.mark.parametrize("seed", [4, 5])
def test_it_sorts_previews_and_cuts_a_round_in_sql_as_python_does(
    contest: Contest, chair: object, kind: str, seed: int
) -> None:
    round, _counted = _random_round(contest, kind, seed)
    # Two photos given the same scores by the same jurors, tied at the top: the chair's
    # casting vote (reversed) orders them.
    in_play = list(
        RoundEntry.objects.filter(round=round, disqualified=False, withdrawn=False).order_by("pk")
    )
    a, b = in_play[0], in_play[1]
    Task.objects.filter(round_entry__in=[a, b]).delete()
    top = 1.0 if kind == Round.Kind.YESNO else 5.0
    Task.objects.bulk_create(
        Task(round=round, round_entry=re, juror=juror, state=Task.State.DONE, value=top)
        for re in (a, b)
        for juror in Juror.objects.filter(contest=contest)[:4]
    )
    reference = selectors._results_python(round)
    assert len(reference.tied_winners) >= 2
    Round.objects.filter(pk=round.pk).update(casting=list(reversed(reference.tied_winners)))
    round.refresh_from_db()
    reference = selectors._results_python(round)

    in_sql = selectors.round_results(round=round)

    assert in_sql.total == reference.total == len(reference.rows)
    assert in_sql.tied_winners == reference.tied_winners
    assert [r.round_entry_id for r in in_sql.rows] == [r.round_entry_id for r in reference.rows]
    for got, expected in zip(in_sql.rows, reference.rows, strict=True):
        assert (got.votes, got.disqualified, got.withdrawn) == (
            expected.votes,
            expected.disqualified,
            expected.withdrawn,
        )
        assert got.raw_mean == pytest.approx(expected.raw_mean, abs=1e-9)
        assert got.normalised_mean == pytest.approx(expected.normalised_mean, abs=1e-9)
    page = selectors.round_results(round=round, limit=10)
    assert [r.round_entry_id for r in page.rows] == [r.round_entry_id for r in reference.rows][:10]
    assert page.total == reference.total and page.tied_winners == reference.tied_winners

    preview = selectors.round_preview(round=round)
    expected_preview = reference.preview()
    assert [count for _cut, count in preview] == [count for _cut, count in expected_preview]
    assert [cut for cut, _count in preview] == pytest.approx(
        [cut for cut, _count in expected_preview], abs=1e-9
    )
    page, first_cuts = selectors.round_page(round=round, rows=10, cuts=5)
    assert [r.round_entry_id for r in page.rows] == [r.round_entry_id for r in reference.rows][:10]
    assert first_cuts == preview[:5] and page.tied_winners == reference.tied_winners
    cut = preview[len(preview) // 2][0]
    advancing = {r.round_entry_id for r in reference.rows if r.advances_at(cut)}
    assert selectors.round_advancing_count(round=round, cut=cut) == len(advancing)

    services.round_close(round_id=round.pk, chair=chair, cut=cut)  # type: ignore[arg-type]

    assert (
        set(RoundEntry.objects.filter(round=round, advanced=True).values_list("pk", flat=True))
        == advancing
    )
