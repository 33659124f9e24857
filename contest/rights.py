"""Participants' data rights: each destructive step is asked for on a page, confirmed by a
signed link e-mailed to the participant, then done here with an audit row.

The link is the fresh proof the person at the keyboard holds the mailbox (a session left
open on a shared computer is not enough to erase anything). The apps above contest react
through hooks they register at start-up (`on_entry_withdrawn`): the jury takes the entry
out of its open rounds.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contest.models import Enrollment, Entry, Participant, RightsEvent
from contest.releases import release_erase
from contest.selectors import signin_link_lifetime
from contest.services import SignInRateLimited, contest_gallery_changed
from core.errors import ApplicationError
from core.ratelimit import Limit, person_key, rate_limit
from notifications.services import fingerprint, message_queue, messages_cancel
from photos.models import Photo, Rendition
from photos.services import originals_storage, photo_erase

logger = logging.getLogger(__name__)

RIGHTS_SALT = "coverline.data-rights"
# Past this size the download's ZIP is written to disk rather than kept in memory.
EXPORT_SPOOL_BYTES = 16 * 1024 * 1024


class Action:
    WITHDRAW_ENTRY = "withdraw_entry"
    DELETE_ACCOUNT = "delete_account"
    # Asked by the parent of a child under 15, from their confirmation page; the link goes
    # to the parent's address.
    WITHDRAW_PARENT = "withdraw_parent"


ACTIONS = frozenset({Action.WITHDRAW_ENTRY, Action.DELETE_ACCOUNT, Action.WITHDRAW_PARENT})


class RightsRefused(ApplicationError):
    """The step cannot be asked for or done (not theirs, already done, too many asks)."""


class RightsLinkInvalid(ApplicationError):
    """A confirmation link that is forged, expired, or for another participant."""


@dataclass(frozen=True)
class RightsRequest:
    """What a valid confirmation link asks for."""

    participant: Participant
    action: str
    entry: Entry | None = None


@dataclass(frozen=True)
class DataKeeper:
    """What an app above contest holds about a participant: how to list it for their
    download, and how to erase it with their account."""

    export: Callable[[Participant], list[dict[str, Any]]]
    erase: Callable[[Participant], None]


_keepers: dict[str, DataKeeper] = {}


def on_participant_data(
    name: str,
    *,
    export: Callable[[Participant], list[dict[str, Any]]],
    erase: Callable[[Participant], None],
) -> None:
    """Registers, under `name` (its key in the download's JSON), an app's participant data."""
    _keepers[name] = DataKeeper(export=export, erase=erase)


EntryWithdrawnHook = Callable[[int], None]
_withdrawn_hooks: list[EntryWithdrawnHook] = []


def on_entry_withdrawn(hook: EntryWithdrawnHook) -> EntryWithdrawnHook:
    """Registers `hook(entry_id)`, called once an entry's withdrawal (or its author's
    withdrawal of the gallery use) has committed.

    Called from AppConfig.ready() of the apps above this one; idempotent and quick.
    """
    if hook not in _withdrawn_hooks:
        _withdrawn_hooks.append(hook)
    return hook


_social_withdrawn_hooks: list[EntryWithdrawnHook] = []


def on_social_use_withdrawn(hook: EntryWithdrawnHook) -> EntryWithdrawnHook:
    """Registers `hook(entry_id)`, called for each of the participant's entries in a contest
    once their withdrawal of the social media use has committed (the relay takes its posts
    down). Idempotent and quick, like on_entry_withdrawn's."""
    if hook not in _social_withdrawn_hooks:
        _social_withdrawn_hooks.append(hook)
    return hook


def _own_entry(*, participant: Participant, entry_id: int | None) -> Entry | None:
    if entry_id is None:
        return None
    return (
        Entry.objects.select_related("contest", "photo")
        .filter(pk=entry_id, participant=participant, withdrawn_at=None)
        .first()
    )


def rights_request_send(
    *,
    participant: Participant,
    action: str,
    language: str,
    base_url: str,
    entry_id: int | None = None,
) -> None:
    """E-mails the participant a link that confirms `action`, valid as long as a sign-in link.

    Raises RightsRefused when the entry is not theirs (or already withdrawn), or when too
    many links were asked for this hour.
    """
    if action not in ACTIONS:
        raise RightsRefused(_("This request is not known."))
    entry = _own_entry(participant=participant, entry_id=entry_id)
    if action == Action.WITHDRAW_ENTRY and entry is None:
        raise RightsRefused(_("This photo is not yours, or it was already withdrawn."))
    to = participant.email
    if action == Action.WITHDRAW_PARENT:
        if participant.parent_confirmed_at is None or not participant.parent_email:
            raise RightsRefused(_("There is no agreement to withdraw."))
        to = participant.parent_email
    try:
        rate_limit(
            Limit(person_key("rights", participant.user_id), settings.SIGNIN_RATE_PER_HOUR),
            error=SignInRateLimited,
        )
    except SignInRateLimited as limited:
        raise RightsRefused(limited.message) from None
    token = signing.dumps(
        # "m": the address the link goes to; a parent's link is void once the child names
        # another parent.
        {"p": participant.pk, "a": action, "e": entry.pk if entry else None, "m": to},
        salt=RIGHTS_SALT,
        compress=True,
    )
    message_queue(
        key=f"rights:{participant.pk}:{fingerprint(token)}",
        to=to,
        template="contest/email/rights",
        context={
            "action": action,
            "link": base_url.rstrip("/") + reverse("contest:rights_confirm", args=[token]),
            "entry_title": entry.title if entry else "",
            "credit_name": participant.credit_name,
            **signin_link_lifetime(),
        },
        language=language,
    )


def rights_request_get(*, token: str, user: AbstractBaseUser | AnonymousUser) -> RightsRequest:
    """What a confirmation link asks for. Raises RightsLinkInvalid when it is forged or
    expired, when the visitor is signed in as someone else, or when it was already done."""
    try:
        data = signing.loads(token, salt=RIGHTS_SALT, max_age=settings.SESAME_MAX_AGE)
    except signing.BadSignature:
        raise RightsLinkInvalid(_("This link is not valid or has expired.")) from None
    if (
        not isinstance(data, dict)
        or data.get("a") not in ACTIONS
        or not isinstance(data.get("p"), int)
    ):
        raise RightsLinkInvalid(_("This link is not valid or has expired."))
    participant = (
        Participant.objects.select_related("user")
        .filter(pk=data["p"], user__is_active=True)
        .first()
    )
    if participant is None:
        raise RightsLinkInvalid(_("This link is not valid or has expired."))
    if data["a"] == Action.WITHDRAW_PARENT:
        # The parent has no account: the link, sent to the address they confirmed from,
        # is the proof. Void once withdrawn or once the child names another parent.
        if participant.parent_confirmed_at is None or data.get("m") != participant.parent_email:
            raise RightsLinkInvalid(_("This link is not valid or has expired."))
        return RightsRequest(participant=participant, action=data["a"])
    # A link opened in a browser signed in as another participant is refused: the person
    # there is not the one who asked. Signed out, the link is itself the proof.
    if user.is_authenticated and user.pk != participant.user_id:
        raise RightsLinkInvalid(
            _("This link was sent to another participant. Sign out, then open it again.")
        )
    entry = None
    if data["a"] == Action.WITHDRAW_ENTRY:
        entry = _own_entry(participant=participant, entry_id=data.get("e"))
        if entry is None:
            raise RightsLinkInvalid(_("This photo was already withdrawn."))
    return RightsRequest(participant=participant, action=data["a"], entry=entry)


def rights_confirm(*, token: str, user: AbstractBaseUser | AnonymousUser) -> RightsRequest:
    """Does what a valid confirmation link asks for; raises RightsLinkInvalid otherwise."""
    request = rights_request_get(token=token, user=user)
    if request.action == Action.WITHDRAW_ENTRY and request.entry is not None:
        entry_withdraw(entry_id=request.entry.pk, participant=request.participant)
    elif request.action == Action.DELETE_ACCOUNT:
        participant_erase(participant=request.participant)
    elif request.action == Action.WITHDRAW_PARENT:
        participant_withdraw_parent(participant=request.participant)
    return request


# The uses a participant allows per contest (Enrollment.allows_*), as the URLs name them.
USES = ("gallery", "social", "print")


def enrollment_withdraw_use(*, contest_id: int, participant: Participant, use: str) -> bool:
    """Withdraws the participant's consent to one use of their photos in a contest.

    Done at once, without a link: withdrawing consent must be as easy as giving it, and it
    is undone by accepting the rules again. What reads the consent follows at once: the
    social kit and relay pages, print eligibility, and for the gallery the public pages
    (their cache goes stale) and, through the hooks, the jury's rounds. False when it was
    not given (a second click).
    """
    if use not in USES:
        raise RightsRefused(_("This request is not known."))
    field = f"allows_{use}"
    with transaction.atomic():
        changed = Enrollment.objects.filter(
            contest_id=contest_id, participant=participant, **{field: True}
        ).update(**{field: False})
        if not changed:
            return False
        RightsEvent.objects.create(
            action=RightsEvent.Action.USE_WITHDRAWN,
            participant=participant,
            contest_id=contest_id,
            detail=use,
        )
        if use == "gallery":
            contest_gallery_changed(contest_id=contest_id)
            entries = Entry.objects.filter(contest_id=contest_id, participant=participant)
            for entry_id in entries.values_list("pk", flat=True):
                for hook in _withdrawn_hooks:
                    transaction.on_commit(partial(hook, entry_id))
        elif use == "social":
            entries = Entry.objects.filter(contest_id=contest_id, participant=participant)
            for entry_id in entries.values_list("pk", flat=True):
                for hook in _social_withdrawn_hooks:
                    transaction.on_commit(partial(hook, entry_id))
    return True


def entry_withdraw(*, entry_id: int, participant: Participant) -> bool:
    """Takes the participant's entry out of the contest for good.

    It leaves the public pages (contest.selectors.entries_public), its original and
    renditions are deleted once this commits, cached gallery pages go stale, pending e-mails
    about it are cancelled, and the apps above learn it through their hooks. False when it
    was not theirs or already withdrawn (a second click, a link used twice).
    """
    with transaction.atomic():
        # Conditional, and bumping the moderators' version: a decision being made on it
        # right now loses, rather than approving a photo that is being erased.
        withdrawn = Entry.objects.filter(
            pk=entry_id, participant=participant, withdrawn_at=None
        ).update(withdrawn_at=timezone.now(), version=F("version") + 1)
        if not withdrawn:
            return False
        entry = Entry.objects.get(pk=entry_id)
        photo_erase(photo_id=entry.photo_id)
        messages_cancel(about=f"entry:{entry.pk}")
        # The name and address of the person in the photo were given for this photo only.
        release_erase(entry_id=entry.pk)
        contest_gallery_changed(contest_id=entry.contest_id)
        RightsEvent.objects.create(
            action=RightsEvent.Action.ENTRY_WITHDRAWN,
            participant=participant,
            contest_id=entry.contest_id,
            entry=entry,
        )
        for hook in _withdrawn_hooks:
            transaction.on_commit(partial(hook, entry.pk))
    return True


# --- download my data ----------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _entry_data(entry: Entry, files: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """One entry as the download's JSON shows it; `files` gets (zip name, storage key,
    storage) of each of its files still stored."""
    photo = entry.photo
    folder = f"photos/{entry.pk}"
    original = None
    if photo.original:
        extension = photo.original.rsplit(".", 1)[-1]
        original = f"{folder}/original.{extension}"
        files.append((original, photo.original, originals_storage()))
    renditions = []
    for rendition in Rendition.objects.filter(photo=photo).order_by("spec", "format"):
        extension = rendition.file.name.rsplit(".", 1)[-1]
        name = f"{folder}/{rendition.spec}-{rendition.format}.{extension}"
        files.append((name, rendition.file.name, default_storage))
        renditions.append(
            {
                "file": name,
                "spec": rendition.spec,
                "width": rendition.width,
                "height": rendition.height,
            }
        )
    return {
        "contest": entry.contest.slug,
        "title": entry.title,
        "caption": entry.caption,
        "theme": str(entry.theme) if entry.theme else None,
        "line": str(entry.line) if entry.line else None,
        "stop": entry.stop.name if entry.stop else None,
        "sent_at": _iso(entry.created_at),
        "moderation": entry.moderation,
        "refusal_code": entry.refusal_code,
        "refusal_reason": entry.refusal_reason,
        "withdrawn_at": _iso(entry.withdrawn_at),
        "votes": entry.vote_count,
        "photo": {
            "public_id": str(photo.public_id),
            "file_name_as_sent": photo.original_name,
            "format": photo.original_format,
            "width": photo.width,
            "height": photo.height,
            "taken_at": _iso(photo.taken_at),
            "original": original,
            "renditions": renditions,
        },
    }


def participant_data(
    *, participant: Participant
) -> tuple[dict[str, Any], list[tuple[str, str, Any]]]:
    """Everything held about the participant, as JSON-ready data, and their stored files."""
    files: list[tuple[str, str, Any]] = []
    entries = (
        Entry.objects.filter(participant=participant)
        .select_related("contest", "photo", "theme", "line", "stop")
        .order_by("created_at", "pk")
    )
    data: dict[str, Any] = {
        "generated_at": _iso(timezone.now()),
        "profile": {
            "email": participant.email,
            "credit_name": participant.credit_name,
            "age_bracket": participant.age_bracket,
            "parent_email": participant.parent_email,
            "parent_confirmed_at": _iso(participant.parent_confirmed_at),
            "email_verified_at": _iso(participant.email_verified_at),
            "language": participant.language,
            "created_at": _iso(participant.created_at),
        },
        "consents": [
            {
                "contest": enrollment.contest.slug,
                "rules_version": enrollment.rules_version,
                "accepted_at": _iso(enrollment.accepted_at),
                "ip_address": enrollment.ip_address,
                "allows_gallery": enrollment.allows_gallery,
                "allows_social": enrollment.allows_social,
                "allows_print": enrollment.allows_print,
            }
            for enrollment in participant.enrollments.select_related("contest").order_by("pk")
        ],
        "history": [
            {
                "action": event.action,
                "contest": event.contest.slug if event.contest else None,
                "detail": event.detail,
                "at": _iso(event.created_at),
            }
            for event in participant.rights_events.select_related("contest").order_by(
                "created_at", "pk"
            )
        ],
        "entries": [_entry_data(entry, files) for entry in entries],
    }
    for name, keeper in sorted(_keepers.items()):
        data[name] = keeper.export(participant)
    return data, files


def participant_export(*, participant: Participant) -> IO[bytes]:
    """The participant's download: a ZIP of data.json and their photos' files, rewound.

    Written to a spooled file (in memory while small, on disk past EXPORT_SPOOL_BYTES):
    a few originals can weigh tens of megabytes. A file missing from storage is left out
    and the JSON says so by naming a file the ZIP lacks; it is logged for the storage audit.
    """
    data, files = participant_data(participant=participant)
    spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for name, key, storage in files:
            try:
                with storage.open(key, "rb") as stored:
                    # Photos are compressed already: stored as they are.
                    archive.writestr(name, stored.read(), compress_type=zipfile.ZIP_STORED)
            except FileNotFoundError:
                logger.warning("export: %s missing from storage", key)
    RightsEvent.objects.create(action=RightsEvent.Action.DATA_EXPORTED, participant=participant)
    spool.seek(0)
    return spool


# --- delete my account ---------------------------------------------------------------------


def participant_erase(*, participant: Participant) -> str:
    """Deletes the participant's account: their photos' files, votes, consents and personal
    data. Returns the anonymous reference their audit rows keep.

    The rows that moderators, jurors and the covers team decided on (entries, their
    decisions, a picked or printed cover) stay, emptied of anything personal, so those
    audits still add up; the participant and user rows stay as empty, inactive shells they
    point at. A printed cover cannot be unprinted: the page says so before confirming.
    """
    reference = secrets.token_hex(8)
    with transaction.atomic():
        for entry_id in Entry.objects.filter(
            participant=participant, withdrawn_at=None
        ).values_list("pk", flat=True):
            entry_withdraw(entry_id=entry_id, participant=participant)
        for entry in Entry.objects.filter(participant=participant).only("pk", "photo_id"):
            # sha256 is unique per participant and contest: an erased value of the entry's own.
            Entry.objects.filter(pk=entry.pk).update(
                title="", caption="", sha256=f"erased-{entry.pk}"
            )
            Photo.objects.filter(pk=entry.photo_id).update(original_name="", taken_at=None)
        for keeper in _keepers.values():
            keeper.erase(participant)
        participant.enrollments.all().delete()
        RightsEvent.objects.filter(participant=participant).update(
            participant=None, reference=reference
        )
        RightsEvent.objects.create(action=RightsEvent.Action.ACCOUNT_DELETED, reference=reference)
        Participant.objects.filter(pk=participant.pk).update(
            credit_name="",
            age_bracket="",
            parent_email="",
            parent_confirmed_at=None,
            email_verified_at=None,
        )
        user = participant.user
        # Inactive: its sessions on every device stop working, and no link signs it in.
        user.username = f"erased-{reference}"
        user.email = ""
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    return reference


# --- a parent withdraws their agreement ----------------------------------------------------


def participant_withdraw_parent(*, participant: Participant) -> bool:
    """The parent of a child under 15 withdraws their agreement: without it, nothing the
    child sent may be kept, so every entry of theirs is withdrawn (files deleted) and they
    can send no more until a parent agrees again. False when there was no agreement."""
    with transaction.atomic():
        withdrawn = Participant.objects.filter(
            pk=participant.pk, parent_confirmed_at__isnull=False
        ).update(parent_confirmed_at=None)
        if not withdrawn:
            return False
        for entry_id in Entry.objects.filter(
            participant=participant, withdrawn_at=None
        ).values_list("pk", flat=True):
            entry_withdraw(entry_id=entry_id, participant=participant)
        RightsEvent.objects.create(
            action=RightsEvent.Action.PARENT_WITHDRAWN, participant=participant
        )
    participant.parent_confirmed_at = None
    return True
