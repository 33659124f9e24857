"""The outbox: every e-mail recorded by the request that asks for it, sent by a worker."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("To send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # What the message was about changed before it went (a decision undone or overtaken).
        CANCELLED = "cancelled", _("Cancelled")
        # The recipient opted out of this kind of e-mail.
        SKIPPED = "skipped", _("Not sent (opted out)")

    # Names the message once ("decision:42"): queuing it again returns the same row, so a task
    # run twice or a sweep never sends twice.
    key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    to = models.EmailField(_("recipient"))
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict)
    language = models.CharField(_("language"), max_length=8)
    # The operator's name the mail comes from (a branded contest's), else the configured one.
    sender_name = models.CharField(_("sender's name"), max_length=80, blank=True)
    # The HTML part's colours (a branded contest's); empty: the configured ones.
    brand_colour = models.CharField(_("main colour"), max_length=7, blank=True)
    brand_text_colour = models.CharField(_("text colour"), max_length=7, blank=True)
    # What the message is about ("entry:42"), so that a later change can cancel it if pending.
    about = models.CharField(_("about"), max_length=100, blank=True, db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When a pending message may next be sent (a retry waits), and when it was.
    not_before = models.DateTimeField(_("not before"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("state", "not_before"), name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.template} → {self.to}"


class OptOut(models.Model):
    """An address that asked for no more e-mail of one kind (see notifications.kinds)."""

    email = models.EmailField(_("e-mail"))
    kind = models.CharField(_("kind"), max_length=40)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail opt-out")
        verbose_name_plural = _("e-mail opt-outs")
        constraints = [models.UniqueConstraint(fields=("email", "kind"), name="optout_unique")]

    def __str__(self) -> str:
        return f"{self.email} ({self.kind})"
