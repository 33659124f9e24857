"""Moderation's own rows: the audit log, public reports, duplicate matches, digests sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contest.models import Entry


class ModerationEvent(models.Model):
    """The audit log: every decision on an entry, by whom, when, why, from which state."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REFUSE = "refuse", _("Refused")
        UNDO = "undo", _("Decision undone")
        ROTATE = "rotate", _("Rotated")
        REPORTED = "reported", _("Reported by the public")
        HIDE = "hide", _("Hidden after reports")
        PLACE = "place", _("Line and stop corrected")
        IDENTIFY = "identify", _("Marked: identifiable person")
        UNIDENTIFY = "unidentify", _("Identifiable person mark removed")

    class Email(models.TextChoices):
        NONE = "", _("No e-mail")
        PENDING = "pending", _("To send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=10)
    to_state = models.CharField(_("to"), max_length=10)
    reason = models.CharField(_("reason"), max_length=20, choices=Entry.Reason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    email = models.CharField(max_length=10, choices=Email.choices, blank=True, default="")
    email_sent_at = models.DateTimeField(null=True, blank=True)
    # The entry's report flags before this decision, so that an undo can put them back.
    was_flagged = models.BooleanField(default=False)
    was_hidden = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.action}"


class EntryReport(models.Model):
    """A visitor's "report this photo"."""

    class Reason(models.TextChoices):
        INAPPROPRIATE = "inappropriate", _("Shocking or inappropriate")
        ME = "me", _("I am in this photo and did not agree")
        COPYRIGHT = "copyright", _("This photo is mine, or someone else's work")
        OTHER = "other", _("Something else")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    message = models.TextField(_("message"), blank=True, max_length=1000)
    email = models.EmailField(_("e-mail"), blank=True)
    # A keyed hash, not the address: enough to spot a burst, nothing more kept.
    ip_hash = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # When the reporter was told the moderators' decision (only if they left an e-mail).
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.entry_id} {self.reason}"


class DuplicateMatch(models.Model):
    """Two entries whose photos look alike (perceptual-hash distance under a threshold)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="duplicate_matches")
    other = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    distance = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("entry", "other"), name="duplicate_match_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} ~ {self.other_id} ({self.distance})"


class ModerationDigest(models.Model):
    """One row per digest sent to moderators: the unique period makes it sent once."""

    period = models.CharField(max_length=20, unique=True)
    waiting = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.period
