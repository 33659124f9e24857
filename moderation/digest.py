"""The moderators' digest: an e-mail when photos have waited too long, once per period."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.mail import send_templated_mail
from moderation.models import ModerationDigest
from moderation.selectors import moderation_backlog, moderator_emails

logger = logging.getLogger(__name__)

# The digest goes out at most once per slot of this many hours (UTC): beat runs the task every
# 30 minutes, so while photos wait moderators get at most four e-mails a day.
DIGEST_PERIOD_HOURS = 6


def digest_period(*, now: datetime) -> str:
    """The key of the digest slot `now` falls in, e.g. "2027-03-14T06" (UTC)."""
    utc = now.astimezone(UTC)
    return f"{utc:%Y-%m-%d}T{utc.hour - utc.hour % DIGEST_PERIOD_HOURS:02d}"


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
        "queue_url": settings.SITE_URL + reverse("moderation:queue"),
    }
    sent = 0
    try:
        for email in recipients:
            send_templated_mail(
                to=email,
                template="moderation/email/digest",
                context=context,
                language=settings.LANGUAGE_CODE,
            )
            sent += 1
    except Exception:
        if not sent:
            digest.delete()
        raise
    return sent
