"""The jury: jurors per contest, rounds, their tasks (who judges what), votes and the audit.

Blind by construction: a round knows an entry by an opaque code of its own; nothing a juror
is shown points at the participant.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contest.models import Contest, Entry


class Panel(models.Model):
    """A contest's jury settings."""

    contest = models.OneToOneField(Contest, on_delete=models.CASCADE, related_name="panel")
    # Jurors at this domain are the operator's staff: they never judge photos sent from it.
    staff_domain = models.CharField(
        _("staff e-mail domain"),
        max_length=100,
        blank=True,
        help_text=_("For example reseau.example: its jurors never judge photos sent from it."),
    )
    # The rating criteria proposed for the contest's rating rounds (Round.criteria's shape):
    # set when a contest is made from last year's (jury.cloning), where rounds are not copied.
    criteria = models.JSONField(_("criteria"), default=list, blank=True)

    def __str__(self) -> str:
        return str(self.contest_id)


class Juror(models.Model):
    """A person on a contest's jury. Invited by e-mail; signs in by link."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="jurors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jury_seats"
    )
    # Shown in the jury report instead of the name ("Juré 3").
    alias = models.CharField(_("alias"), max_length=40)
    active = models.BooleanField(_("active"), default=True)
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("juror")
        verbose_name_plural = _("jurors")
        ordering = ("contest", "id")
        constraints = [
            models.UniqueConstraint(fields=("contest", "user"), name="juror_once_per_contest")
        ]

    def __str__(self) -> str:
        return f"{self.alias} ({self.contest_id})"


class Round(models.Model):
    class Kind(models.TextChoices):
        YESNO = "yesno", _("Yes or no")
        RATING = "rating", _("Rating")
        RANKING = "ranking", _("Ranking")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        # The chair asked to start it; a worker lists its photos and deals them (jury.tasks).
        STARTING = "starting", _("Starting")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    class StartStep(models.IntegerChoices):
        WAITING = 0, _("Waiting for a worker")
        LISTING = 1, _("Listing the photos")
        DEALING = 2, _("Dealing the photos to the jurors")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    quorum = models.PositiveSmallIntegerField(_("jurors per photo"), default=3)
    deadline = models.DateTimeField(_("deadline"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    # Rating rounds: [{"code": "fit", "label": "Theme fit", "weight": 2}, ...]; empty means
    # one 1-to-5 star rating.
    criteria = models.JSONField(_("criteria"), default=list, blank=True)
    # The cut chosen at closing: the minimum score (yes/no, rating) or the last rank kept.
    cut = models.FloatField(_("cut"), null=True, blank=True)
    # A tie between winners is broken only by the chair: round entry ids in the order chosen.
    casting = models.JSONField(default=list, blank=True)
    # The start's progress (the job's step, StartStep), when it was asked for (the sweep
    # re-sends a start left waiting), and why the last attempt failed (shown to the chair).
    start_step = models.PositiveSmallIntegerField(choices=StartStep.choices, default=0)
    start_requested_at = models.DateTimeField(null=True, blank=True)
    start_error = models.CharField(max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ("contest", "number")
        permissions = [
            ("chair_jury", _("Can run the jury: rounds, jurors, closing")),
            ("judge_entry", _("Can judge entries as a juror")),
            ("view_results", _("Can see the jury's results and shortlist")),
        ]
        constraints = [
            models.UniqueConstraint(fields=("contest", "number"), name="round_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contest_id} #{self.number} {self.kind}"


class RoundEntry(models.Model):
    """An entry as one round sees it: under an opaque code."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="round_entries")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="round_entries")
    code = models.CharField(_("code"), max_length=12)
    disqualified = models.BooleanField(_("disqualified"), default=False)
    disqualified_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Left the gallery (withdrawn, hidden, refused) after the round started.
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    advanced = models.BooleanField(_("advances"), default=False)

    class Meta:
        verbose_name = _("photo in a round")
        verbose_name_plural = _("photos in a round")
        ordering = ("round", "id")
        constraints = [
            models.UniqueConstraint(fields=("round", "entry"), name="round_entry_once"),
            models.UniqueConstraint(fields=("round", "code"), name="round_entry_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class Task(models.Model):
    """One juror's job on one entry of a round; the assignment is the set of tasks."""

    class State(models.TextChoices):
        OPEN = "open", _("To judge")
        DONE = "done", _("Judged")
        CANCELLED = "cancelled", _("Cancelled")

    # No foreign-key constraints in the database (db_constraint=False): a first round writes
    # 750,000 tasks at once, and PostgreSQL checks each row's constraints one by one at
    # commit, about 2 s per constraint (bench/jury.py: 28 s of writing fell to a few). The
    # services guarantee the references instead: tasks are only written by jury.services,
    # for round entries and jurors read in the same transaction, under the round's row lock;
    # a round entry or juror is never deleted but through the ORM, whose CASCADE (kept
    # here) deletes their tasks too; a juror who leaves is made inactive, never deleted.
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="tasks", db_constraint=False
    )
    # No index of their own: task_once_per_juror (round_entry, juror) and task_todo (juror,
    # round, state) lead with them, and every extra index slows a round's start (bench/jury.py).
    round_entry = models.ForeignKey(
        RoundEntry,
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
        db_constraint=False,
    )
    juror = models.ForeignKey(
        Juror, on_delete=models.CASCADE, related_name="tasks", db_index=False, db_constraint=False
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # The juror's own marks: a favourite star, and skipped (shown again at the end).
    favourite = models.BooleanField(default=False)
    skipped_at = models.DateTimeField(null=True, blank=True)
    # Yes/no: 1 or 0; rating: the (weighted) score 1 to 5. `scores` holds each criterion's.
    value = models.FloatField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    voted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every vote and undo: a vote names the version the juror saw.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(fields=("round_entry", "juror"), name="task_once_per_juror")
        ]
        indexes = [models.Index(fields=("juror", "round", "state"), name="task_todo")]

    def __str__(self) -> str:
        return f"{self.round_entry_id}/{self.juror_id} {self.state}"


class Ballot(models.Model):
    """A ranking round's ballot: the juror's whole ordering at once, ties allowed."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballots")
    juror = models.ForeignKey(Juror, on_delete=models.CASCADE, related_name="ballots")
    # [[round_entry_id, ...], ...]: groups, best first.
    groups = models.JSONField(default=list)
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("round", "juror"), name="ballot_once_per_juror")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.juror_id}"


class Note(models.Model):
    """A juror's note on an entry, private to the jury; some go into the report."""

    round_entry = models.ForeignKey(RoundEntry, on_delete=models.CASCADE, related_name="notes")
    juror = models.ForeignKey(Juror, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"), max_length=2000)
    for_report = models.BooleanField(_("in the jury report"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("round_entry", "juror"), name="note_once_per_juror")
        ]

    def __str__(self) -> str:
        return f"{self.round_entry_id}/{self.juror_id}"


class Recusal(models.Model):
    """A juror steps aside from an entry (conflict of interest), for every round."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="recusals")
    juror = models.ForeignKey(Juror, on_delete=models.CASCADE, related_name="recusals")
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("entry", "juror"), name="recusal_once")]

    def __str__(self) -> str:
        return f"{self.entry_id}/{self.juror_id}"


class JuryEvent(models.Model):
    """The jury's audit log: every human decision, by whom, when, what and why."""

    class Action(models.TextChoices):
        INVITE = "invite", _("Juror invited")
        REMOVE = "remove", _("Juror removed")
        CREATE = "create", _("Round created")
        START = "start", _("Round start asked for")
        START_FAILED = "start_failed", _("Round start failed")
        ACTIVATE = "activate", _("Round started")
        PAUSE = "pause", _("Round paused")
        RESUME = "resume", _("Round resumed")
        CLOSE = "close", _("Round closed")
        QUORUM = "quorum", _("Quorum raised")
        VOTE = "vote", _("Vote")
        UNDO = "undo", _("Vote undone")
        BALLOT = "ballot", _("Ranking ballot")
        RECUSE = "recuse", _("Recusal")
        DISQUALIFY = "disqualify", _("Disqualified")
        REQUALIFY = "requalify", _("Requalified")
        WITHDRAWN = "withdrawn", _("Left the gallery")
        CASTING = "casting", _("Chair's casting vote")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="jury_events")
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    round_entry = models.ForeignKey(
        RoundEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("jury event")
        verbose_name_plural = _("jury events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.contest_id} {self.action}"
