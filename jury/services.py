"""Writes of the jury: jurors, rounds and their life, votes, ballots, recusals, closing.

Races: a vote and a round's closing both lock the round's row first, so of a juror voting
while the chair closes exactly one happens first (the vote counts, or it is refused); two
chairs closing at once meet the conditional UPDATE on the round's state. Every human
decision writes a JuryEvent.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from sesame.utils import get_query_string

from contest.exclusion import entries_judgeable
from contest.models import Contest, Entry
from contest.selectors import contest_title_in, entries_public
from core.errors import ApplicationError
from jury import assignment, ranking
from jury.models import (
    Ballot,
    Juror,
    JuryEvent,
    Note,
    Panel,
    Recusal,
    Round,
    RoundEntry,
    Task,
)
from jury.selectors import (
    CUT_TOLERANCE,
    disqualification_candidates,
    round_results,
    scores_sql,
)
from notifications.services import fingerprint, message_queue

logger = logging.getLogger(__name__)

JURY_GROUP = "Jury"
# Round entry id -> the jurors dealt it.
Dealt = dict[int, set[int]]
# Letters that cannot be mistaken for one another when read aloud or on a small screen.
_CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"


class JuryError(ApplicationError):
    """A jury action that the rules or the round's state refuse."""


def _event(
    *,
    contest_id: int,
    action: str,
    actor: User | None,
    round: Round | None = None,
    round_entry: RoundEntry | None = None,
    detail: str = "",
) -> None:
    JuryEvent.objects.create(
        contest_id=contest_id,
        round=round,
        round_entry=round_entry,
        actor=actor,
        action=action,
        detail=detail,
    )


# --- jurors --------------------------------------------------------------------------------


def panel_update(*, contest: Contest, staff_domain: str) -> Panel:
    panel, _created = Panel.objects.update_or_create(
        contest=contest, defaults={"staff_domain": staff_domain.strip().lower().lstrip("@")}
    )
    return panel


def juror_signin_url(*, juror: Juror, base_url: str) -> str:
    """The juror's sign-in link to their work (a sesame link, like the riders')."""
    return (
        base_url
        + reverse("contest:signin_link")
        + get_query_string(juror.user)
        + "&suite="
        + reverse("jury:home", args=[juror.contest.slug])
    )


def juror_invite(
    *, contest: Contest, email: str, chair: User, language: str, base_url: str
) -> Juror:
    """Adds a juror (creating their account) and e-mails them a sign-in link to their work.

    Jurors have no password: the link opens the jury's pages only, never staff pages. A
    juror added while rounds are active gets a fair share of their open work.
    """
    email = email.strip().lower()
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(
            username=email, defaults={"email": email}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=JURY_GROUP)[0])
        number = Juror.objects.filter(contest=contest).count() + 1
        juror, new = Juror.objects.get_or_create(
            contest=contest, user=user, defaults={"alias": f"J{number}"}
        )
        if not new and not juror.active:
            Juror.objects.filter(pk=juror.pk).update(active=True)
            juror.active = True
        for active_round in _open_rounds_locked(contest.pk):
            _deal_to_newcomer(active_round, juror)
        _event(
            contest_id=contest.pk, action=JuryEvent.Action.INVITE, actor=chair, detail=juror.alias
        )
        link = juror_signin_url(juror=juror, base_url=base_url)
        message_queue(
            key=f"jury-invitation:{juror.pk}:{fingerprint(link)}",
            to=email,
            template="jury/email/invitation",
            context={
                "contest": contest_title_in(contest=contest, language=language),
                "link": link,
                "hours": settings.SESAME_MAX_AGE // 3600,
            },
            language=language,
            brand=contest,
        )
    return juror


def _open_rounds_locked(contest_id: int) -> list[Round]:
    """The contest's active and paused rounds, locked, for a change of jurors.

    A round being started is locked too: its start reads the jurors under that lock, so it
    either sees this change or has finished (the round is then active and dealt here).
    """
    rounds = Round.objects.select_for_update().filter(
        contest_id=contest_id,
        state__in=(Round.State.ACTIVE, Round.State.PAUSED, Round.State.STARTING),
    )
    return [r for r in rounds.order_by("pk") if r.state != Round.State.STARTING]


def juror_remove(*, juror: Juror, chair: User) -> None:
    """Takes a juror off the jury; their open work is dealt to the others, votes stay."""
    with transaction.atomic():
        if not Juror.objects.filter(pk=juror.pk, active=True).update(active=False):
            return
        for active_round in _open_rounds_locked(juror.contest_id):
            if active_round.kind != Round.Kind.RANKING:
                _redeal_leaver(active_round, juror)
        Task.objects.filter(
            juror=juror, state=Task.State.OPEN, round__state__in=("active", "paused")
        ).update(state=Task.State.CANCELLED)
        _event(
            contest_id=juror.contest_id,
            action=JuryEvent.Action.REMOVE,
            actor=chair,
            detail=juror.alias,
        )


# --- who may judge what ----------------------------------------------------------------------


def _forbidden(round: Round, jurors: Sequence[Juror]) -> set[tuple[int, int]]:
    """(juror id, round entry id) pairs never dealt: own photos, colleagues', recusals."""
    domain = (
        Panel.objects.filter(contest_id=round.contest_id)
        .values_list("staff_domain", flat=True)
        .first()
        or ""
    )
    by_user = {juror.user_id: juror.pk for juror in jurors}
    colleagues = [
        juror.pk
        for juror in jurors
        if domain and juror.user.email.rpartition("@")[2].lower() == domain
    ]
    recusers: dict[int, list[int]] = defaultdict(list)
    for juror_id, entry_id in Recusal.objects.filter(juror__in=jurors).values_list(
        "juror_id", "entry_id"
    ):
        recusers[entry_id].append(juror_id)
    # Only the entries a rule touches are read: a first round has every photo of the contest,
    # and reading them all and trying each juror on each took seconds.
    touched = Q(entry__participant__user_id__in=list(by_user))
    if colleagues:
        touched |= Q(entry__participant__user__email__iendswith="@" + domain)
    if recusers:
        touched |= Q(entry_id__in=list(recusers))
    forbidden = set()
    for pk, entry_id, user_id, email in (
        RoundEntry.objects.filter(round=round)
        .filter(touched)
        .values_list(
            "pk", "entry_id", "entry__participant__user_id", "entry__participant__user__email"
        )
    ):
        if user_id in by_user:
            forbidden.add((by_user[user_id], pk))
        if colleagues and email.rpartition("@")[2].lower() == domain:
            forbidden.update((juror_id, pk) for juror_id in colleagues)
        forbidden.update((juror_id, pk) for juror_id in recusers.get(entry_id, ()))
    return forbidden


def _active_jurors(contest_id: int) -> list[Juror]:
    return list(Juror.objects.filter(contest_id=contest_id, active=True).select_related("user"))


def _current(round: Round) -> Dealt:
    dealt: Dealt = {
        pk: set()
        for pk in RoundEntry.objects.filter(
            round=round, disqualified=False, withdrawn=False
        ).values_list("pk", flat=True)
    }
    for re_id, juror_id in (
        Task.objects.filter(round=round)
        .exclude(state=Task.State.CANCELLED)
        .values_list("round_entry_id", "juror_id")
    ):
        if re_id in dealt:
            dealt[re_id].add(juror_id)
    return dealt


def _open_tasks(round: Round) -> set[tuple[int, int]]:
    return set(
        Task.objects.filter(round=round, state=Task.State.OPEN).values_list(
            "round_entry_id", "juror_id"
        )
    )


def _apply(round: Round, before: Dealt, after: Dealt) -> None:
    """Writes the difference between two assignments as task rows."""
    gone = [(e, j) for e, jurors in before.items() for j in jurors - after.get(e, set())]
    new = [(e, j) for e, jurors in after.items() for j in jurors - before.get(e, set())]
    for entry_id, juror_id in gone:
        Task.objects.filter(
            round=round, round_entry_id=entry_id, juror_id=juror_id, state=Task.State.OPEN
        ).delete()
    for entry_id, juror_id in new:
        # A cancelled task (the juror left and came back) is reopened, not duplicated.
        if not Task.objects.filter(round=round, round_entry_id=entry_id, juror_id=juror_id).update(
            state=Task.State.OPEN, value=None, scores={}, voted_at=None
        ):
            Task.objects.create(round=round, round_entry_id=entry_id, juror_id=juror_id)


def _deal_to_newcomer(round: Round, juror: Juror) -> None:
    jurors = _active_jurors(round.contest_id)
    if round.kind == Round.Kind.RANKING:
        forbidden = _forbidden(round, [juror])
        for re_id in RoundEntry.objects.filter(
            round=round, disqualified=False, withdrawn=False
        ).values_list("pk", flat=True):
            if (juror.pk, re_id) not in forbidden:
                Task.objects.get_or_create(round=round, round_entry_id=re_id, juror=juror)
        return
    before = _current(round)
    try:
        after = assignment.add_juror(
            before,
            juror.pk,
            quorum=round.quorum,
            open_tasks=_open_tasks(round),
            forbidden=_forbidden(round, jurors),
            jurors=[j.pk for j in jurors],
            seed=round.pk,
        )
    except ValueError as exc:  # a task the rules now forbid
        raise JuryError(_("The round's photos cannot be dealt again: see the jury's log.")) from exc
    _apply(round, before, after)


def _redeal_leaver(round: Round, juror: Juror) -> None:
    jurors = [j for j in _active_jurors(round.contest_id) if j.pk != juror.pk]
    before = _current(round)
    try:
        after = assignment.remove_juror(
            before,
            juror.pk,
            quorum=round.quorum,
            open_tasks=_open_tasks(round),
            forbidden=_forbidden(round, [*jurors, juror]),
            jurors=[j.pk for j in jurors],
            seed=round.pk,
        )
    except ValueError as exc:  # AssignmentImpossible, or a task the rules now forbid
        raise JuryError(
            _("Too few jurors are left to keep %(quorum)s per photo: add a juror first.")
            % {"quorum": round.quorum}
        ) from exc
    _apply(round, before, after)


# --- rounds ----------------------------------------------------------------------------------


def round_create(
    *,
    contest: Contest,
    kind: str,
    quorum: int,
    deadline: datetime,
    criteria: Sequence[Mapping[str, object]] = (),
    chair: User,
) -> Round:
    if kind not in Round.Kind.values:
        raise JuryError(_("Choose the kind of round."))
    if quorum < 1:
        raise JuryError(_("At least one juror per photo."))
    with transaction.atomic():
        if Round.objects.filter(contest=contest).exclude(state=Round.State.CLOSED).exists():
            raise JuryError(_("Close the current round before starting another."))
        number = (Round.objects.filter(contest=contest).aggregate(n=Max("number"))["n"] or 0) + 1
        created = Round.objects.create(
            contest=contest,
            number=number,
            kind=kind,
            quorum=quorum,
            deadline=deadline,
            criteria=list(criteria) if kind == Round.Kind.RATING else [],
        )
        _event(
            contest_id=contest.pk,
            action=JuryEvent.Action.CREATE,
            actor=chair,
            round=created,
            detail=f"{kind}, {quorum}",
        )
    return created


def _new_codes(count: int, prefix: str, taken: Iterable[str] = ()) -> list[str]:
    """`count` new codes, none of them in `taken` (a round's codes are unique)."""
    taken = set(taken)
    codes: set[str] = set()
    while len(codes) < count:
        code = prefix + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(5))
        if code not in taken:
            codes.add(code)
    return list(codes)


# A new task's columns and values, as `Task()` has them, for COPY (tasks_create). A test
# checks that they cover every column of the model and match its defaults.
TASK_COPY_COLUMNS = (
    "round_id",
    "round_entry_id",
    "juror_id",
    "state",
    "favourite",
    "skipped_at",
    "value",
    "scores",
    "voted_at",
    "version",
)
_TASK_COPY_DEFAULTS = (Task.State.OPEN.value, False, None, None, "{}", None, 0)


def _copy_text(value: object) -> str:
    """A value in COPY's text format (NULL, booleans, numbers, plain text)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


_TASK_COPY_SQL = f"COPY jury_task ({', '.join(TASK_COPY_COLUMNS)}) FROM STDIN"


def tasks_create(*, round_id: int, dealt: Mapping[int, Iterable[int]]) -> int:
    """Writes a round's new tasks, one per juror dealt each round entry; returns how many.

    Call it inside the caller's transaction. On PostgreSQL by COPY: a first round has
    hundreds of thousands of tasks, and COPY takes a third of bulk_create's time
    (bench/jury.py). Elsewhere (SQLite in development) by bulk_create.
    """
    pairs = (
        (re_id, juror_id) for re_id, juror_ids in dealt.items() for juror_id in sorted(juror_ids)
    )
    if connection.vendor != "postgresql":
        return len(
            Task.objects.bulk_create(
                Task(round_id=round_id, round_entry_id=re_id, juror_id=juror_id)
                for re_id, juror_id in pairs
            )
        )
    # COPY's text format written a batch of lines at a time: psycopg's write_row, one call
    # per task, was a third of the time of a first round's 750,000 (bench/jury.py). The
    # values are integers and the constant defaults: nothing to escape.
    rest = "\t".join(_copy_text(value) for value in _TASK_COPY_DEFAULTS) + "\n"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(_TASK_COPY_SQL) as copy:
        batch: list[str] = []
        for re_id, juror_id in pairs:
            batch.append(f"{round_id}\t{re_id}\t{juror_id}\t{rest}")
            if len(batch) == 20_000:
                copy.write("".join(batch))
                count += len(batch)
                batch.clear()
        copy.write("".join(batch))
        count += len(batch)
    return count


def _has_source(round: Round) -> bool:
    if round.number == 1:
        return entries_judgeable(contest=round.contest).exists()
    return RoundEntry.objects.filter(
        round__contest_id=round.contest_id,
        round__number=round.number - 1,
        advanced=True,
        disqualified=False,
        withdrawn=False,
    ).exists()


def round_start(*, round_id: int, chair: User) -> Round:
    """The chair starts a draft round: recorded and audited now, done by a worker.

    A first round deals every photo of the contest to the jurors (250,000 take seconds),
    too long for a request: `jury.tasks.start_round` runs `round_start_run` after the
    commit, and the chair's page follows its progress. A start that failed left the round a
    draft with the reason: the chair starts it again once that is fixed.
    """
    from jury import tasks  # tasks import the services: imported when used

    with transaction.atomic():
        round = Round.objects.select_for_update().get(pk=round_id)
        if round.state != Round.State.DRAFT:
            raise JuryError(_("This round has already started."))
        if not _has_source(round):
            raise JuryError(_("No photo to judge in this round."))
        Round.objects.filter(pk=round.pk).update(
            state=Round.State.STARTING,
            start_step=Round.StartStep.WAITING,
            start_requested_at=timezone.now(),
            start_error="",
        )
        _event(contest_id=round.contest_id, action=JuryEvent.Action.START, actor=chair, round=round)
        tasks.start_round.delay_on_commit(round.pk)
    round.refresh_from_db()
    return round


def _start_step(round_id: int, step: int) -> bool:
    """Shows the chair the step the start is at; False when the round is not starting."""
    return bool(
        Round.objects.filter(pk=round_id, state=Round.State.STARTING).update(start_step=step)
    )


def _start_failed(round_id: int, reason: str) -> None:
    """A start the rules refuse: the round is a draft again, the reason shown and audited."""
    with transaction.atomic():
        round = Round.objects.select_for_update().filter(pk=round_id).first()
        if round is None or round.state != Round.State.STARTING:
            return
        Round.objects.filter(pk=round.pk).update(
            state=Round.State.DRAFT, start_step=Round.StartStep.WAITING, start_error=reason[:300]
        )
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.START_FAILED,
            actor=None,
            round=round,
            detail=reason[:300],
        )


def _list_entries(round: Round) -> int:
    """Gives the round's photos their codes; only those still missing (found by the
    database: on a re-run, a first round has 250,000 present). Returns how many the round
    has."""
    present = RoundEntry.objects.filter(round=round)
    source: QuerySet[Any, int]
    if round.number == 1:
        # The public entries less the operator's staff's (contest.exclusion).
        source = (
            entries_judgeable(contest=round.contest)
            .exclude(pk__in=present.values("entry_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    else:
        source = (
            RoundEntry.objects.filter(
                round__contest_id=round.contest_id,
                round__number=round.number - 1,
                advanced=True,
                disqualified=False,
                withdrawn=False,
            )
            .exclude(entry_id__in=present.values("entry_id"))
            .order_by("entry_id")
            .values_list("entry_id", flat=True)
        )
    missing = list(source)
    if missing:
        taken = present.values_list("code", flat=True)
        codes = _new_codes(len(missing), f"{round.number}", taken=taken)
        RoundEntry.objects.bulk_create(
            (
                RoundEntry(round=round, entry_id=entry_id, code=code)
                for entry_id, code in zip(missing, codes, strict=True)
            ),
            batch_size=5000,
        )
    return present.count()


def _deal(round: Round) -> tuple[int, int]:
    """Writes the round's tasks: each photo in play gets exactly `quorum` jurors (ranking
    rounds: every eligible juror). Returns (photos, jurors)."""
    jurors = _active_jurors(round.contest_id)
    round_entries = list(
        RoundEntry.objects.filter(round=round, disqualified=False, withdrawn=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not round_entries:
        raise JuryError(_("No photo to judge in this round."))
    forbidden = _forbidden(round, jurors)
    if round.kind == Round.Kind.RANKING:
        dealt = {
            re_id: {j.pk for j in jurors if (j.pk, re_id) not in forbidden}
            for re_id in round_entries
        }
    else:
        try:
            dealt = assignment.assign(
                round_entries,
                [j.pk for j in jurors],
                quorum=round.quorum,
                forbidden=forbidden,
                seed=round.pk,
            )
        except ValueError as exc:  # AssignmentImpossible, or a task the rules now forbid
            raise JuryError(
                _(
                    "Some photos do not have %(quorum)s jurors who may judge them: "
                    "invite more jurors or lower the number per photo."
                )
                % {"quorum": round.quorum}
            ) from exc
    tasks_create(round_id=round.pk, dealt=dealt)
    return len(round_entries), len(jurors)


def round_start_run(*, round_id: int) -> Round | None:
    """The worker's part of a start (`round_start`): the photos listed, then dealt.

    Idempotent: each step makes only what is missing and happens under the round's row lock,
    so a message delivered twice, or re-sent by the sweep while a worker still runs it,
    waits and then finds the round active. Each step commits on its own so that the chair's
    page sees the progress. A start the rules refuse (too few jurors) makes the round a draft
    again with the reason; any other error leaves it starting, for the sweep to send again.
    """
    if not _start_step(round_id, Round.StartStep.LISTING):
        return Round.objects.filter(pk=round_id).first()
    try:
        with transaction.atomic():
            round = Round.objects.select_for_update().get(pk=round_id)
            if round.state != Round.State.STARTING:
                return round
            if not _list_entries(round):
                raise JuryError(_("No photo to judge in this round."))
        _start_step(round_id, Round.StartStep.DEALING)
        with transaction.atomic():
            round = Round.objects.select_for_update().get(pk=round_id)
            if round.state != Round.State.STARTING:
                return round
            # Whole or not at all (one transaction): a re-run never finds half the tasks.
            photos, jurors = _deal(round)
            Round.objects.filter(pk=round.pk).update(
                state=Round.State.ACTIVE, start_step=Round.StartStep.WAITING, start_error=""
            )
            asked = round.events.filter(action=JuryEvent.Action.START).order_by("-pk").first()
            _event(
                contest_id=round.contest_id,
                action=JuryEvent.Action.ACTIVATE,
                actor=asked.actor if asked else None,
                round=round,
                detail=f"{photos} photos, {jurors} jurors",
            )
    except JuryError as error:
        _start_failed(round_id, error.message)
    except DatabaseError:
        raise  # a lost connection, a lock timeout: the sweep sends the start again
    except Exception:
        # A fault of ours: the chair may try again rather than wait on "starting" forever.
        logger.exception("jury: round %s failed to start", round_id)
        _start_failed(round_id, _("The round could not start (an error on our side): try again."))
    return Round.objects.filter(pk=round_id).first()


def round_activate(*, round_id: int, chair: User) -> Round:
    """Starts a draft round at once, in this process: `round_start` and then the worker's
    part, `round_start_run` (scripts, tests). Raises JuryError when the start fails."""
    round_start(round_id=round_id, chair=chair)
    round = round_start_run(round_id=round_id)
    if round is None:
        raise JuryError(_("This round no longer exists."))
    if round.state != Round.State.ACTIVE:
        raise JuryError(round.start_error or _("This round could not start."))
    return round


def rounds_requeue_starting(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Sends again the start of rounds left starting (a lost message, a worker killed
    mid-way): the job is idempotent, so one that is merely slow is not harmed."""
    from jury import tasks

    stuck = list(
        Round.objects.filter(
            state=Round.State.STARTING, start_requested_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for round_id in stuck:
        tasks.start_round.delay(round_id)
    return len(stuck)


def round_set_paused(*, round_id: int, chair: User, paused: bool) -> Round:
    before, after = (
        (Round.State.ACTIVE, Round.State.PAUSED)
        if paused
        else (Round.State.PAUSED, Round.State.ACTIVE)
    )
    with transaction.atomic():
        if not Round.objects.filter(pk=round_id, state=before).update(state=after):
            raise JuryError(_("The round changed meanwhile: look at it again."))
        round = Round.objects.get(pk=round_id)
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.PAUSE if paused else JuryEvent.Action.RESUME,
            actor=chair,
            round=round,
        )
    return round


def round_raise_quorum(*, round_id: int, chair: User, quorum: int) -> Round:
    """More jurors per photo for an active round: new tasks are dealt. Never fewer:
    whose vote would be dropped?"""
    with transaction.atomic():
        round = Round.objects.select_for_update().get(pk=round_id)
        if round.state == Round.State.CLOSED or round.kind == Round.Kind.RANKING:
            raise JuryError(_("The number of jurors per photo cannot change now."))
        if quorum < round.quorum:
            raise JuryError(_("The number of jurors per photo can only go up: votes are cast."))
        if quorum == round.quorum:
            return round
        # A round being started is dealt by its start, which reads the quorum under the lock.
        if round.state not in (Round.State.DRAFT, Round.State.STARTING):
            jurors = _active_jurors(round.contest_id)
            before = _current(round)
            try:
                after = assignment.raise_quorum(
                    before,
                    [j.pk for j in jurors],
                    new_quorum=quorum,
                    forbidden=_forbidden(round, jurors),
                    seed=round.pk,
                )
            except ValueError as exc:  # AssignmentImpossible, or a task the rules now forbid
                raise JuryError(
                    _("Too few jurors may judge some photos for %(quorum)s per photo.")
                    % {"quorum": quorum}
                ) from exc
            _apply(round, before, after)
        Round.objects.filter(pk=round.pk).update(quorum=quorum)
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.QUORUM,
            actor=chair,
            round=round,
            detail=f"{round.quorum} → {quorum}",
        )
    round.refresh_from_db()
    return round


# --- votes -----------------------------------------------------------------------------------


def _locked_active_round(round_id: int) -> Round:
    round = Round.objects.select_for_update().get(pk=round_id)
    if round.state != Round.State.ACTIVE:
        raise JuryError(
            _("This round is closed: votes can no longer change.")
            if round.state == Round.State.CLOSED
            else _("This round is paused: try again later.")
        )
    return round


def _score(round: Round, value: float | None, scores: Mapping[str, float]) -> float:
    if round.kind == Round.Kind.YESNO:
        if value not in (0, 1):
            raise JuryError(_("Answer yes or no."))
        return float(value)  # type: ignore[arg-type]
    if not round.criteria:
        if value is None or not 1 <= value <= 5:
            raise JuryError(_("Give 1 to 5 stars."))
        return float(value)
    codes = {str(c["code"]): float(c.get("weight", 1) or 1) for c in round.criteria}
    if set(scores) != set(codes) or not all(1 <= s <= 5 for s in scores.values()):
        raise JuryError(_("Rate every criterion from 1 to 5."))
    return ranking.weighted_score(scores, codes)


def task_vote(
    *,
    task_id: int,
    juror: Juror,
    version: int,
    value: float | None = None,
    scores: Mapping[str, float] | None = None,
) -> Task:
    """Records (or changes) a juror's vote on one task of an active round."""
    scores = dict(scores or {})
    with transaction.atomic():
        task = Task.objects.select_related("round_entry").filter(pk=task_id, juror=juror).first()
        if task is None or task.state == Task.State.CANCELLED:
            raise JuryError(_("This photo is no longer yours to judge."))
        round = _locked_active_round(task.round_id)
        score = _score(round, value, scores)
        if (
            not Task.objects.filter(pk=task.pk, version=version)
            .exclude(state=Task.State.CANCELLED)
            .update(
                state=Task.State.DONE,
                value=score,
                scores=scores,
                voted_at=timezone.now(),
                skipped_at=None,
                version=F("version") + 1,
            )
        ):
            raise JuryError(_("This vote changed meanwhile (another tab?): look again."))
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.VOTE,
            actor=juror.user,
            round=round,
            round_entry=task.round_entry,
            detail=f"{score:g}",
        )
    task.refresh_from_db()
    return task


def task_undo_last(*, juror: Juror, round_id: int) -> Task | None:
    """Takes back the juror's latest vote in the round; None when there is none."""
    with transaction.atomic():
        round = _locked_active_round(round_id)
        task = (
            Task.objects.filter(round=round, juror=juror, state=Task.State.DONE)
            .order_by("-voted_at", "-pk")
            .select_related("round_entry")
            .first()
        )
        if task is None:
            return None
        Task.objects.filter(pk=task.pk).update(
            state=Task.State.OPEN, value=None, scores={}, voted_at=None, version=F("version") + 1
        )
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.UNDO,
            actor=juror.user,
            round=round,
            round_entry=task.round_entry,
        )
    task.refresh_from_db()
    return task


def task_skip(*, task_id: int, juror: Juror) -> None:
    """Puts an open task at the back of the juror's queue."""
    Task.objects.filter(pk=task_id, juror=juror, state=Task.State.OPEN).update(
        skipped_at=timezone.now()
    )


def task_toggle_favourite(*, task_id: int, juror: Juror) -> bool:
    task = Task.objects.filter(pk=task_id, juror=juror).first()
    if task is None:
        raise JuryError(_("This photo is no longer yours to judge."))
    Task.objects.filter(pk=task.pk).update(favourite=not task.favourite)
    return not task.favourite


def note_save(*, round_entry_id: int, juror: Juror, text: str, for_report: bool) -> Note | None:
    """The juror's note on an entry (private to the jury); an empty text deletes it."""
    if not Task.objects.filter(round_entry_id=round_entry_id, juror=juror).exists():
        raise JuryError(_("This photo is no longer yours to judge."))
    text = text.strip()[:2000]
    if not text:
        Note.objects.filter(round_entry_id=round_entry_id, juror=juror).delete()
        return None
    note, _created = Note.objects.update_or_create(
        round_entry_id=round_entry_id,
        juror=juror,
        defaults={"text": text, "for_report": for_report},
    )
    return note


def task_recuse(*, task_id: int, juror: Juror, reason: str) -> None:
    """The juror steps aside from an entry (for every round); another juror takes it."""
    reason = reason.strip()
    if not reason:
        raise JuryError(_("Say why you step aside (it stays in the jury's log)."))
    with transaction.atomic():
        task = (
            Task.objects.select_related("round_entry", "round")
            .filter(pk=task_id, juror=juror)
            .first()
        )
        if task is None or task.state == Task.State.CANCELLED:
            raise JuryError(_("This photo is no longer yours to judge."))
        round = _locked_active_round(task.round_id)
        Recusal.objects.get_or_create(
            entry_id=task.round_entry.entry_id, juror=juror, defaults={"reason": reason[:300]}
        )
        Task.objects.filter(pk=task.pk).update(state=Task.State.CANCELLED, value=None)
        if round.kind != Round.Kind.RANKING:
            _replace(round, task.round_entry_id, leaving=juror)
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.RECUSE,
            actor=juror.user,
            round=round,
            round_entry=task.round_entry,
            detail=reason[:300],
        )


def _replace(round: Round, round_entry_id: int, *, leaving: Juror) -> None:
    """Gives one entry's vacant seat to the least loaded eligible juror."""
    jurors = [j for j in _active_jurors(round.contest_id) if j.pk != leaving.pk]
    forbidden = _forbidden(round, [*jurors, leaving])
    on_it = set(
        Task.objects.filter(round_entry_id=round_entry_id)
        .exclude(state=Task.State.CANCELLED)
        .values_list("juror_id", flat=True)
    )
    loads = {
        j.pk: Task.objects.filter(round=round, juror=j, state=Task.State.OPEN).count()
        for j in jurors
    }
    candidates = sorted(
        (loads[j.pk], j.pk)
        for j in jurors
        if j.pk not in on_it and (j.pk, round_entry_id) not in forbidden
    )
    if not candidates:
        raise JuryError(_("No other juror may judge this photo: ask the chair to add one."))
    _apply(round, {round_entry_id: set()}, {round_entry_id: {candidates[0][1]}})


def ballot_submit(*, round_id: int, juror: Juror, groups: Sequence[Iterable[int]]) -> Ballot:
    """A ranking round's whole ballot: groups of round entry ids, best first, ties allowed."""
    with transaction.atomic():
        round = _locked_active_round(round_id)
        if round.kind != Round.Kind.RANKING:
            raise JuryError(_("This round is not a ranking."))
        mine = set(
            Task.objects.filter(round=round, juror=juror)
            .exclude(state=Task.State.CANCELLED)
            .values_list("round_entry_id", flat=True)
        )
        cleaned = [sorted(set(group)) for group in groups if group]
        named = [re_id for group in cleaned for re_id in group]
        if len(named) != len(set(named)) or set(named) != mine:
            raise JuryError(_("Rank every photo of your list once."))
        ballot, _created = Ballot.objects.update_or_create(
            round=round, juror=juror, defaults={"groups": cleaned}
        )
        Task.objects.filter(round=round, juror=juror, round_entry_id__in=mine).update(
            state=Task.State.DONE, voted_at=timezone.now()
        )
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.BALLOT,
            actor=juror.user,
            round=round,
            detail=str(cleaned),
        )
    return ballot


# --- the chair's decisions -------------------------------------------------------------------


def round_entry_disqualify(
    *, round_entry_id: int, chair: User, reason: str, disqualified: bool = True
) -> RoundEntry:
    """Takes an entry out of a round with a reason (its votes no longer count), or puts it
    back (they count again)."""
    reason = reason.strip()
    if disqualified and not reason:
        raise JuryError(_("Give the reason for the disqualification."))
    with transaction.atomic():
        round_entry = RoundEntry.objects.select_related("round").get(pk=round_entry_id)
        if round_entry.round.state == Round.State.CLOSED:
            raise JuryError(_("This round is closed: votes can no longer change."))
        if not RoundEntry.objects.filter(pk=round_entry_id, disqualified=not disqualified).update(
            disqualified=disqualified, disqualified_reason=reason[:300] if disqualified else ""
        ):
            raise JuryError(_("The round changed meanwhile: look at it again."))
        _event(
            contest_id=round_entry.round.contest_id,
            action=JuryEvent.Action.DISQUALIFY if disqualified else JuryEvent.Action.REQUALIFY,
            actor=chair,
            round=round_entry.round,
            round_entry=round_entry,
            detail=reason[:300],
        )
    round_entry.refresh_from_db()
    return round_entry


def round_disqualify_by_rules(
    *, round_id: int, chair: User, round_entry_ids: Iterable[int]
) -> list[RoundEntry]:
    """Disqualifies the chosen entries that the contest's rules still exclude, each with its
    rule's reason (`selectors.disqualification_candidates`).

    The chair confirms a preview: an entry chosen there that no rule excludes any more
    (requalified, withdrawn, or disqualified by hand meanwhile) is left alone.
    """
    round = Round.objects.get(pk=round_id)
    chosen = set(round_entry_ids)
    done = []
    with transaction.atomic():  # all the chosen entries, or none
        for candidate in disqualification_candidates(round=round):
            if candidate.round_entry_id in chosen:
                done.append(
                    round_entry_disqualify(
                        round_entry_id=candidate.round_entry_id,
                        chair=chair,
                        reason=candidate.reason,
                    )
                )
    return done


def _mark_advancing(round: Round, cut: float) -> int:
    """Marks the round's entries that advance at `cut` (ResultRow.advances_at); how many."""
    if connection.vendor == "postgresql" and round.kind != Round.Kind.RANKING:
        # In one statement: a first round has every photo of the contest (bench/jury.py).
        sql, params = scores_sql(
            round,
            """
            UPDATE jury_roundentry re SET advanced = re.id IN (
                SELECT round_entry_id FROM ranked WHERE score >= %(bound)s)
            WHERE re.round_id = %(round)s
            """,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params | {"bound": cut - CUT_TOLERANCE})
        return RoundEntry.objects.filter(round=round, advanced=True).count()
    advancing = [r.round_entry_id for r in round_results(round=round).rows if r.advances_at(cut)]
    RoundEntry.objects.filter(round=round).update(advanced=False)
    RoundEntry.objects.filter(pk__in=advancing).update(advanced=True)
    return len(advancing)


def round_close(*, round_id: int, chair: User, cut: float) -> Round:
    """Closes the round: entries scoring at least `cut` (yes/no, rating) or ranked at most
    `cut` (ranking) advance. Exactly once, whatever races it."""
    with transaction.atomic():
        round = Round.objects.select_for_update().filter(pk=round_id).first()
        if round is None or round.state not in (Round.State.ACTIVE, Round.State.PAUSED):
            raise JuryError(_("This round is already closed."))
        advancing = _mark_advancing(round, cut)
        Task.objects.filter(round=round, state=Task.State.OPEN).update(state=Task.State.CANCELLED)
        if not Round.objects.filter(
            pk=round.pk, state__in=(Round.State.ACTIVE, Round.State.PAUSED)
        ).update(state=Round.State.CLOSED, cut=cut, closed_at=timezone.now(), closed_by=chair):
            raise JuryError(_("This round is already closed."))
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.CLOSE,
            actor=chair,
            round=round,
            detail=f"cut {cut:g}: {advancing} advance",
        )
    round.refresh_from_db()
    return round


def round_casting_vote(*, round_id: int, chair: User, order: Sequence[int]) -> Round:
    """The chair orders entries tied at the top (and only those): audited."""
    with transaction.atomic():
        round = Round.objects.select_for_update().get(pk=round_id)
        tied = set(round_results(round=round, limit=1).tied_winners)
        if not tied or set(order) != tied:
            raise JuryError(_("Only photos tied for first place can be ordered by the chair."))
        Round.objects.filter(pk=round.pk).update(casting=list(order))
        _event(
            contest_id=round.contest_id,
            action=JuryEvent.Action.CASTING,
            actor=chair,
            round=round,
            detail=str(list(order)),
        )
    round.refresh_from_db()
    return round


# --- sweeps --------------------------------------------------------------------------------


def rounds_sync_withdrawn() -> int:
    """Entries that left the gallery (withdrawn, hidden, refused) leave open rounds too:
    their votes are cancelled, and the audit says so."""
    count = 0
    for round in Round.objects.exclude(state__in=(Round.State.CLOSED, Round.State.DRAFT)):
        public = entries_public(contest_id=round.contest_id).values("pk")
        gone = RoundEntry.objects.filter(round=round, withdrawn=False).exclude(entry_id__in=public)
        for round_entry in gone:
            with transaction.atomic():
                if not RoundEntry.objects.filter(pk=round_entry.pk, withdrawn=False).update(
                    withdrawn=True
                ):
                    continue
                Task.objects.filter(round_entry=round_entry).update(state=Task.State.CANCELLED)
                _event(
                    contest_id=round.contest_id,
                    action=JuryEvent.Action.WITHDRAWN,
                    actor=None,
                    round=round,
                    round_entry=round_entry,
                )
                count += 1
    return count


def entry_withdrawn(entry_id: int) -> None:
    """Hook of contest.rights: a photo its author withdrew leaves the open rounds at once
    rather than at the next sweep (the sweep is idempotent, so running it here is safe)."""
    rounds_sync_withdrawn()


def jurors_remind(*, now: datetime | None = None, base_url: str | None = None) -> int:
    """E-mails jurors who are behind in an active round, at most once a day."""
    now = now or timezone.now()
    base_url = base_url or settings.SITE_URL
    sent = 0
    for round in Round.objects.filter(state=Round.State.ACTIVE).select_related("contest"):
        started = (
            round.events.filter(action=JuryEvent.Action.ACTIVATE)
            .values_list("created_at", flat=True)
            .first()
            or round.created_at
        )
        span = max((round.deadline - started).total_seconds(), 1)
        expected = min(1.0, max(0.0, (now - started).total_seconds() / span))
        for juror in Juror.objects.filter(contest=round.contest, active=True).select_related(
            "user"
        ):
            tasks = Task.objects.filter(round=round, juror=juror).exclude(
                state=Task.State.CANCELLED
            )
            total = tasks.count()
            done = tasks.filter(state=Task.State.DONE).count()
            if not total or done >= total or done / total >= expected:
                continue
            if (
                not Juror.objects.filter(pk=juror.pk)
                .exclude(last_reminded_at__gt=now - timedelta(days=1))
                .update(last_reminded_at=now)
            ):
                continue
            message_queue(
                # Once a day at most (last_reminded_at): the day names the reminder.
                key=f"jury-reminder:{round.pk}:{juror.pk}:{now:%Y-%m-%d}",
                to=juror.user.email,
                template="jury/email/reminder",
                context={
                    "contest": contest_title_in(
                        contest=round.contest, language=settings.LANGUAGE_CODE
                    ),
                    "done": done,
                    "total": total,
                    "deadline": round.deadline.isoformat(),
                    "link": juror_signin_url(juror=juror, base_url=base_url),
                },
                language=settings.LANGUAGE_CODE,
                brand=round.contest,
            )
            sent += 1
    return sent


def entries_owned_by(*, juror: Juror) -> list[Entry]:
    """The juror's own entries in the contest (what the rules keep from them)."""
    return list(Entry.objects.filter(contest=juror.contest, participant__user=juror.user))
