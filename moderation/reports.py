"""Public reports ("report this photo"): back to the queue, hidden after enough of them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F

from contest.models import Entry
from contest.services import contest_gallery_changed
from core.errors import ApplicationError
from core.network import network_hash, rate_limit_hit
from moderation.models import EntryReport, ModerationEvent


class ReportRateLimited(ApplicationError):
    """Too many reports from one network address in the last hour."""


def _reporters_since_decision(*, entry_id: int, decided_at: datetime | None) -> int:
    reports = EntryReport.objects.filter(entry_id=entry_id)
    if decided_at is not None:
        reports = reports.filter(created_at__gt=decided_at)
    return reports.values("ip_hash").distinct().count()


def entry_report(
    *,
    entry: Entry,
    reason: str,
    message: str,
    email: str,
    ip_address: str | None,
    language: str = "",
) -> EntryReport:
    """Records a visitor's report: the entry goes back to the moderation queue.

    Once REPORTS_TO_HIDE different addresses have reported it since the last decision, the
    entry is also hidden until a moderator decides again. Raises ReportRateLimited (nothing
    stored) past REPORTS_PER_HOUR reports from one network address.
    """
    if reason not in EntryReport.Reason.values:
        raise ValueError(f"unknown reason {reason!r}")
    ip_hash = network_hash(ip_address=ip_address)
    # Keyed by the hash so that not even the cache holds the address. Visitors without a
    # known address share one bucket.
    if rate_limit_hit(f"report:ip:{ip_hash or 'unknown'}", settings.REPORTS_PER_HOUR):
        raise ReportRateLimited
    with transaction.atomic():
        report = EntryReport.objects.create(
            entry=entry,
            reason=reason,
            message=message.strip()[:1000],
            email=email.strip().lower(),
            ip_hash=ip_hash,
            language=language,
        )
        # F(): reports arriving together each add one. The UPDATE also locks the entry's row
        # until commit, so the reports of one entry are ordered from here on: the count below
        # sees every report committed before this one, and the last one sees them all.
        Entry.objects.filter(pk=entry.pk).update(report_count=F("report_count") + 1, flagged=True)
        state, decided_at = (
            Entry.objects.filter(pk=entry.pk).values_list("moderation", "decided_at").get()
        )
        ModerationEvent.objects.create(
            entry=entry,
            actor=None,
            action=ModerationEvent.Action.REPORTED,
            from_state=state,
            to_state=state,
            note=reason,
        )
        # Distinct addresses since the last decision, not report_count: one visitor alone
        # cannot hide a photo, and a photo a moderator kept is not hidden again by the next
        # single report.
        reporters = _reporters_since_decision(entry_id=entry.pk, decided_at=decided_at)
        # Conditional UPDATE: of two reports reaching the threshold together, one hides.
        if reporters >= settings.REPORTS_TO_HIDE and Entry.objects.filter(
            pk=entry.pk, hidden=False
        ).update(hidden=True):
            contest_gallery_changed(contest_id=entry.contest_id)
            ModerationEvent.objects.create(
                entry=entry,
                actor=None,
                action=ModerationEvent.Action.HIDE,
                from_state=state,
                to_state=state,
                note=str(reporters),
            )
    entry.refresh_from_db(fields=["report_count", "flagged", "hidden", "moderation"])
    return report
