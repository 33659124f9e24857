"""Public votes ("coups de cœur"). The count lives on the entry (contest.Entry.vote_count),
written only by gallery.services.vote_cast, so the "most voted" order reads one index."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Vote(models.Model):
    """A "coup de cœur": one per verified e-mail (user) per photo, enforced by the database."""

    entry = models.ForeignKey("contest.Entry", on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="votes", verbose_name=_("voter")
    )
    ip_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=("entry", "user"), name="vote_once")]
        permissions = [
            ("relay_photo", _("Can relay photos on social media and see vote statistics"))
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.entry_id}"
