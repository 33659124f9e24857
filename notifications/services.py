"""Writes of the outbox: record a message once, send it once, retry what failed or was lost."""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from core.mail import Attachment, Brand, send_templated_mail
from notifications import tasks
from notifications.kinds import LABELS, kind_of
from notifications.models import OptOut, OutboxMessage

logger = logging.getLogger(__name__)

# Seconds before the n-th retry (then the last value again), and when to give up.
RETRY_DELAYS = (30, 120, 600, 1800)
MAX_ATTEMPTS = 8
# A claimed message whose worker vanished is sent again after this long.
SENDING_TIMEOUT = timedelta(minutes=10)
OPTOUT_SALT = "notifications.optout"

# A builder turns a message's stored (JSON) context into the template's, re-reading what it
# needs; None when the message no longer applies (the decision it told was undone).
ContextBuilder = Callable[[dict[str, Any]], dict[str, Any] | None]
SentHook = Callable[[dict[str, Any]], None]
# The files a message carries, read when it is sent (from its stored context), so the outbox
# row keeps a reference and never the bytes.
AttachmentsProvider = Callable[[dict[str, Any]], list[Attachment]]
_builders: dict[str, ContextBuilder] = {}
_sent_hooks: dict[str, SentHook] = {}
_attachments: dict[str, AttachmentsProvider] = {}


class Branded(Protocol):
    """A contest, as far as its e-mails are concerned."""

    brand_name: str
    brand_colour: str
    brand_text_colour: str


def fingerprint(secret: str) -> str:
    """A short hash of a link, to name its message in a key without storing the secret twice."""
    return hashlib.sha256(secret.encode()).hexdigest()[:24]


def on_attachments(template: str, provider: AttachmentsProvider) -> None:
    """Registers what files a higher app's `template` mail carries (read at sending)."""
    _attachments[template] = provider


def on_render(template: str, builder: ContextBuilder, *, on_sent: SentHook | None = None) -> None:
    """Registers how a higher app rebuilds `template`'s context when the message is sent,
    and what it records once the message went (both get the stored context)."""
    _builders[template] = builder
    if on_sent is not None:
        _sent_hooks[template] = on_sent


def message_queue(
    *,
    key: str,
    to: str,
    template: str,
    context: dict[str, object],
    language: str,
    sender_name: str = "",
    brand: Branded | None = None,
    about: str = "",
    not_before: datetime | None = None,
) -> int:
    """Records an e-mail to send and enqueues it once the caller's transaction commits.

    `key` names the message once: queuing the same key again (a task run twice, a sweep)
    returns the existing message and queues nothing. The request never talks to the mail
    server: a slow or failing one never makes a rider wait or see an error. `context` must be
    JSON (the worker renders the templates). `brand` (a contest) signs and colours the mail
    when it has an operator's name. `about` ("entry:42") lets messages_cancel find it.
    """
    existing = OutboxMessage.objects.filter(key=key).values_list("pk", flat=True).first()
    if existing is not None:
        return existing
    now = timezone.now()
    branded = brand is not None and bool(brand.brand_name)
    try:
        # A savepoint: two workers racing on one key leave the caller's transaction usable.
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                key=key,
                to=to,
                template=template,
                context=context,
                language=language,
                sender_name=brand.brand_name if brand is not None and branded else sender_name,
                brand_colour=brand.brand_colour if brand is not None and branded else "",
                brand_text_colour=brand.brand_text_colour if brand is not None and branded else "",
                about=about,
                not_before=not_before or now,
            )
    except IntegrityError:
        return OutboxMessage.objects.values_list("pk", flat=True).get(key=key)
    if not_before is not None and not_before > now:
        countdown = (not_before - now).total_seconds()
        tasks.send_message.apply_async_on_commit((message.pk,), countdown=countdown)
    else:
        tasks.send_message.delay_on_commit(message.pk)
    return message.pk


def messages_cancel(*, about: str) -> list[str]:
    """Cancels the pending messages about `about` and returns their keys.

    Called in the transaction that undoes or overtakes what they told: a message already
    claimed by a worker is being sent and stays so.
    """
    cancelled = []
    for pk, key in OutboxMessage.objects.filter(
        about=about, state=OutboxMessage.State.PENDING
    ).values_list("pk", "key"):
        if OutboxMessage.objects.filter(pk=pk, state=OutboxMessage.State.PENDING).update(
            state=OutboxMessage.State.CANCELLED
        ):
            cancelled.append(key)
    return cancelled


def is_permanent(exc: BaseException) -> bool:
    """Whether sending again cannot help: a 5xx reply, or a fault of ours (a template).

    4xx replies (greylisting, a full queue), a dropped connection and a time-out are
    transient: the message is retried later.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    # SMTPServerDisconnected, refused connections and time-outs are all OSErrors.
    return not isinstance(exc, smtplib.SMTPException | OSError)


def optout_url(*, email: str, kind: str) -> str:
    """The signed one-click opt-out address of `kind` mail for `email` (it never expires)."""
    token = signing.dumps({"e": email.lower(), "k": kind}, salt=OPTOUT_SALT, compress=True)
    return settings.SITE_URL + reverse("notifications:optout", args=[token])


def optout_read(*, token: str) -> tuple[str, str] | None:
    """(address, kind) of an opt-out link, or None if it was forged or mangled."""
    try:
        data = signing.loads(token, salt=OPTOUT_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in LABELS:
        return None
    return str(data.get("e", "")), str(data["k"])


def optout_record(*, email: str, kind: str) -> OptOut:
    """Records that `email` wants no more `kind` mail; doing it twice changes nothing."""
    optout, _created = OptOut.objects.get_or_create(email=email.lower(), kind=kind)
    return optout


def optout_remove(*, email: str, kind: str) -> bool:
    """`email` wants `kind` mail again (the opt-out page's "Receive them again"); True if it
    had opted out."""
    deleted, _rows = OptOut.objects.filter(email=email.lower(), kind=kind).delete()
    return bool(deleted)


def _finish(message_id: int, state: str, error: str = "") -> None:
    OutboxMessage.objects.filter(pk=message_id).update(state=state, last_error=error)


def message_send(*, message_id: int) -> bool:
    """Sends the message if it is due and nobody else is sending it; True once sent.

    Claimed by a conditional UPDATE first, so a redelivered task or the sweep never sends
    twice. A transient failure gives the claim back with a later `not_before` and schedules
    the retry for then (failed after MAX_ATTEMPTS); a permanent one marks it failed at once.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, state=OutboxMessage.State.PENDING, not_before__lte=now
    ).update(state=OutboxMessage.State.SENDING, attempts=F("attempts") + 1, not_before=now)
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    kind = kind_of(message.template)
    if not kind.essential and OptOut.objects.filter(email=message.to.lower(), kind=kind.name):
        _finish(message_id, OutboxMessage.State.SKIPPED)
        return False
    language = message.language or settings.LANGUAGE_CODE
    try:
        context: dict[str, Any] | None = message.context
        builder = _builders.get(message.template)
        if builder is not None:
            with translation.override(language):
                context = builder(message.context)
        if context is None:
            _finish(message_id, OutboxMessage.State.CANCELLED)
            return False
        send_templated_mail(
            to=message.to,
            template=message.template,
            context=context,
            language=language,
            brand=Brand(
                name=message.sender_name,
                colour=message.brand_colour,
                text_colour=message.brand_text_colour,
            ),
            unsubscribe_url="" if kind.essential else optout_url(email=message.to, kind=kind.name),
            attachments=_attachments[message.template](message.context)
            if message.template in _attachments
            else (),
        )
    except Exception as exc:  # sorted below: SMTP replies, dropped connections, our faults
        error = f"{type(exc).__name__}: {exc}"[:2000]
        failed = is_permanent(exc) or message.attempts >= MAX_ATTEMPTS
        delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
        OutboxMessage.objects.filter(pk=message_id).update(
            state=OutboxMessage.State.FAILED if failed else OutboxMessage.State.PENDING,
            not_before=now + timedelta(seconds=delay),
            last_error=error,
        )
        logger.warning("e-mail %s not sent (attempt %s): %s", message_id, message.attempts, exc)
        if not failed:
            tasks.send_message.apply_async((message_id,), countdown=delay)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        state=OutboxMessage.State.SENT, sent_at=timezone.now(), last_error=""
    )
    sent_hook = _sent_hooks.get(message.template)
    if sent_hook is not None:
        try:
            sent_hook(message.context)
        except Exception:  # the mail went: a failing record must not make it go again
            logger.exception("after sending e-mail %s", message_id)
    return True


def messages_retry(*, message_ids: list[int]) -> int:
    """Staff's "send again" for failed messages (the server refused, then was fixed)."""
    retried = 0
    for message_id in message_ids:
        if OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.State.FAILED).update(
            state=OutboxMessage.State.PENDING, attempts=0, not_before=timezone.now()
        ):
            tasks.send_message.delay_on_commit(message_id)
            retried += 1
    return retried


def messages_requeue() -> int:
    """Enqueues the due messages whose task was lost (broker down, worker killed)."""
    now = timezone.now()
    OutboxMessage.objects.filter(
        state=OutboxMessage.State.SENDING, not_before__lt=now - SENDING_TIMEOUT
    ).update(state=OutboxMessage.State.PENDING)
    ids = list(
        OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, not_before__lte=now - timedelta(minutes=1)
        ).values_list("pk", flat=True)[:500]
    )
    for message_id in ids:
        tasks.send_message.delay(message_id)
    return len(ids)


def messages_send_due(*, now: datetime | None = None) -> int:
    """Sends every message due by `now` in this process (tests and management commands).

    A `now` in the future is how a test lets a delayed message (an undo window) fall due.
    """
    now = now or timezone.now()
    if now > timezone.now():
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, not_before__lte=now).update(
            not_before=timezone.now()
        )
    sent = 0
    for message_id in OutboxMessage.objects.filter(
        state=OutboxMessage.State.PENDING, not_before__lte=timezone.now()
    ).values_list("pk", flat=True):
        sent += message_send(message_id=message_id)
    return sent
