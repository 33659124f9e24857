"""The dashboard's summary: counts per contest and hour, kept by a beat job (dashboard.tasks).

The dashboard reads; these tables are the one thing it writes, and only from its own job
(dashboard.services.summary_refresh), never from a page. They hold nothing that the entries
and votes do not: a full rebuild makes them again from scratch.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContestSummary(models.Model):
    """Where the summary of one contest stands; its row lock serialises the job's runs.

    The counts per hour in SummaryCount are right up to `as_of`; the figures that are not a
    sum over hours (participants, the median time to a decision) are kept here.
    """

    contest = models.OneToOneField(
        "contest.Contest", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Entries sent, entries decided and votes cast before this moment are counted (the job
    # looks back a margin before it, for rows committed late: dashboard.services.MARGIN).
    as_of = models.DateTimeField(_("figures as of"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    rebuild_requested = models.BooleanField(default=False)
    entries = models.PositiveIntegerField(default=0)
    participants = models.PositiveIntegerField(default=0)
    returning = models.PositiveIntegerField(default=0)
    median_decision = models.DurationField(null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard summary")
        verbose_name_plural = _("dashboard summaries")

    def __str__(self) -> str:
        return f"{self.contest_id} @ {self.as_of}"


class SummaryCount(models.Model):
    """How many entries (or votes) of a contest have one value of one facet.

    One row per contest, hour (UTC, the hour the entry was sent or the vote cast), facet and
    value; `hour` is null on the contest's totals, which the job adds up from the hourly
    rows so that the page reads a few dozen rows. Facets, not their cross product: the page
    never crosses them, and the product would have more rows than there are entries.
    """

    class Facet(models.TextChoices):
        ENTRIES = "entries", _("Entries")
        VOTES = "votes", _("Votes")
        MODERATION = "moderation", _("Moderation")
        DEVICE = "device", _("Device")
        THEME = "theme", _("Theme")
        LINE = "line", _("Line")
        REFUSAL = "refusal", _("Refusal reason")

    contest = models.ForeignKey("contest.Contest", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(null=True, blank=True)
    facet = models.CharField(max_length=10, choices=Facet.choices)
    # The moderation state, device class or refusal code; "" for the other facets.
    value = models.CharField(max_length=20, blank=True, default="")
    # SET_NULL as on the entry itself: a deleted theme's or line's entries count as without.
    theme = models.ForeignKey(
        "contest.Theme", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    line = models.ForeignKey(
        "transit.Line", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dashboard count")
        verbose_name_plural = _("dashboard counts")
        indexes = [models.Index(fields=("contest", "hour", "facet"), name="summary_hour")]

    def __str__(self) -> str:
        return f"{self.contest_id} {self.hour} {self.facet}={self.value} {self.count}"
