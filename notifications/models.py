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

    to = models.EmailField(_("to"))
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict)
    language = models.CharField(_("language"), max_length=8)
    # The operator's name the mail comes from (a branded contest's), else the configured one.
    sender_name = models.CharField(_("sender's name"), max_length=80, blank=True)
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
