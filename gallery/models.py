"""Public votes ("coups de cœur") and shares. The vote count lives on the entry
(contest.Entry.vote_count), written only by gallery.services.vote_cast, so the "most voted"
order reads one index."""

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


class Share(models.Model):
    """A tap on one of a photo page's share buttons, counted once per visitor's network,
    photo, social network and day (marketing's "top shared photos")."""

    class Network(models.TextChoices):
        FACEBOOK = "facebook", "Facebook"
        X = "x", "X"
        WHATSAPP = "whatsapp", "WhatsApp"

    entry = models.ForeignKey("contest.Entry", on_delete=models.CASCADE, related_name="shares")
    network = models.CharField(_("network"), max_length=10, choices=Network.choices)
    # The visitor's network address hashed (core.network.network_hash): dedupes, nothing more.
    visitor = models.CharField(max_length=64)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            models.UniqueConstraint(
                fields=("entry", "network", "visitor", "day"), name="share_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.network}"
