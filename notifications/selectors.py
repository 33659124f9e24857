"""Reads of the outbox's state for pages."""

from __future__ import annotations

from notifications.models import OptOut


def optout_exists(*, email: str, kind: str) -> bool:
    """Whether `email` has stopped `kind` mail."""
    return OptOut.objects.filter(email=email.lower(), kind=kind).exists()
