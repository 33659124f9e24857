"""Writes of the public side: votes, and the community manager's social kits."""

from __future__ import annotations

import io
import re
import uuid
import zipfile

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from contest.models import Enrollment, Entry
from core.errors import ApplicationError
from core.network import network_hash, rate_limit_hit
from gallery.models import Vote
from photos import imaging
from photos.services import originals_storage, upload_policy


class VoteRefused(ApplicationError):
    """Votes are closed, or too many votes came from this voter or address."""


def vote_cast(*, entry: Entry, user: User, ip_address: str | None) -> bool:
    """Records a "coup de cœur"; True if it is new. A repeated vote changes nothing.

    The unique constraint decides between simultaneous identical votes, and the count only
    moves for the one insert that succeeded.
    """
    if not entry.contest.votes_open:
        raise VoteRefused(_("Votes are closed."))
    ip_hash = network_hash(ip_address=ip_address)
    if rate_limit_hit(f"vote:user:{user.pk}", settings.VOTES_PER_HOUR) or (
        ip_hash and rate_limit_hit(f"vote:ip:{ip_hash}", settings.VOTES_PER_HOUR_PER_ADDRESS)
    ):
        raise VoteRefused(_("Too many votes in a short time: try again in an hour."))
    try:
        with transaction.atomic():
            Vote.objects.create(entry=entry, user=user, ip_hash=ip_hash)
            Entry.objects.filter(pk=entry.pk).update(vote_count=F("vote_count") + 1)
    except IntegrityError:
        return False
    return True


# --- the community manager's social kit --------------------------------------------------


class SocialKitUnavailable(ApplicationError):
    """The participant did not allow social media, or the original cannot be read."""


def social_hashtag(slug: str) -> str:
    """The contest's hashtag: "couvertures-2027" gives "#Couvertures2027".

    Hyphens go, since a hashtag ends at the first one; capitals keep the words readable.
    """
    words = [word for word in re.split(r"[^0-9A-Za-z]+", slug) if word]
    tag = "".join(word[:1].upper() + word[1:] for word in words)
    # The networks do not link a tag made of digits only.
    return f"#{tag}" if tag and not tag.isdigit() else ""


def social_caption(
    *, title: str, caption: str, credit: str, contest_title: str, url: str, slug: str
) -> str:
    """The ready-to-post text of the social kit.

    In French whatever the staff member's language: it is written for the operator's
    French-speaking audience, not for the person who downloads it.
    """
    lines = [title, caption, ""]
    if credit:
        lines.append(f"Photo : {credit}")
    lines += [contest_title, url]
    hashtag = social_hashtag(slug)
    if hashtag:
        lines += ["", hashtag]
    return "\n".join(lines) + "\n"


def social_kit_stem(*, slug: str, public_id: uuid.UUID) -> str:
    """The start of the kit's file names: chosen here, never from what the rider sent."""
    return f"{slug}-{public_id.hex[:8]}"


def photo_social_kit(*, entry: Entry) -> bytes:
    """A zip of the photo cut for the social networks (square, portrait, story) and its
    caption, for an entry the caller found public.

    The crops are made from the original: a 1080x1920 story cut from the 1600 px display
    rendition of a landscape photo would be upscaled. Like every rendition they are new
    images, so no EXIF or GPS data of the original goes with them. Raises
    SocialKitUnavailable unless the participant allowed social media for this contest.
    """
    allowed = Enrollment.objects.filter(
        contest_id=entry.contest_id, participant_id=entry.participant_id, allows_social=True
    ).exists()
    if not allowed:
        raise SocialKitUnavailable("the participant did not allow social media")
    photo = entry.photo
    try:
        with originals_storage().open(photo.original, "rb") as original:
            result = imaging.process_image(
                original,
                specs=imaging.SOCIAL_SPECS,
                policy=upload_policy(),
                rotation=photo.rotation,
            )
    except FileNotFoundError as exc:
        raise SocialKitUnavailable("the original is missing") from exc
    except imaging.ImageDecodeError as exc:
        raise SocialKitUnavailable(str(exc)) from exc

    stem = social_kit_stem(slug=entry.contest.slug, public_id=photo.public_id)
    text = social_caption(
        title=entry.title,
        caption=entry.caption,
        credit=entry.participant.credit_name,
        contest_title=entry.contest.title,
        url=settings.SITE_URL + reverse("gallery:photo", args=[photo.public_id]),
        slug=entry.contest.slug,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rendered in result.files:
            # JPEG data does not shrink further: stored as is, so unzipping costs nothing.
            archive.writestr(
                f"{stem}-{rendered.spec}.jpg", rendered.data, compress_type=zipfile.ZIP_STORED
            )
        archive.writestr("legende.txt", text.encode(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
