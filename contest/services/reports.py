"""Public reports ("report this photo") and the moderators' digest e-mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from contest.emails import send_templated_mail
from contest.models import Entry, EntryReport, ModerationDigest, ModerationEvent
from contest.network import network_hash, rate_limit_hit
from gallery.models import Photo, Rendition

logger = logging.getLogger(__name__)

# The digest goes out at most once per slot of this many hours (UTC): beat runs the task every
# 30 minutes, so while photos wait moderators get at most four e-mails a day.
DIGEST_PERIOD_HOURS = 6


class ReportRateLimited(Exception):
    """Too many reports from one network address in the last hour."""


def entry_get_reportable(*, public_id: UUID) -> Entry | None:
    """The public entry whose photo is `public_id`, with its thumbs; None for any other.

    Pending, refused, hidden and unprocessed entries are None alike, so the report page never
    tells whether such a photo exists.
    """
    return (
        Entry.objects.filter(
            photo__public_id=public_id,
            photo__status=Photo.Status.READY,
            moderation=Entry.Moderation.APPROVED,
            hidden=False,
        )
        .select_related("photo", "contest")
        .prefetch_related(
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec="thumb", format__in=("jpeg", "webp")),
                to_attr="thumbs",
            )
        )
        .first()
    )


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
            from contest.services.moderation import contest_gallery_changed

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


@dataclass(frozen=True)
class ContestBacklog:
    title: str
    waiting: int


@dataclass(frozen=True)
class ModerationBacklog:
    """The entries that have waited too long for a moderator, as the digest tells them."""

    waiting: int
    new: int
    reported: int
    oldest_since: datetime | None
    contests: list[ContestBacklog]


def moderation_backlog(*, now: datetime) -> ModerationBacklog:
    """Entries waiting longer than MODERATION_DIGEST_AFTER_HOURS.

    A new entry waits from its creation once its photo is ready (the queue does not show it
    before). A reported entry waits from its first report since the last decision: counting
    from the latest report would keep a photo reported every few hours out of the digest.
    """
    cutoff = now - timedelta(hours=settings.MODERATION_DIGEST_AFTER_HOURS)
    first_report = (
        EntryReport.objects.filter(
            entry=OuterRef("pk"),
            created_at__gt=Coalesce(OuterRef("decided_at"), OuterRef("created_at")),
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        Entry.objects.filter(
            Q(moderation=Entry.Moderation.PENDING, photo__status=Photo.Status.READY)
            | Q(flagged=True)
        )
        .annotate(first_report=Subquery(first_report))
        .values_list("contest_id", "contest__title", "moderation", "created_at", "first_report")
    )
    waiting: list[tuple[int, bool, datetime]] = []
    titles: dict[int, str] = {}
    for contest_id, title, moderation, created_at, first_report_at in rows:
        new = moderation == Entry.Moderation.PENDING
        # A flagged entry with no report row (flagged by hand) waits from its creation.
        since = created_at if new or first_report_at is None else first_report_at
        if since <= cutoff:
            waiting.append((contest_id, new, since))
            titles[contest_id] = title
    per_contest: dict[int, int] = {}
    for contest_id, _new, _since in waiting:
        per_contest[contest_id] = per_contest.get(contest_id, 0) + 1
    new_count = sum(1 for _contest_id, new, _since in waiting if new)
    return ModerationBacklog(
        waiting=len(waiting),
        new=new_count,
        reported=len(waiting) - new_count,
        oldest_since=min((since for _contest_id, _new, since in waiting), default=None),
        contests=sorted(
            (ContestBacklog(title=titles[pk], waiting=count) for pk, count in per_contest.items()),
            key=lambda backlog: (-backlog.waiting, backlog.title),
        ),
    )


def digest_period(*, now: datetime) -> str:
    """The key of the digest slot `now` falls in, e.g. "2027-03-14T06" (UTC)."""
    utc = now.astimezone(UTC)
    return f"{utc:%Y-%m-%d}T{utc.hour - utc.hour % DIGEST_PERIOD_HOURS:02d}"


def moderator_emails() -> list[str]:
    """The addresses of active users allowed to moderate (the Moderators group, superusers)."""
    users = get_user_model().objects.with_perm(
        "contest.moderate_entry",
        is_active=True,
        include_superusers=True,
        # Sesame's backend is also configured; permissions come from the model backend.
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return sorted({email for email in users.values_list("email", flat=True) if email})


def moderation_digest_send(*, now: datetime | None = None) -> int:
    """E-mails the moderators what has waited too long; once per period. Returns the count.

    The period's row is claimed before sending, so two runs in one period (a beat tick and
    a redelivery) send one digest. If no e-mail could go out at all, the claim is given back
    so the next run tries again.
    """
    now = now or timezone.now()
    backlog = moderation_backlog(now=now)
    if not backlog.waiting:
        return 0
    recipients = moderator_emails()
    if not recipients:
        logger.warning("%s entries wait for moderation but nobody can moderate", backlog.waiting)
        return 0
    period = digest_period(now=now)
    try:
        with transaction.atomic():
            digest = ModerationDigest.objects.create(period=period, waiting=backlog.waiting)
    except IntegrityError:
        return 0
    context = {
        "backlog": backlog,
        "now": now,
        "hours": settings.MODERATION_DIGEST_AFTER_HOURS,
        "period_hours": DIGEST_PERIOD_HOURS,
        "queue_url": settings.SITE_URL + reverse("contest:moderation_queue"),
    }
    sent = 0
    try:
        for email in recipients:
            send_templated_mail(
                to=email,
                template="contest/email/digest",
                context=context,
                language=settings.LANGUAGE_CODE,
            )
            sent += 1
    except Exception:
        if not sent:
            digest.delete()
        raise
    return sent
