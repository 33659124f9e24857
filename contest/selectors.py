"""Reads for the contest pages, with the joins each page needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from sesame.utils import get_user

from contest.models import Contest, Enrollment, Entry, Participant
from photos.models import Photo, Rendition


def signin_link_lifetime() -> dict[str, int]:
    """How long a sign-in link works, in the unit the mail and pages say it in.

    Hours when SESAME_MAX_AGE is a whole number of hours, else minutes; the other key is 0.
    """
    seconds = int(settings.SESAME_MAX_AGE)
    if seconds >= 3600 and seconds % 3600 == 0:
        return {"hours": seconds // 3600, "minutes": 0}
    return {"hours": 0, "minutes": max(1, seconds // 60)}


def signin_link_valid(*, token: str) -> bool:
    """Whether a sign-in token would sign someone in now, without using it up."""
    return get_user(token, update_last_login=False) is not None


def contests_open() -> QuerySet[Contest]:
    now = timezone.now()
    return Contest.objects.filter(status=Contest.Status.OPEN, closes_at__gt=now).order_by(
        "closes_at"
    )


def contest_get_public(*, slug: str) -> Contest | None:
    return (
        Contest.objects.exclude(status=Contest.Status.DRAFT)
        .prefetch_related("themes")
        .filter(slug=slug)
        .first()
    )


def entries_public(*, contest_id: int | None = None) -> QuerySet[Entry]:
    """Entries anyone may see: approved, not hidden by reports, showing exactly the
    renditions the moderator approved, from participants who allowed the public gallery.

    The one rule of public visibility: the gallery, the photo page, the feed, the embed and
    the report page all start from it.
    """
    consent = Enrollment.objects.filter(
        contest_id=OuterRef("contest_id"),
        participant_id=OuterRef("participant_id"),
        allows_gallery=True,
    )
    entries = Entry.objects.filter(
        moderation=Entry.Moderation.APPROVED,
        hidden=False,
        withdrawn_at=None,
        photo__status=Photo.Status.READY,
        approved_renditions=F("photo__renditions_hash"),
    )
    if contest_id is not None:
        entries = entries.filter(contest_id=contest_id)
    return entries.filter(Exists(consent))


def contest_last_entered(*, participant: Participant) -> Contest | None:
    """The contest whose rules the participant accepted last: where "My photos" leads."""
    enrollment = (
        Enrollment.objects.filter(participant=participant)
        .exclude(contest__status=Contest.Status.DRAFT)
        .select_related("contest")
        .order_by("-accepted_at", "-pk")
        .first()
    )
    return enrollment.contest if enrollment else None


def contests_for_parent(*, participant: Participant) -> list[Contest]:
    """What a parent agrees to: the contests the child entered and those open now.

    A parent's agreement is asked once, before the child picks a contest, so the page
    shows every contest it may cover, each with its rules and the uses it asks for.
    """
    entered = Contest.objects.filter(enrollments__participant=participant).exclude(
        status=Contest.Status.DRAFT
    )
    contests = {contest.pk: contest for contest in [*entered, *contests_open()]}
    return sorted(contests.values(), key=lambda contest: contest.closes_at)


def enrollment_current(*, contest: Contest, participant: Participant) -> Enrollment | None:
    """The participant's consent to the contest's current rules, if given."""
    return Enrollment.objects.filter(
        contest=contest, participant=participant, rules_version=contest.rules_version
    ).first()


def entries_of_participant(*, contest: Contest, participant: Participant) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(contest=contest, participant=participant)
        .select_related("photo", "theme", "line", "stop", "release")
        .prefetch_related(
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec="thumb"),
                to_attr="thumbs",
            )
        )
    )


def entry_of_participant(
    *, contest: Contest, participant: Participant, entry_id: int
) -> Entry | None:
    return (
        Entry.objects.filter(contest=contest, participant=participant, pk=entry_id)
        .select_related("contest__network", "line", "stop")
        .first()
    )


def entries_counted(*, contest: Contest, participant: Participant) -> QuerySet[Entry]:
    """The participant's entries that use up a place under the contest's photo limit.

    A refused photo, or one that could not be used, frees its place: the refusal mail
    invites the rider to send another. The rules page says so.
    """
    return Entry.objects.filter(contest=contest, participant=participant).exclude(
        Q(moderation=Entry.Moderation.REFUSED)
        | Q(photo__status=Photo.Status.FAILED)
        | Q(withdrawn_at__isnull=False)
    )


def photos_remaining(*, contest: Contest, participant: Participant) -> int:
    """How many more photos the participant may send to the contest (0 at the limit)."""
    sent = entries_counted(contest=contest, participant=participant).count()
    return max(0, contest.max_photos_per_participant - sent)


@dataclass(frozen=True)
class EntryState:
    code: str  # received, processing, pending, approved, refused, failed, withdrawn
    label: Promise
    detail: str
    final: bool  # nothing more will change without a person deciding

    @property
    def busy(self) -> bool:
        return self.code in ("received", "processing")


def entry_state(entry: Entry) -> EntryState:
    """What the participant is told about one entry."""
    if entry.withdrawn_at is not None:
        return EntryState("withdrawn", pgettext_lazy("a photo", "Withdrawn"), "", True)
    photo: Photo | None = getattr(entry, "photo", None)
    if photo is None or photo.status == Photo.Status.RECEIVED:
        return EntryState("received", _("Received"), "", False)
    if photo.status == Photo.Status.PROCESSING:
        return EntryState("processing", _("Being prepared"), "", False)
    if photo.status == Photo.Status.FAILED:
        detail = str(photo.get_failure_display()) if photo.failure else ""
        return EntryState("failed", _("Could not be used"), detail, True)
    if entry.moderation == Entry.Moderation.REFUSED:
        detail = entry.get_refusal_code_display() if entry.refusal_code else ""
        if entry.refusal_reason:
            detail = f"{detail} — {entry.refusal_reason}" if detail else entry.refusal_reason
        return EntryState("refused", _("Refused"), str(detail), True)
    if entry.moderation == Entry.Moderation.APPROVED:
        return EntryState("approved", _("Published"), "", True)
    return EntryState("pending", _("Waiting for moderation"), "", False)


def thumbs_of(entry: Entry) -> dict[str, Rendition]:
    photo = getattr(entry, "photo", None)
    return {r.format: r for r in getattr(photo, "thumbs", [])} if photo else {}


def contest_title_in(*, contest: Contest, language: str) -> str:
    """The contest's title in `language` (French where none was given), for a queued e-mail:
    its text is fixed when queued, maybe in a request made in another language."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(contest.title)


@dataclass(frozen=True)
class Use:
    code: str  # gallery, social, print: as contest.rights.USES and the URLs name them
    label: Promise
    allowed: bool


def uses_of(*, contest: Contest, participant: Participant) -> list[Use]:
    """The uses the contest asks for, each with whether the participant allows it."""
    enrollment = Enrollment.objects.filter(contest=contest, participant=participant).first()
    asked = [
        ("gallery", contest.asks_gallery_use, _("The public online gallery")),
        ("social", contest.asks_social_use, _("The network's social media accounts")),
        ("print", contest.asks_print_use, _("The cover of a printed timetable guide")),
    ]
    return [
        Use(code, label, bool(enrollment and getattr(enrollment, f"allows_{code}")))
        for code, asks, label in asked
        if asks
    ]
