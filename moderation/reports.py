"""Public reports ("report this photo"): back to the queue, hidden after enough of them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy

from contest.models import Entry
from contest.services import contest_gallery_changed
from core.network import network_hash
from core.ratelimit import Limit, RateLimited, address_key, person_key, rate_limit
from moderation.models import EntryReport, ModerationEvent


class ReportRateLimited(RateLimited):
    """Too many reports from one signed-in person, or from one network address, this hour."""

    reason = gettext_lazy("You have sent many reports in a short time.")


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
    reporter_id: int | None = None,
) -> EntryReport:
    """Records a visitor's report: the entry goes back to the moderation queue.

    Once REPORTS_TO_HIDE different addresses have reported it since the last decision, the
    entry is also hidden until a moderator decides again. Raises ReportRateLimited (nothing
    stored) past REPORTS_PER_HOUR reports from one signed-in person (`reporter_id`, their
    user) or REPORTS_PER_HOUR_PER_ADDRESS from one network address.
    """
    if reason not in EntryReport.Reason.values:
        raise ValueError(f"unknown reason {reason!r}")
    limits = [Limit(address_key("report", ip_address), settings.REPORTS_PER_HOUR_PER_ADDRESS)]
    # Anyone may report: one not signed in is known by their address alone. The person's
    # own limit goes first (core.ratelimit.rate_limit).
    if reporter_id is not None:
        limits.insert(0, Limit(person_key("report", reporter_id), settings.REPORTS_PER_HOUR))
    rate_limit(*limits, error=ReportRateLimited)
    ip_hash = network_hash(ip_address=ip_address)
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
