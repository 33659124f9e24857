"""Reads of the jury: a juror's work and progress, a round's results and threshold preview.

Blind: what a juror's pages read is `JurorTask` — a code, the renditions and the title and
caption (which describe the photo) — never the participant, the file name or EXIF.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from contest.models import Contest
from jury import ranking
from jury.models import Ballot, Juror, JuryEvent, Note, Round, RoundEntry, Task
from photos.models import Rendition
from photos.selectors import renditions_by_spec


def juror_of(*, contest: Contest, user_id: int | None) -> Juror | None:
    if user_id is None:
        return None
    return (
        Juror.objects.filter(contest=contest, user_id=user_id, active=True)
        .select_related("user", "contest")
        .first()
    )


def rounds_of(*, contest: Contest) -> QuerySet[Round]:
    return Round.objects.filter(contest=contest).order_by("number")


def round_current(*, contest: Contest) -> Round | None:
    """The round jurors work on now: the latest that is not a draft."""
    return (
        Round.objects.filter(contest=contest)
        .exclude(state__in=(Round.State.DRAFT, Round.State.STARTING))
        .order_by("-number")
        .first()
    )


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    deadline: datetime

    @property
    def days_left(self) -> int:
        return max(0, (self.deadline - timezone.now()).days)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def juror_progress(*, juror: Juror, round: Round) -> Progress:
    # The same photos as the juror's list (_tasks): a disqualified photo's open task would
    # otherwise keep "34 of 120" from ever reaching the end.
    counts = (
        Task.objects.filter(round=round, juror=juror)
        .exclude(state=Task.State.CANCELLED)
        .filter(round_entry__disqualified=False, round_entry__withdrawn=False)
        .aggregate(total=Count("pk"), done=Count("pk", filter=Q(state=Task.State.DONE)))
    )
    return Progress(done=counts["done"] or 0, total=counts["total"] or 0, deadline=round.deadline)


@dataclass(frozen=True)
class JurorTask:
    """One task as the juror sees it: nothing that names the participant."""

    task_id: int
    version: int
    round_entry_id: int
    code: str
    title: str
    caption: str
    state: str
    value: float | None
    scores: dict[str, float]
    favourite: bool
    renditions: dict[str, dict[str, Rendition]]
    public_id: str  # the photo's public id: the full-resolution view, staff-side, is by code
    note: str = ""
    note_for_report: bool = False


def _tasks(juror: Juror, round: Round) -> QuerySet[Task]:
    return (
        Task.objects.filter(round=round, juror=juror)
        .exclude(state=Task.State.CANCELLED)
        .filter(round_entry__disqualified=False, round_entry__withdrawn=False)
        .select_related("round_entry__entry__photo")
        .prefetch_related("round_entry__entry__photo__renditions")
    )


def _juror_task(task: Task, notes: dict[int, Note]) -> JurorTask:
    entry = task.round_entry.entry
    note = notes.get(task.round_entry_id)
    return JurorTask(
        task_id=task.pk,
        version=task.version,
        round_entry_id=task.round_entry_id,
        code=task.round_entry.code,
        title=entry.title,
        caption=entry.caption,
        state=task.state,
        value=task.value,
        scores=dict(task.scores or {}),
        favourite=task.favourite,
        renditions=renditions_by_spec(entry.photo),
        public_id=str(entry.photo.public_id),
        note=note.text if note else "",
        note_for_report=note.for_report if note else False,
    )


def _notes(juror: Juror, round_entry_ids: Sequence[int]) -> dict[int, Note]:
    return {
        note.round_entry_id: note
        for note in Note.objects.filter(juror=juror, round_entry_id__in=round_entry_ids)
    }


def juror_next_task(*, juror: Juror, round: Round, after: int | None = None) -> JurorTask | None:
    """The next photo to judge: open ones first (skipped ones last), in a fixed order."""
    open_tasks = _tasks(juror, round).filter(state=Task.State.OPEN)
    fresh = open_tasks.filter(skipped_at__isnull=True).order_by("pk")
    if after is not None:
        later = fresh.filter(pk__gt=after).first()
        task = later or fresh.exclude(pk=after).first()
    else:
        task = fresh.first()
    if task is None:
        task = open_tasks.exclude(pk=after or 0).order_by("skipped_at", "pk").first()
    if task is None:
        return None
    return _juror_task(task, _notes(juror, [task.round_entry_id]))


def juror_task(*, juror: Juror, task_id: int) -> JurorTask | None:
    task = Task.objects.filter(pk=task_id, juror=juror).first()
    if task is None:
        return None
    found = _tasks(juror, task.round).filter(pk=task_id).first()
    return _juror_task(found, _notes(juror, [found.round_entry_id])) if found else None


def juror_tasks(*, juror: Juror, round: Round) -> list[JurorTask]:
    """All of the juror's photos in the round (the ranking list, the overview)."""
    tasks = list(_tasks(juror, round).order_by("pk"))
    notes = _notes(juror, [t.round_entry_id for t in tasks])
    return [_juror_task(task, notes) for task in tasks]


def juror_ballot(*, juror: Juror, round: Round) -> list[list[int]]:
    ballot = Ballot.objects.filter(round=round, juror=juror).first()
    return [list(group) for group in ballot.groups] if ballot else []


# --- results ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ResultRow:
    round_entry_id: int
    code: str
    entry_id: int
    title: str
    public_votes: int
    disqualified: bool
    withdrawn: bool
    votes: int = 0
    disqualified_reason: str = ""
    raw_mean: float | None = None
    normalised_mean: float | None = None
    rank: int | None = None  # ranking rounds: 1 is best; ties share a rank
    borda: float | None = None
    advanced: bool = False
    kind: str = Round.Kind.RATING
    photo_id: int | None = None
    # {"webp": r, "jpeg": r}: filled by `round_results_with_thumbs` for the pages that show them.
    thumbs: dict[str, Rendition] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        """What the cut applies to: the yes rate, the normalised rating, or the rank."""
        if self.kind == Round.Kind.YESNO:
            return self.raw_mean
        if self.kind == Round.Kind.RANKING:
            return float(self.rank) if self.rank is not None else None
        return self.normalised_mean

    def advances_at(self, cut: float) -> bool:
        if self.disqualified or self.withdrawn or self.score is None:
            return False
        if self.kind == Round.Kind.RANKING:
            return self.score <= cut
        return self.score >= cut - 1e-9


@dataclass
class RoundResults:
    round: Round
    rows: list[ResultRow]
    tied_winners: list[int] = field(default_factory=list)  # round entry ids tied for first
    total: int | None = None  # every entry of the round, when `rows` is only the first ones

    def preview(self) -> list[tuple[float, int]]:
        """(cut, how many advance) for every cut that changes the count, best cut first."""
        ranked = self.round.kind == Round.Kind.RANKING
        cuts = sorted(
            {r.score for r in self.rows if r.score is not None and not r.disqualified},
            reverse=not ranked,
        )
        # Counted by bisection in the sorted scores of the rows that may advance, exactly as
        # ResultRow.advances_at decides: a first round has as many cuts as photos, and
        # asking every row at every cut took minutes.
        eligible = sorted(
            r.score
            for r in self.rows
            if r.score is not None and not r.disqualified and not r.withdrawn
        )
        if ranked:
            return [(cut, bisect_right(eligible, cut)) for cut in cuts]
        return [(cut, len(eligible) - bisect_left(eligible, cut - 1e-9)) for cut in cuts]


# The counted votes (judged, of entries still in play); per juror their mean and population
# std, and whether their scores are all equal (then each z is 0, as ranking.normalised_means
# gives); the round's overall mean and std (0 when flat); per round entry the raw mean, the
# mean z put back on the round's scale, and the votes; `score` is what the cut applies to
# (ResultRow.score). Per-juror figures by GROUP BY and a join, not a window: no sort of
# every vote. The z-scores are averaged in order so that two entries given the same scores
# by the same jurors tie exactly, as with math.fsum in the pure function (a tie for first
# place goes to the chair).
_SCORES_CTES = """
counted AS MATERIALIZED (
    SELECT t.juror_id, t.round_entry_id, t.value
    FROM jury_task t
    JOIN jury_roundentry re ON re.id = t.round_entry_id
    WHERE t.round_id = %(round)s AND t.state = %(done)s AND t.value IS NOT NULL
        AND NOT re.disqualified AND NOT re.withdrawn
),
by_juror AS (
    SELECT juror_id, AVG(value) AS mean, STDDEV_POP(value) AS std,
        MIN(value) = MAX(value) AS flat
    FROM counted GROUP BY juror_id
),
overall AS (
    SELECT AVG(value) AS mean,
        CASE WHEN MIN(value) = MAX(value) THEN 0.0 ELSE STDDEV_POP(value) END AS std
    FROM counted
),
zs AS (
    SELECT c.round_entry_id, c.value,
        CASE WHEN j.flat THEN 0.0
            ELSE COALESCE((c.value - j.mean) / NULLIF(j.std, 0), 0.0) END AS z
    FROM counted c JOIN by_juror j ON j.juror_id = c.juror_id
),
scores AS (
    SELECT zs.round_entry_id, AVG(zs.value) AS raw_mean,
        LEAST(%(high)s::float8, GREATEST(%(low)s::float8,
            o.mean + AVG(zs.z ORDER BY zs.z) * o.std)) AS normalised_mean,
        COUNT(*) AS votes
    FROM zs CROSS JOIN overall o
    GROUP BY zs.round_entry_id, o.mean, o.std
),
ranked AS (
    SELECT scores.*, CASE WHEN %(yesno)s THEN raw_mean ELSE normalised_mean END AS score
    FROM scores
)"""

# A tolerance on the cut: a score a rounding residue under it still advances
# (ResultRow.advances_at).
CUT_TOLERANCE = 1e-9


def _in_sql(round: Round) -> bool:
    """Yes/no and rating rounds are scored, sorted and cut in PostgreSQL; ranking rounds
    (a short list, Schulze in Python) and SQLite (no STDDEV_POP) in Python."""
    return connection.vendor == "postgresql" and round.kind != Round.Kind.RANKING


def scores_sql(round: Round, then: str) -> tuple[str, dict[str, Any]]:
    """`then`, a statement of this module's or jury.services' own, after the WITH clauses
    that score a yes/no or rating round (PostgreSQL), and their parameters: `ranked` has
    round_entry_id, raw_mean, normalised_mean, votes, score."""
    low, high = (0.0, 1.0) if round.kind == Round.Kind.YESNO else (1.0, 5.0)
    # Constant texts only; every value goes as a parameter.
    return "WITH " + _SCORES_CTES + "\n" + then, {
        "round": round.pk,
        "done": Task.State.DONE,
        "low": low,
        "high": high,
        "yesno": round.kind == Round.Kind.YESNO,
    }


# A round entry's (raw mean, normalised mean, votes): plain tuples, not 250,000 objects.
Scores = dict[int, tuple[float, float, int]]


def _scores_sql(round: Round) -> Scores:
    """`ranking.normalised_means` in one query: PostgreSQL does the per-juror work."""
    sql, params = scores_sql(
        round, "SELECT round_entry_id, raw_mean, normalised_mean, votes FROM ranked"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {re_id: (raw, normalised, votes) for re_id, raw, normalised, votes in cursor}


def _scores(round: Round) -> Scores:
    if connection.vendor == "postgresql":
        # Fetching the 750,000 votes of a first round and normalising them in Python took
        # half of round_results's time (bench/jury.py).
        return _scores_sql(round)
    scale = (0.0, 1.0) if round.kind == Round.Kind.YESNO else (1.0, 5.0)
    # SQLite has no STDDEV_POP: the pure function on the votes.
    votes = Task.objects.filter(
        round=round,
        state=Task.State.DONE,
        # The counted entries by a join, not a list of ids: a first round has 250,000.
        round_entry__disqualified=False,
        round_entry__withdrawn=False,
    ).values_list("juror_id", "round_entry_id", "value")
    return {
        re_id: (score.raw_mean, score.normalised_mean, score.votes)
        for re_id, score in ranking.normalised_means(
            ((j, e, v) for j, e, v in votes if v is not None), scale=scale
        ).items()
    }


def round_scores(*, round: Round) -> dict[int, ranking.EntryScore]:
    """A yes/no or rating round's scores per counted round entry: the raw and the
    juror-normalised mean (`ranking.normalised_means` is the reference) and the votes."""
    return {
        re_id: ranking.EntryScore(raw_mean=raw, normalised_mean=normalised, votes=votes)
        for re_id, (raw, normalised, votes) in _scores(round).items()
    }


def _rank_ballots(round: Round, rows: dict[int, ResultRow]) -> list[int]:
    """A ranking round's Schulze ranks and Borda points on the rows; the tied winners."""
    counted = {pk for pk, row in rows.items() if not row.disqualified and not row.withdrawn}
    ballots = [
        [[re_id for re_id in group if re_id in counted] for group in ballot.groups]
        for ballot in Ballot.objects.filter(round=round)
    ]
    ballots = [[g for g in b if g] for b in ballots if any(b)]
    if not ballots:
        return []
    groups = ranking.schulze(ballots)
    points = ranking.borda_points(ballots)
    position = 1
    for group in groups:
        for re_id in group:
            rows[re_id].rank = position
            rows[re_id].borda = points.get(re_id)
            rows[re_id].votes = sum(1 for b in ballots if any(re_id in g for g in b))
        position += len(group)
    return list(groups[0]) if groups and len(groups[0]) > 1 else []


# The entries tied for first (a casting vote orders them if it names exactly them), then
# the first `limit` round entries with their scores, sorted as `_results_python` sorts them
# (part 0); the first `cuts` of the threshold preview (part 1): each distinct score with the
# count of scores at least that high, less the tolerance (ResultRow.advances_at); and the
# whole tie (part 2), which `limit` may cut into: a first round can have thousands tied at
# the top of the scale. One statement: the scoring is what costs.
_RESULTS_SQL = """
, best AS (SELECT MAX(score) AS score FROM ranked),
tie AS (
    SELECT COALESCE(ARRAY_AGG(r.round_entry_id ORDER BY r.round_entry_id), '{}') AS ids
    FROM ranked r, best WHERE r.score = best.score
),
top AS (
    SELECT best.score, tie.ids,
        CARDINALITY(tie.ids) >= 2 AND tie.ids = %(casting_sorted)s::bigint[] AS cast
    FROM best, tie
),
page AS (
    SELECT re.id, re.code, re.entry_id, e.title, e.vote_count, re.disqualified,
        re.disqualified_reason, re.withdrawn, re.advanced, e.photo_id, r.raw_mean,
        r.normalised_mean, COALESCE(r.votes, 0) AS votes,
        (r.score IS NULL OR re.disqualified OR re.withdrawn) AS k1, r.score AS k2,
        CASE WHEN top.cast THEN ARRAY_POSITION(%(casting)s::bigint[], re.id) END AS k3
    FROM jury_roundentry re
    JOIN contest_entry e ON e.id = re.entry_id
    LEFT JOIN ranked r ON r.round_entry_id = re.id
    CROSS JOIN top
    WHERE re.round_id = %(round)s
    ORDER BY k1, k2 DESC NULLS LAST, k3, re.id
    LIMIT %(limit)s
),
counts AS (SELECT score, COUNT(*) AS n FROM ranked WHERE score IS NOT NULL GROUP BY score),
cuts AS (
    SELECT score, SUM(n) OVER (ORDER BY score DESC
        RANGE BETWEEN UNBOUNDED PRECEDING AND %(tolerance)s FOLLOWING) AS n
    FROM counts ORDER BY score DESC LIMIT %(cuts)s
)
SELECT 0 AS part, page.*, NULL::bigint[] AS tie, NULL::float8 AS cut, NULL::bigint AS n
FROM page
UNION ALL
SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    false, score, NULL, NULL, score, n
FROM cuts
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    false, NULL, NULL, top.ids, NULL, NULL
FROM top
ORDER BY part, k1, k2 DESC NULLS LAST, k3, id
"""


def _results_sql(
    round: Round, limit: int | None, cuts: int | None = 0
) -> tuple[RoundResults, list[tuple[float, int]]]:
    """round_results of a yes/no or rating round on PostgreSQL, and the first `cuts` of its
    threshold preview: scored, sorted (the same key as in Python: unscored last, best
    score, the chair's casting vote, id) and cut to `limit` there, so that only the rows
    shown become Python objects."""
    sql, params = scores_sql(round, _RESULTS_SQL)
    casting = [int(pk) for pk in round.casting or []]
    params |= {
        "casting": casting,
        "casting_sorted": sorted(casting),
        "limit": limit,
        "cuts": cuts,
        "tolerance": CUT_TOLERANCE,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
        cursor.execute("SELECT COUNT(*) FROM jury_roundentry WHERE round_id = %s", [round.pk])
        (total,) = cursor.fetchone()
    rows = [row[1:14] for row in fetched if row[0] == 0]
    preview = [(row[18], int(row[19])) for row in fetched if row[0] == 1]
    tie = next((list(row[17]) for row in fetched if row[0] == 2), [])
    results = RoundResults(
        round=round,
        rows=_rows(round, rows),
        tied_winners=tie if len(tie) > 1 else [],
        total=total,
    )
    return results, preview


def _rows(round: Round, fetched: list[tuple[Any, ...]]) -> list[ResultRow]:
    return [
        ResultRow(
            round_entry_id=pk,
            code=code,
            entry_id=entry_id,
            title=title,
            public_votes=public_votes,
            disqualified=disqualified,
            disqualified_reason=reason,
            withdrawn=withdrawn,
            advanced=advanced,
            kind=round.kind,
            photo_id=photo_id,
            raw_mean=raw_mean,
            normalised_mean=normalised_mean,
            votes=votes,
        )
        for (
            pk,
            code,
            entry_id,
            title,
            public_votes,
            disqualified,
            reason,
            withdrawn,
            advanced,
            photo_id,
            raw_mean,
            normalised_mean,
            votes,
        ) in fetched
    ]


def round_results(*, round: Round, limit: int | None = None) -> RoundResults:
    """The entries of the round with their scores, best first (the first `limit`, or all),
    in a fixed number of queries; `total` counts them all."""
    if _in_sql(round):
        return _results_sql(round, limit)[0]
    results = _results_python(round)
    if limit is not None:
        results.rows = results.rows[:limit]
    return results


def round_preview(*, round: Round, limit: int | None = None) -> list[tuple[float, int]]:
    """The threshold preview (`RoundResults.preview`): (cut, how many advance), best cut
    first; the first `limit` cuts, or all."""
    if not _in_sql(round):
        return _results_python(round).preview()[:limit]
    return _results_sql(round, 0, limit)[1]


def round_page(
    *, round: Round, rows: int, cuts: int
) -> tuple[RoundResults, list[tuple[float, int]]]:
    """What the chair's round page shows: the first `rows` results and the first `cuts` of
    the preview (on PostgreSQL from one scoring of the round), with thumbnails."""
    if _in_sql(round):
        results, preview = _results_sql(round, rows, cuts)
    else:
        results = _results_python(round)
        preview = results.preview()[:cuts]
        results.rows = results.rows[:rows]
    _attach_thumbs(results.rows)
    return results, preview


def round_advancing_count(*, round: Round, cut: float) -> int:
    """How many entries of the round advance at `cut`."""
    if not _in_sql(round):
        return sum(1 for row in _results_python(round).rows if row.advances_at(cut))
    sql, params = scores_sql(round, "SELECT COUNT(*) FROM ranked WHERE score >= %(bound)s")
    with connection.cursor() as cursor:
        cursor.execute(sql, params | {"bound": cut - CUT_TOLERANCE})
        (count,) = cursor.fetchone()
    return int(count)


@dataclass(frozen=True)
class RoundCounts:
    entries: int
    in_play: int
    disqualified: int
    withdrawn: int


def round_counts(*, round: Round) -> RoundCounts:
    counts = RoundEntry.objects.filter(round=round).aggregate(
        entries=Count("pk"),
        in_play=Count("pk", filter=Q(disqualified=False, withdrawn=False)),
        disqualified=Count("pk", filter=Q(disqualified=True)),
        withdrawn=Count("pk", filter=Q(withdrawn=True)),
    )
    return RoundCounts(**{name: value or 0 for name, value in counts.items()})


def _results_python(round: Round) -> RoundResults:
    """Every entry of the round with its scores, best first, sorted in Python (ranking
    rounds; SQLite)."""
    # Plain values, not model instances: a first round has every photo of the contest, and
    # building three models per entry was most of the time (bench/jury.py).
    round_entries = (
        RoundEntry.objects.filter(round=round)
        .order_by("pk")
        .values_list(
            "pk",
            "code",
            "entry_id",
            "entry__title",
            "entry__vote_count",
            "disqualified",
            "disqualified_reason",
            "withdrawn",
            "advanced",
            "entry__photo_id",
        )
    )
    kind = round.kind
    ranked = kind == Round.Kind.RANKING
    scores = {} if ranked else _scores(round)
    unscored = (None, None, 0)
    rows: dict[int, ResultRow] = {}
    for (
        pk,
        code,
        entry_id,
        title,
        public_votes,
        disqualified,
        reason,
        withdrawn,
        advanced,
        photo_id,
    ) in round_entries:
        raw_mean, normalised_mean, votes = scores.get(pk, unscored)
        rows[pk] = ResultRow(
            round_entry_id=pk,
            code=code,
            entry_id=entry_id,
            title=title,
            public_votes=public_votes,
            disqualified=disqualified,
            disqualified_reason=reason,
            withdrawn=withdrawn,
            advanced=advanced,
            kind=kind,
            photo_id=photo_id,
            raw_mean=raw_mean,
            normalised_mean=normalised_mean,
            votes=votes,
        )
    tied = _rank_ballots(round, rows) if ranked else []
    # What the cut applies to (ResultRow.score), read once per row: 250,000 in a first round.
    score_of = {pk: row.score for pk, row in rows.items()}
    if not ranked:
        best = max((s for s in score_of.values() if s is not None), default=None)
        tied = [pk for pk, s in score_of.items() if s == best] if best is not None else []
        if len(tied) < 2:
            tied = []
    if tied and sorted(round.casting) == sorted(tied):
        # The chair's casting vote orders the tie; it is audited (JuryEvent "casting").
        tied_order = {re_id: n for n, re_id in enumerate(round.casting)}
    else:
        tied_order = {}

    def key(row: ResultRow) -> tuple[int, float, int, int]:
        score = score_of[row.round_entry_id]
        missing = 1 if score is None or row.disqualified or row.withdrawn else 0
        value = 0.0 if score is None else (score if ranked else -score)
        return (missing, value, tied_order.get(row.round_entry_id, 0), row.round_entry_id)

    return RoundResults(
        round=round, rows=sorted(rows.values(), key=key), tied_winners=tied, total=len(rows)
    )


@dataclass(frozen=True)
class JurorStanding:
    juror: Juror
    done: int
    total: int
    yes_rate: float | None


def jurors_standing(*, contest: Contest, round: Round | None) -> list[JurorStanding]:
    """Each juror's progress and yes-rate in the round: the chair spots an absent juror."""
    jurors = list(Juror.objects.filter(contest=contest).select_related("user").order_by("pk"))
    stats: dict[int, dict[str, float]] = defaultdict(dict)
    if round is not None:
        for row in (
            Task.objects.filter(round=round)
            .exclude(state=Task.State.CANCELLED)
            .values("juror_id")
            .annotate(
                total=Count("pk"),
                done=Count("pk", filter=Q(state=Task.State.DONE)),
                yes=Count("pk", filter=Q(state=Task.State.DONE, value__gte=1)),
            )
        ):
            stats[row["juror_id"]] = row
    standings = []
    for juror in jurors:
        row = stats.get(juror.pk, {})
        done = int(row.get("done", 0))
        yes_rate = (
            row.get("yes", 0) / done
            if round is not None and round.kind == Round.Kind.YESNO and done
            else None
        )
        standings.append(
            JurorStanding(juror=juror, done=done, total=int(row.get("total", 0)), yes_rate=yes_rate)
        )
    return standings


def jury_events(*, contest: Contest) -> QuerySet[JuryEvent]:
    return (
        JuryEvent.objects.filter(contest=contest)
        .select_related("actor", "round", "round_entry")
        .order_by("created_at", "pk")
    )


def report_notes(*, round: Round) -> QuerySet[Note]:
    return Note.objects.filter(round_entry__round=round, for_report=True).select_related(
        "juror", "round_entry"
    )


# --- the chair's and marketing's pages -------------------------------------------------------


def round_of(*, contest: Contest, round_id: int) -> Round | None:
    return Round.objects.filter(contest=contest, pk=round_id).first()


def juror_get(*, contest: Contest, juror_id: int) -> Juror | None:
    return Juror.objects.filter(contest=contest, pk=juror_id).select_related("user").first()


def round_entry_of(*, round: Round, round_entry_id: int) -> RoundEntry | None:
    return RoundEntry.objects.filter(round=round, pk=round_entry_id).first()


def _attach_thumbs(rows: Sequence[ResultRow]) -> None:
    """One query for the thumbnails of the rows shown (not in `round_results`, which the
    closing and the benchmark run on every entry)."""
    photo_ids = {row.photo_id for row in rows if row.photo_id is not None}
    thumbs: dict[int, dict[str, Rendition]] = defaultdict(dict)
    for rendition in Rendition.objects.filter(photo_id__in=photo_ids, spec="thumb"):
        thumbs[rendition.photo_id][rendition.format] = rendition
    for row in rows:
        row.thumbs = thumbs.get(row.photo_id or 0, {})


def round_results_with_thumbs(*, round: Round, limit: int | None = None) -> RoundResults:
    """`round_results` with the thumbnails of the first `limit` rows (all when None)."""
    results = round_results(round=round, limit=limit)
    _attach_thumbs(results.rows)
    return results


@dataclass(frozen=True)
class DisqualificationCandidate:
    """An entry that one or more of the contest's rules exclude, with the reasons."""

    round_entry_id: int
    code: str
    title: str
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def disqualification_candidates(*, round: Round) -> list[DisqualificationCandidate]:
    """Entries of the round still in play that break a rule, for the chair to confirm.

    The rules: a photo too small to print (its shorter side under
    JURY_PRINT_MIN_SHORT_SIDE pixels), an entry sent after the contest closed, and an entry
    sent by someone who sits or sat on this contest's jury (they saw the others' photos).
    Reasons are in the current language: they are what the audit and the report keep.
    """
    minimum = settings.JURY_PRINT_MIN_SHORT_SIDE
    closes_at = Contest.objects.values_list("closes_at", flat=True).get(pk=round.contest_id)
    jury_users = set(
        Juror.objects.filter(contest_id=round.contest_id).values_list("user_id", flat=True)
    )
    rows = (
        RoundEntry.objects.filter(round=round, disqualified=False, withdrawn=False)
        .order_by("code")
        .values_list(
            "pk",
            "code",
            "entry__title",
            "entry__created_at",
            "entry__photo__width",
            "entry__photo__height",
            "entry__participant__user_id",
        )
    )
    candidates = []
    for pk, code, title, created_at, width, height, user_id in rows:
        reasons = []
        if width and height and min(width, height) < minimum:
            reasons.append(
                _("Too small to print: %(width)s × %(height)s px, under %(minimum)s px.")
                % {"width": width, "height": height, "minimum": minimum}
            )
        if created_at > closes_at:
            reasons.append(
                _("Sent after entries closed (%(when)s).")
                % {
                    "when": formats.date_format(
                        timezone.localtime(created_at), "SHORT_DATETIME_FORMAT"
                    )
                }
            )
        if user_id in jury_users:
            reasons.append(_("Sent by a member of this contest's jury."))
        if reasons:
            candidates.append(
                DisqualificationCandidate(
                    round_entry_id=pk, code=code, title=title, reasons=tuple(reasons)
                )
            )
    return candidates


def _ballot_positions(ballot: Ballot) -> dict[int, int]:
    """Round entry id -> its place on the ballot (1 is best; tied entries share a place)."""
    positions: dict[int, int] = {}
    place = 1
    for group in ballot.groups:
        for re_id in group:
            positions[re_id] = place
        place += len(group)
    return positions


@dataclass
class ReportRound:
    round: Round
    results: RoundResults
    created_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    advanced: int
    jurors: list[Juror]
    # Each result row with each juror's vote (None: not theirs, or not cast), jurors' order.
    votes: list[tuple[ResultRow, list[float | None]]]
    notes: list[Note]


@dataclass
class JuryReport:
    contest: Contest
    rounds: list[ReportRound]
    final_round: Round | None
    shortlist: list[ResultRow]


def _round_votes(round: Round) -> tuple[list[Juror], dict[tuple[int, int], float]]:
    jurors = list(
        Juror.objects.filter(tasks__round=round).distinct().select_related("user").order_by("pk")
    )
    cells: dict[tuple[int, int], float] = {}
    if round.kind == Round.Kind.RANKING:
        for ballot in Ballot.objects.filter(round=round):
            for re_id, place in _ballot_positions(ballot).items():
                cells[(ballot.juror_id, re_id)] = float(place)
    else:
        for juror_id, re_id, value in Task.objects.filter(
            round=round, state=Task.State.DONE, value__isnull=False
        ).values_list("juror_id", "round_entry_id", "value"):
            if value is not None:
                cells[(juror_id, re_id)] = value
    return jurors, cells


def shortlist(*, contest: Contest) -> tuple[Round | None, list[ResultRow]]:
    """The last closed round and its advancing entries, best first (for a ranking round,
    its winners in rank order, the chair's casting vote applied), with thumbnails."""
    final = (
        Round.objects.filter(contest=contest, state=Round.State.CLOSED).order_by("-number").first()
    )
    if final is None:
        return None, []
    rows = [row for row in round_results(round=final).rows if row.advanced]
    _attach_thumbs(rows)
    return final, rows


def jury_report(*, contest: Contest) -> JuryReport:
    """Everything the printed jury report shows: per round its dates, settings, cut, every
    juror's votes under their alias and the notes marked for the report; then the winners."""
    dates: dict[tuple[int, str], datetime] = {}
    for round_id, action, created_at in (
        JuryEvent.objects.filter(
            contest=contest,
            action__in=(
                JuryEvent.Action.CREATE,
                JuryEvent.Action.ACTIVATE,
                JuryEvent.Action.CLOSE,
            ),
        )
        .order_by("created_at", "pk")
        .values_list("round_id", "action", "created_at")
    ):
        dates.setdefault((round_id, action), created_at)
    rounds = []
    for round in rounds_of(contest=contest).exclude(
        state__in=(Round.State.DRAFT, Round.State.STARTING)
    ):
        results = round_results(round=round)
        jurors, cells = _round_votes(round)
        rounds.append(
            ReportRound(
                round=round,
                results=results,
                created_at=dates.get((round.pk, JuryEvent.Action.CREATE), round.created_at),
                started_at=dates.get((round.pk, JuryEvent.Action.ACTIVATE)),
                closed_at=round.closed_at or dates.get((round.pk, JuryEvent.Action.CLOSE)),
                advanced=sum(1 for row in results.rows if row.advanced),
                jurors=jurors,
                votes=[
                    (row, [cells.get((j.pk, row.round_entry_id)) for j in jurors])
                    for row in results.rows
                ],
                notes=list(report_notes(round=round).order_by("round_entry__code", "juror_id")),
            )
        )
    final, winners = shortlist(contest=contest)
    return JuryReport(contest=contest, rounds=rounds, final_round=final, shortlist=winners)


@dataclass(frozen=True)
class ScoreLine:
    round_number: int
    kind: str
    code: str
    title: str
    alias: str
    value: float | None
    scores: dict[str, float]
    voted_at: datetime | None


def contest_criteria(*, contest: Contest) -> list[str]:
    """The criterion codes of the contest's rating rounds, in round order, once each."""
    codes: dict[str, None] = {}
    for criteria in rounds_of(contest=contest).values_list("criteria", flat=True):
        for criterion in criteria or []:
            codes.setdefault(str(criterion["code"]), None)
    return list(codes)


def contest_scores(*, contest: Contest) -> Iterator[ScoreLine]:
    """Every vote cast in the contest's rounds, round by round: the scores export.

    Yes/no and rating rounds: each judged task (its value and each criterion's score);
    ranking rounds: each juror's place for each entry of their ballot.
    """
    for round in rounds_of(contest=contest).exclude(
        state__in=(Round.State.DRAFT, Round.State.STARTING)
    ):
        if round.kind == Round.Kind.RANKING:
            entries = {
                re.pk: re for re in RoundEntry.objects.filter(round=round).select_related("entry")
            }
            for ballot in (
                Ballot.objects.filter(round=round).select_related("juror").order_by("juror_id")
            ):
                for re_id, place in sorted(
                    _ballot_positions(ballot).items(), key=lambda item: (item[1], item[0])
                ):
                    re = entries.get(re_id)
                    if re is None:
                        continue
                    yield ScoreLine(
                        round_number=round.number,
                        kind=round.kind,
                        code=re.code,
                        title=re.entry.title,
                        alias=ballot.juror.alias,
                        value=float(place),
                        scores={},
                        voted_at=ballot.cast_at,
                    )
            continue
        tasks = (
            Task.objects.filter(round=round, state=Task.State.DONE)
            .select_related("round_entry__entry", "juror")
            .order_by("round_entry__code", "juror_id")
        )
        for task in tasks.iterator(chunk_size=2000):
            yield ScoreLine(
                round_number=round.number,
                kind=round.kind,
                code=task.round_entry.code,
                title=task.round_entry.entry.title,
                alias=task.juror.alias,
                value=task.value,
                scores=dict(task.scores or {}),
                voted_at=task.voted_at,
            )
