"""The reports a participant made with their e-mail address, for their download and their
account's erasure (registered with contest.rights at start-up)."""

from __future__ import annotations

from typing import Any

from contest.models import Participant
from moderation.models import EntryReport


def reports_export(participant: Participant) -> list[dict[str, Any]]:
    reports = EntryReport.objects.filter(email__iexact=participant.email).select_related(
        "entry__photo"
    )
    return [
        {
            "photo": str(report.entry.photo.public_id),
            "reason": report.reason,
            "message": report.message,
            "at": report.created_at.isoformat(),
            "answered_at": report.answered_at.isoformat() if report.answered_at else None,
        }
        for report in reports.order_by("created_at", "pk")
    ]


def reports_erase(participant: Participant) -> None:
    """Removes the address and message from their reports; the report itself stays, as an
    anonymous one, in the photo's moderation record."""
    EntryReport.objects.filter(email__iexact=participant.email).update(email="", message="")
