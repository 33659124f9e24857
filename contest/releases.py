"""Releases of identifiable people: a photo a moderator marked needs the consent of the
person recognisable in it (their parent's, for a minor) before it can be a printed cover.

The moderator's mark opens the release and tells the rider (moderation.services calls
`release_open`); the rider names the person from "My photos" (`release_request`), who is
e-mailed a signed link to a page showing the photo and the uses, where they confirm or
refuse (`release_confirm`, `release_refuse`). Covers read `release_missing`. Withdrawing
the entry erases the person's name and address (`release_erase`, from contest.rights).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contest.models import Enrollment, Entry, Participant, Release
from core.errors import ApplicationError
from notifications.services import fingerprint, message_queue, messages_cancel

RELEASE_SALT = "coverline.release"
# The person may read their mail late, or ask a parent first: a month, like a paper form.
RELEASE_LINK_MAX_AGE = 30 * 24 * 3600
# How many links a rider may send for one photo: enough to fix a typo or ask a parent,
# too few to harass someone with an address that is not theirs.
RELEASE_MAX_ASKS = 5
# Its rider's e-mail waits as long as a decision's, so a mark undone at once is not mailed.
RIDER_MAIL_DELAY = timedelta(seconds=2)

RIDER_TEMPLATE = "contest/email/release_needed"
PERSON_TEMPLATE = "contest/email/release"
USE_CODES = ("gallery", "social", "print")


class ReleaseRefused(ApplicationError):
    """The rider cannot ask for this release now (not theirs, not needed, done, too many)."""


class ReleaseLinkInvalid(ApplicationError):
    """A release link that is forged, expired, replaced by a newer one, or already erased."""


def _about(entry_id: int) -> str:
    # Not "entry:<id>": cancelling a decision's e-mails must leave these alone.
    return f"release:{entry_id}"


def release_missing(entry: Entry) -> bool:
    """Whether the entry needs a release it does not have (a confirmed one).

    Reads `entry.release` as loaded: callers listing many entries select_related it.
    """
    if not entry.needs_release:
        return False
    release: Release | None = getattr(entry, "release", None)
    return release is None or release.state != Release.State.CONFIRMED


def uses_allowed(*, entry: Entry) -> list[str]:
    """The uses the rider allows for the entry's contest, as codes (gallery, social, print)."""
    enrollment = Enrollment.objects.filter(
        contest_id=entry.contest_id, participant_id=entry.participant_id
    ).first()
    return [code for code in USE_CODES if enrollment and getattr(enrollment, f"allows_{code}")]


# --- opened and closed by a moderator -------------------------------------------------------


def release_open(*, entry: Entry, now: datetime | None = None) -> Release:
    """The moderator marked the photo: the release exists (requested) and the rider is told.

    In the moderator's transaction. Marking again after a clear keeps a release already
    confirmed; the rider's e-mail is sent once per mark (its key names the release row).
    """
    now = now or timezone.now()
    release, _created = Release.objects.get_or_create(entry=entry)
    if release.state == Release.State.CONFIRMED:
        return release
    participant = entry.participant
    message_queue(
        key=f"release-needed:{release.pk}:{release.link_version}",
        to=participant.email,
        template=RIDER_TEMPLATE,
        context={"entry_id": entry.pk},
        language=participant.language or settings.LANGUAGE_CODE,
        brand=entry.contest,
        about=_about(entry.pk),
        not_before=now + timedelta(seconds=settings.MODERATION_UNDO_SECONDS) + RIDER_MAIL_DELAY,
    )
    return release


def release_close(*, entry: Entry) -> None:
    """The moderator cleared the mark: an unconfirmed release and its mails go.

    A confirmed one stays: it is the person's answer, and the record of a printed cover.
    """
    messages_cancel(about=_about(entry.pk))
    Release.objects.filter(entry=entry).exclude(state=Release.State.CONFIRMED).delete()


def rider_email_context(context: dict[str, Any]) -> dict[str, Any] | None:
    """The rider's e-mail, read when sent (outbox hook); None once it no longer applies."""
    entry_id = context.get("entry_id")
    if not isinstance(entry_id, int):
        return None
    entry = (
        Entry.objects.select_related("contest", "participant__user", "release")
        .filter(pk=entry_id, withdrawn_at=None, needs_release=True)
        .first()
    )
    if entry is None or not release_missing(entry):
        return None
    return {
        "entry": entry,
        "contest": entry.contest,
        "credit_name": entry.participant.credit_name,
        "request_url": settings.SITE_URL
        + reverse("contest:release_request", args=[entry.contest.slug, entry.pk]),
    }


# --- asked by the rider ---------------------------------------------------------------------


@dataclass(frozen=True)
class Depicted:
    """Who is in the photo, as the rider names them."""

    name: str
    email: str
    age_bracket: str
    parent_name: str = ""
    parent_email: str = ""

    @property
    def is_minor(self) -> bool:
        return self.age_bracket != Participant.AgeBracket.ADULT


def release_of_participant(*, participant: Participant, entry_id: int) -> Release | None:
    """The release of one of the rider's photos still in the contest, with what its page shows."""
    return (
        Release.objects.select_related("entry__contest", "entry__photo")
        .filter(
            entry_id=entry_id,
            entry__participant=participant,
            entry__withdrawn_at=None,
            entry__needs_release=True,
        )
        .first()
    )


def release_request(
    *,
    participant: Participant,
    entry_id: int,
    depicted: Depicted,
    language: str,
    base_url: str,
) -> Release:
    """Records who is in the rider's photo and e-mails them (their parent for a minor) the
    link to confirm. Asking again voids the earlier links.

    Raises ReleaseRefused when the photo is not theirs or needs no release, when it is
    already confirmed, when the person who refused is asked again, or after RELEASE_MAX_ASKS.
    """
    if depicted.age_bracket not in Participant.AgeBracket.values:
        raise ReleaseRefused(_("Say how old the person is."))
    if depicted.is_minor and not depicted.parent_email:
        raise ReleaseRefused(_("For a minor, give a parent's name and e-mail address."))
    if not depicted.is_minor and not depicted.email:
        raise ReleaseRefused(_("Give their e-mail address: the link goes to them."))
    now = timezone.now()
    with transaction.atomic():
        release = (
            Release.objects.select_for_update()
            .filter(
                entry_id=entry_id,
                entry__participant=participant,
                entry__withdrawn_at=None,
                entry__needs_release=True,
            )
            .first()
        )
        if release is None:
            raise ReleaseRefused(_("This photo needs no release."))
        if release.state == Release.State.CONFIRMED:
            raise ReleaseRefused(_("The release of this photo is already confirmed."))
        to = (depicted.parent_email if depicted.is_minor else depicted.email).strip().lower()
        if release.state == Release.State.REFUSED and release.answer_email == to:
            raise ReleaseRefused(
                _("This person refused. Only someone else in the photo can be asked now.")
            )
        if release.link_version >= RELEASE_MAX_ASKS:
            raise ReleaseRefused(
                _("Too many links were sent for this photo. Write to the organisers.")
            )
        entry = Entry.objects.select_related("contest").get(pk=entry_id)
        uses = uses_allowed(entry=entry)
        Release.objects.filter(pk=release.pk).update(
            state=Release.State.ASKED,
            depicted_name=depicted.name.strip(),
            depicted_email=depicted.email.strip().lower(),
            age_bracket=depicted.age_bracket,
            parent_name=depicted.parent_name.strip() if depicted.is_minor else "",
            parent_email=depicted.parent_email.strip().lower() if depicted.is_minor else "",
            uses=",".join(uses),
            link_version=F("link_version") + 1,
            asked_at=now,
            answered_at=None,
        )
        release.refresh_from_db()
        # The earlier link's e-mail, if still waiting, went to the wrong address.
        messages_cancel(about=_about(entry_id))
        token = signing.dumps(
            {"r": release.pk, "v": release.link_version, "m": to},
            salt=RELEASE_SALT,
            compress=True,
        )
        message_queue(
            key=f"release-ask:{release.pk}:{fingerprint(token)}",
            to=to,
            template=PERSON_TEMPLATE,
            context={
                "link": base_url.rstrip("/") + reverse("contest:release_answer", args=[token]),
                "name": release.depicted_name,
                "parent": release.is_minor,
                "credit_name": participant.credit_name,
                "contest_title": str(entry.contest.title),
                "days": RELEASE_LINK_MAX_AGE // 86400,
            },
            language=language,
            brand=entry.contest,
            about=_about(entry_id),
        )
    return release


# --- answered by the person in the photo ----------------------------------------------------


def release_from_token(*, token: str) -> Release:
    """The release a link is for. Raises ReleaseLinkInvalid when it is forged, expired,
    replaced by a newer link, or its photo was withdrawn or needs no release any more."""
    invalid = ReleaseLinkInvalid(_("This link is not valid or has expired."))
    try:
        data = signing.loads(token, salt=RELEASE_SALT, max_age=RELEASE_LINK_MAX_AGE)
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        raise invalid
    release = (
        Release.objects.select_related("entry__contest", "entry__photo", "entry__participant")
        .filter(pk=data["r"], entry__withdrawn_at=None, entry__needs_release=True)
        .first()
    )
    if (
        release is None
        or release.link_version != data.get("v")
        or release.answer_email != data.get("m")
        or release.state == Release.State.REQUESTED
    ):
        raise invalid
    return release


def _answer(*, token: str, to_state: str) -> tuple[Release, bool]:
    release = release_from_token(token=token)
    if release.state == to_state:
        return release, False  # a second click, a link opened twice
    # Conditional on the link's version: a rider asking someone else meanwhile wins.
    answered = Release.objects.filter(
        pk=release.pk, link_version=release.link_version, state=Release.State.ASKED
    ).update(state=to_state, answered_at=timezone.now())
    if not answered:
        raise ReleaseLinkInvalid(_("This release was already answered."))
    release.refresh_from_db()
    return release, True


def release_confirm(*, token: str) -> Release:
    """The person (or parent) confirms: the photo may be used as the page showed it,
    a printed cover included. Idempotent; raises ReleaseLinkInvalid for a bad link, or
    once the release was refused."""
    release, _changed = _answer(token=token, to_state=Release.State.CONFIRMED)
    return release


def release_refuse(*, token: str) -> Release:
    """The person (or parent) refuses: the photo can never be a printed cover on this
    release. Idempotent; raises ReleaseLinkInvalid for a bad link, or once confirmed."""
    release, _changed = _answer(token=token, to_state=Release.State.REFUSED)
    return release


def release_uses(release: Release) -> list[str]:
    """The codes of the uses the person was shown (gallery, social, print)."""
    return [code for code in release.uses.split(",") if code in USE_CODES]


# --- data rights ----------------------------------------------------------------------------


def release_erase(*, entry_id: int) -> bool:
    """Erases the person's name and addresses once the entry is withdrawn (in its
    transaction); the state and dates stay, for the audit of a printed cover."""
    messages_cancel(about=_about(entry_id))
    return bool(
        Release.objects.filter(entry_id=entry_id, erased_at=None).update(
            depicted_name="",
            depicted_email="",
            parent_name="",
            parent_email="",
            erased_at=timezone.now(),
        )
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def releases_export(participant: Participant) -> list[dict[str, Any]]:
    """The releases the rider asked for, in their download (contest.rights keeper)."""
    return [
        {
            "entry": release.entry.title,
            "contest": release.entry.contest.slug,
            "state": release.state,
            "depicted_name": release.depicted_name,
            "depicted_email": release.depicted_email,
            "age_bracket": release.age_bracket,
            "parent_name": release.parent_name,
            "parent_email": release.parent_email,
            "uses": release_uses(release),
            "requested_at": _iso(release.requested_at),
            "asked_at": _iso(release.asked_at),
            "answered_at": _iso(release.answered_at),
            "erased_at": _iso(release.erased_at),
        }
        for release in Release.objects.filter(entry__participant=participant)
        .select_related("entry__contest")
        .order_by("pk")
    ]


def releases_erase(participant: Participant) -> None:
    """Account deletion: every entry is withdrawn first, which erased these already."""
    for entry_id in Release.objects.filter(entry__participant=participant).values_list(
        "entry_id", flat=True
    ):
        release_erase(entry_id=entry_id)


def release_record(release: Release) -> dict[str, Any]:
    """What the print package keeps of a release: names, dates, who confirmed, the uses
    shown. No address of any kind, e-mail or IP: the printer needs none."""
    return {
        "state": release.state,
        "person": release.depicted_name,
        "minor": release.is_minor,
        "confirmed_by": ("parent" if release.is_minor else "person")
        if release.state == Release.State.CONFIRMED
        else None,
        "parent": release.parent_name if release.is_minor else None,
        "uses_shown": release_uses(release),
        "asked_at": _iso(release.asked_at),
        "answered_at": _iso(release.answered_at),
    }
