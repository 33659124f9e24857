"""The moderators' digest: an e-mail when photos have waited too long, once per period."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from moderation.models import ModerationDigest
from moderation.selectors import moderation_backlog, moderator_emails
from notifications.services import message_queue

logger = logging.getLogger(__name__)

# The digest goes out at most once per slot of this many hours (UTC): beat runs the task every
# 30 minutes, so while photos wait moderators get at most four e-mails a day.
DIGEST_PERIOD_HOURS = 6


def digest_period(*, now: datetime) -> str:
    """The key of the digest slot `now` falls in, e.g. "2027-03-14T06" (UTC)."""
    utc = now.astimezone(UTC)
    return f"{utc:%Y-%m-%d}T{utc.hour - utc.hour % DIGEST_PERIOD_HOURS:02d}"


def moderation_digest_send(*, now: datetime | None = None) -> int:
    """Queues the moderators' digest of what has waited too long; once per period.

    The period's row and the messages are written in one transaction, and each message's
    key names the period and the address: two runs in one period (a beat tick and a
    redelivery) queue one digest each. Returns the number of messages queued.
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
    # JSON: plain values, datetimes as ISO text (digest_email_context reads them back).
    figures = asdict(backlog)
    figures["oldest_since"] = backlog.oldest_since.isoformat() if backlog.oldest_since else None
    context = {
        "backlog": figures,
        "now": now.isoformat(),
        "hours": settings.MODERATION_DIGEST_AFTER_HOURS,
        "period_hours": DIGEST_PERIOD_HOURS,
        "queue_url": settings.SITE_URL + reverse("moderation:queue"),
    }
    try:
        with transaction.atomic():
            ModerationDigest.objects.create(period=period, waiting=backlog.waiting)
            for email in recipients:
                message_queue(
                    key=f"digest:{period}:{email.lower()}",
                    to=email,
                    template="moderation/email/digest",
                    context=context,
                    language=settings.LANGUAGE_CODE,
                )
    except IntegrityError:  # this period's digest was queued already
        return 0
    return len(recipients)


def digest_email_context(context: dict[str, Any]) -> dict[str, Any]:
    """The digest's template context from its stored JSON (outbox hook): dates back."""
    backlog = dict(context["backlog"])
    if backlog.get("oldest_since"):
        backlog["oldest_since"] = datetime.fromisoformat(backlog["oldest_since"])
    return {**context, "backlog": backlog, "now": datetime.fromisoformat(context["now"])}
