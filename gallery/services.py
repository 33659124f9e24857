"""Writes for photos: storing an original, making its renditions, finding forgotten work."""

from __future__ import annotations

import io
import logging
import re
import secrets
import shutil
import tempfile
import uuid
import zipfile
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage, storages
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from gallery import images
from gallery.models import Photo, Rendition, Vote

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from contest.models import Entry

logger = logging.getLogger(__name__)

ALL_RENDITIONS = frozenset(
    (spec.name, fmt) for spec in images.RENDITION_SPECS for fmt in spec.formats
)
_EXTENSIONS = {"webp": "webp", "jpeg": "jpg"}


class StorageUnavailable(Exception):
    """A transient storage error: the task retries later."""


def originals_storage() -> Storage:
    return storages["originals"]


def upload_policy() -> images.UploadPolicy:
    return images.UploadPolicy(
        max_bytes=settings.PHOTO_MAX_BYTES,
        max_pixels=settings.PHOTO_MAX_PIXELS,
        min_short_side=settings.PHOTO_MIN_SHORT_SIDE,
        formats=settings.PHOTO_ALLOWED_FORMATS,
    )


def photo_create(*, entry: Entry, upload: File, info: images.UploadInfo) -> Photo:
    """Stores the original privately under a name of ours and enqueues its processing.

    Call inside the entry's transaction: the task is sent only once it commits.
    """
    from gallery.tasks import process_photo

    public_id = uuid.uuid4()
    upload.seek(0)
    name = originals_storage().save(f"{public_id}.{info.extension}", upload)
    photo = Photo.objects.create(
        public_id=public_id,
        entry=entry,
        original=name,
        original_name=(upload.name or "")[:255],
        original_format=info.format,
        original_bytes=upload.size or 0,
    )
    process_photo.delay_on_commit(photo.pk)
    return photo


def photo_delete_original(*, name: str) -> None:
    try:
        originals_storage().delete(name)
    except Exception:  # cleanup after a failure must not hide the failure itself
        logger.exception("could not delete original %s", name)


def _fail(photo_id: int, failure: str) -> None:
    Photo.objects.filter(pk=photo_id).exclude(status=Photo.Status.READY).update(
        status=Photo.Status.FAILED, failure=failure, updated_at=timezone.now()
    )


def photo_process(*, photo_id: int) -> None:
    """Makes whatever the photo is missing; a second run after success does nothing.

    A file's own fault (corrupt, bomb) is a final, recorded failure; a storage hiccup raises
    StorageUnavailable so the task retries; after PHOTO_MAX_ATTEMPTS claims it gives up.
    """
    photo = Photo.objects.select_related("entry").filter(pk=photo_id).first()
    if photo is None or photo.status == Photo.Status.FAILED:
        return
    missing = ALL_RENDITIONS - set(photo.renditions.values_list("spec", "format"))
    if photo.status == Photo.Status.READY and not missing:
        return
    if photo.status != Photo.Status.READY:
        # The claim counts attempts in the database, so a job that kills its worker (and is
        # redelivered because of acks_late) cannot loop for ever.
        if photo.attempts >= settings.PHOTO_MAX_ATTEMPTS:
            _fail(photo_id, Photo.Failure.GAVE_UP)
            return
        claimed = Photo.objects.filter(
            pk=photo_id, status__in=(Photo.Status.RECEIVED, Photo.Status.PROCESSING)
        ).update(
            status=Photo.Status.PROCESSING,
            attempts=F("attempts") + 1,
            updated_at=timezone.now(),
        )
        if not claimed:
            return

    with tempfile.TemporaryFile() as local:
        try:
            with originals_storage().open(photo.original, "rb") as remote:
                shutil.copyfileobj(remote, local, 1024 * 1024)
        except FileNotFoundError:
            _fail(photo_id, Photo.Failure.MISSING)
            return
        except (OSError, BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(str(exc)) from exc
        local.seek(0)
        try:
            result = images.process_image(
                local, wanted=missing, policy=upload_policy(), rotation=photo.rotation
            )
        except images.ImageDecodeError as exc:
            _fail(photo_id, exc.code if exc.code in Photo.Failure.values else "corrupt")
            return

    for rendered in result.files:
        _rendition_save(photo, rendered)

    meta = result.metadata
    from gallery.selectors import renditions_hash

    Photo.objects.filter(pk=photo_id).update(
        renditions_hash=renditions_hash(Rendition.objects.filter(photo_id=photo_id)),
        status=Photo.Status.READY,
        failure="",
        width=meta.width,
        height=meta.height,
        taken_at=_aware(meta.taken_at),
        sha256=meta.sha256,
        phash=meta.phash,
        had_gps=meta.had_gps,
        processed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    from contest.services.moderation import contest_gallery_changed
    from contest.tasks import match_duplicates

    # New renditions change what an approval covers: cached gallery pages must not outlive it.
    contest_gallery_changed(contest_id=photo.entry.contest_id)

    # After the phash is saved: the matching reads it from the database.
    match_duplicates.delay_on_commit(photo.entry_id)


def photo_full_resolution(*, photo: Photo) -> tuple[bytes, str]:
    """The original for a moderator's eyes: as stored when browsers show it, else a JPEG.

    Raises images.ImageDecodeError when a HEIC/AVIF original cannot be decoded.
    """
    with originals_storage().open(photo.original, "rb") as original:
        mime = images.BROWSER_FORMATS.get(photo.original_format)
        if mime is not None:
            return original.read(), mime
        return images.full_size_jpeg(original, policy=upload_policy()), "image/jpeg"


def photo_reprocess(*, photo: Photo, rotation: int) -> None:
    """Drops the renditions and makes them again (turned by `rotation`), from scratch."""
    from gallery.tasks import process_photo

    old = list(photo.renditions.values_list("file", flat=True))
    photo.renditions.all().delete()
    Photo.objects.filter(pk=photo.pk).update(
        rotation=rotation,
        renditions_hash="",
        status=Photo.Status.RECEIVED,
        failure="",
        attempts=0,
        updated_at=timezone.now(),
    )
    photo.refresh_from_db()

    def delete_files() -> None:
        for name in old:
            try:
                default_storage.delete(name)
            except (OSError, BotoCoreError, ClientError):
                logger.warning("could not delete rendition %s", name)

    transaction.on_commit(delete_files)
    process_photo.delay_on_commit(photo.pk)


def _rendition_save(photo: Photo, rendered: images.RenderedFile) -> None:
    # A random part in the name: a rendition made again (e.g. after a rotation) gets a new
    # URL, so caches and CDNs never serve the old pixels.
    name = (
        f"renditions/{photo.public_id}/{rendered.spec}-{secrets.token_hex(4)}"
        f".{_EXTENSIONS[rendered.format]}"
    )
    try:
        name = default_storage.save(name, ContentFile(rendered.data))
    except (OSError, BotoCoreError, ClientError) as exc:
        raise StorageUnavailable(str(exc)) from exc
    try:
        with transaction.atomic():
            Rendition.objects.create(
                photo=photo,
                spec=rendered.spec,
                format=rendered.format,
                file=name,
                width=rendered.width,
                height=rendered.height,
                bytes=len(rendered.data),
            )
    except IntegrityError:
        # Another run made this one first: keep theirs, drop our file.
        default_storage.delete(name)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or timezone.is_aware(value):
        return value
    # EXIF times without an offset are the camera's wall clock: assume the contest's zone.
    return timezone.make_aware(value)


def photos_requeue_stuck() -> int:
    """Re-enqueues photos that waited too long (a lost message); the database is the truth."""
    from gallery.tasks import process_photo

    now = timezone.now()
    stuck = Photo.objects.filter(
        status__in=(Photo.Status.RECEIVED, Photo.Status.PROCESSING),
        updated_at__lt=now - settings.PHOTO_STUCK_AFTER,
    )
    count = 0
    for photo_id, attempts in stuck.values_list("pk", "attempts"):
        if attempts >= settings.PHOTO_MAX_ATTEMPTS:
            _fail(photo_id, Photo.Failure.GAVE_UP)
            continue
        # Touch it so the next sweep leaves it alone while it waits in the queue.
        Photo.objects.filter(pk=photo_id).update(updated_at=now)
        process_photo.delay_on_commit(photo_id)
        count += 1
    return count


class VoteRefused(Exception):
    """Votes are closed, or too many votes came from this voter or address."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def vote_cast(*, entry: Entry, user: User, ip_address: str | None) -> bool:
    """Records a "coup de cœur"; True if it is new. A repeated vote changes nothing.

    The unique constraint decides between simultaneous identical votes, and the count only
    moves for the one insert that succeeded.
    """
    from django.utils.translation import gettext as _

    from contest.network import network_hash, rate_limit_hit

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
            type(entry).objects.filter(pk=entry.pk).update(vote_count=F("vote_count") + 1)
    except IntegrityError:
        return False
    return True


# --- the community manager's social kit --------------------------------------------------


class SocialKitUnavailable(Exception):
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
    from contest.models import Enrollment

    allowed = Enrollment.objects.filter(
        contest_id=entry.contest_id, participant_id=entry.participant_id, allows_social=True
    ).exists()
    if not allowed:
        raise SocialKitUnavailable("the participant did not allow social media")
    photo = entry.photo
    try:
        with originals_storage().open(photo.original, "rb") as original:
            result = images.process_image(
                original,
                specs=images.SOCIAL_SPECS,
                policy=upload_policy(),
                rotation=photo.rotation,
            )
    except FileNotFoundError as exc:
        raise SocialKitUnavailable("the original is missing") from exc
    except images.ImageDecodeError as exc:
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
