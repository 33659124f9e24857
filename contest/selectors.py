"""Reads for the contest pages, with the joins each page needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from contest.models import Contest, Enrollment, Entry, Participant
from gallery.models import Photo, Rendition


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


def enrollment_current(*, contest: Contest, participant: Participant) -> Enrollment | None:
    """The participant's consent to the contest's current rules, if given."""
    return Enrollment.objects.filter(
        contest=contest, participant=participant, rules_version=contest.rules_version
    ).first()


def entries_of_participant(*, contest: Contest, participant: Participant) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(contest=contest, participant=participant)
        .select_related("photo", "theme")
        .prefetch_related(
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec="thumb"),
                to_attr="thumbs",
            )
        )
    )


@dataclass(frozen=True)
class EntryState:
    code: str  # received, processing, pending, approved, refused, failed
    label: Promise
    detail: str
    final: bool  # nothing more will change without a person deciding

    @property
    def busy(self) -> bool:
        return self.code in ("received", "processing")


def entry_state(entry: Entry) -> EntryState:
    """What the participant is told about one entry."""
    photo: Photo | None = getattr(entry, "photo", None)
    if photo is None or photo.status == Photo.Status.RECEIVED:
        return EntryState("received", _("Received"), "", False)
    if photo.status == Photo.Status.PROCESSING:
        return EntryState("processing", _("Being prepared"), "", False)
    if photo.status == Photo.Status.FAILED:
        detail = str(photo.get_failure_display()) if photo.failure else ""
        return EntryState("failed", _("Could not be used"), detail, True)
    if entry.moderation == Entry.Moderation.REFUSED:
        return EntryState("refused", _("Refused"), entry.refusal_reason, True)
    if entry.moderation == Entry.Moderation.APPROVED:
        return EntryState("approved", _("Published"), "", True)
    return EntryState("pending", _("Waiting for moderation"), "", False)


def thumbs_of(entry: Entry) -> dict[str, Rendition]:
    photo = getattr(entry, "photo", None)
    return {r.format: r for r in getattr(photo, "thumbs", [])} if photo else {}
