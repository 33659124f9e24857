"""Writes for photos: storing an original, making its renditions, finding forgotten work.

Nothing here knows of contests. The apps above learn that a photo became ready through a
hook they register at start-up (`on_photo_ready`): the worker calls them in the same
process, right after the photo's row says "ready", so the moderation queue's duplicate
warnings and the gallery's cache version follow at once rather than at the next beat tick.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage, storages
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from photos import imaging, tasks
from photos.errors import StorageUnavailable
from photos.models import Photo, Rendition
from photos.selectors import renditions_hash

logger = logging.getLogger(__name__)

ALL_RENDITIONS = frozenset(
    (spec.name, fmt) for spec in imaging.RENDITION_SPECS for fmt in spec.formats
)
_EXTENSIONS = {"webp": "webp", "jpeg": "jpg"}


def originals_storage() -> Storage:
    return storages["originals"]


PhotoReadyHook = Callable[[int], None]
_ready_hooks: list[PhotoReadyHook] = []


def on_photo_ready(hook: PhotoReadyHook) -> PhotoReadyHook:
    """Registers `hook(photo_id)`, called after a photo's renditions are (re)made.

    Called from AppConfig.ready() of the apps above this one; a hook runs inside the
    worker's job, so it must be quick (enqueue, or one UPDATE) and idempotent.
    """
    if hook not in _ready_hooks:
        _ready_hooks.append(hook)
    return hook


def upload_policy() -> imaging.UploadPolicy:
    return imaging.UploadPolicy(
        max_bytes=settings.PHOTO_MAX_BYTES,
        max_pixels=settings.PHOTO_MAX_PIXELS,
        min_short_side=settings.PHOTO_MIN_SHORT_SIDE,
        formats=settings.PHOTO_ALLOWED_FORMATS,
        max_pixels_by_format=(("WEBP", settings.PHOTO_MAX_PIXELS_WEBP),),
    )


def photo_create(*, upload: File, info: imaging.UploadInfo) -> Photo:
    """Stores the original privately under a name of ours and enqueues its processing.

    Call inside the caller's transaction: the task is sent only once it commits. The
    original's name is random and unrelated to the public id, so knowing a photo's public
    page tells nothing of where its original lies.
    """
    upload.seek(0)
    name = originals_storage().save(f"{uuid.uuid4().hex}.{info.extension}", upload)
    photo = Photo.objects.create(
        original=name,
        original_name=(upload.name or "")[:255],
        original_format=info.format,
        original_bytes=upload.size or 0,
    )
    tasks.process_photo.delay_on_commit(photo.pk)
    return photo


def photo_delete_original(*, name: str) -> None:
    try:
        originals_storage().delete(name)
    except Exception:  # cleanup after a failure must not hide the failure itself
        logger.exception("could not delete original %s", name)


def photo_erase(*, photo_id: int) -> None:
    """Deletes a photo's original and renditions for good (a participant withdrew it).

    The row stays, emptied and marked failed so the worker never touches it again; the
    files go once the caller's transaction commits, so a rollback leaves them in place.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return
    renditions = list(photo.renditions.values_list("file", flat=True))
    original = photo.original
    photo.renditions.all().delete()
    Photo.objects.filter(pk=photo_id).update(
        original="",
        renditions_hash="",
        phash="",
        sha256="",
        status=Photo.Status.FAILED,
        failure=Photo.Failure.MISSING,
        updated_at=timezone.now(),
    )

    def delete_files() -> None:
        for name in renditions:
            try:
                default_storage.delete(name)
            except (OSError, BotoCoreError, ClientError):
                logger.warning("could not delete rendition %s", name)
        if original:
            photo_delete_original(name=original)

    transaction.on_commit(delete_files)


def _fail(photo_id: int, failure: str) -> None:
    Photo.objects.filter(pk=photo_id).exclude(status=Photo.Status.READY).update(
        status=Photo.Status.FAILED, failure=failure, updated_at=timezone.now()
    )


def photo_process(*, photo_id: int) -> None:
    """Makes whatever the photo is missing; a second run after success does nothing.

    A file's own fault (corrupt, bomb) is a final, recorded failure; a storage hiccup raises
    StorageUnavailable so the task retries later. Attempts count only the runs that could
    have been the photo's fault: a storage error gives its attempt back, so a storage outage
    never turns good photos into failures (after PHOTO_MAX_ATTEMPTS real tries it gives up).
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or photo.status == Photo.Status.FAILED:
        return
    missing = ALL_RENDITIONS - set(photo.renditions.values_list("spec", "format"))
    if photo.status == Photo.Status.READY and not missing:
        return
    if not photo.original:
        # Its original was deleted (retention, storage audit): nothing can be made again.
        _fail(photo_id, Photo.Failure.MISSING)
        return
    claimed = photo.status != Photo.Status.READY
    if claimed and not _claim(photo):
        return
    try:
        _make(photo, missing)
    except StorageUnavailable:
        if claimed:
            # Back to "received" with its attempt returned: the retry (or, once the task's
            # retries are spent, the stuck-photo sweep) starts it again.
            Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).update(
                status=Photo.Status.RECEIVED,
                attempts=F("attempts") - 1,
                updated_at=timezone.now(),
            )
        raise


def _claim(photo: Photo) -> bool:
    # The claim counts attempts in the database, so a job that kills its worker (and is
    # redelivered because of acks_late) cannot loop for ever.
    if photo.attempts >= settings.PHOTO_MAX_ATTEMPTS:
        _fail(photo.pk, Photo.Failure.GAVE_UP)
        return False
    return bool(
        Photo.objects.filter(
            pk=photo.pk, status__in=(Photo.Status.RECEIVED, Photo.Status.PROCESSING)
        ).update(
            status=Photo.Status.PROCESSING,
            attempts=F("attempts") + 1,
            updated_at=timezone.now(),
        )
    )


def _make(photo: Photo, missing: frozenset[tuple[str, str]] | set[tuple[str, str]]) -> None:
    photo_id = photo.pk
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
            result = imaging.process_image(
                local, wanted=missing, policy=upload_policy(), rotation=photo.rotation
            )
        except imaging.ImageDecodeError as exc:
            _fail(photo_id, exc.code if exc.code in Photo.Failure.values else "corrupt")
            return

    for rendered in result.files:
        _rendition_save(photo, rendered)

    meta = result.metadata
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
    # After the row says "ready" (with its phash and renditions hash): the hooks read it.
    for hook in _ready_hooks:
        hook(photo_id)


def photo_full_resolution(*, photo: Photo, strip_metadata: bool = False) -> tuple[bytes, str]:
    """The original for a moderator's eyes: as stored when browsers show it, else a JPEG.

    With `strip_metadata` (the jury's blind view) always a JPEG made from the pixels: a
    camera writes the photographer's name into EXIF, which the stored original keeps.
    Raises imaging.ImageDecodeError when a HEIC/AVIF original cannot be decoded, and
    FileNotFoundError when there is no original (lost, or deleted by the retention).
    """
    if not photo.original:
        # Opening "" would open the storage's own folder (IsADirectoryError), not a 404.
        raise FileNotFoundError(f"photo {photo.pk} has no original")
    with originals_storage().open(photo.original, "rb") as original:
        mime = imaging.BROWSER_FORMATS.get(photo.original_format)
        if mime is not None and not strip_metadata:
            return original.read(), mime
        return imaging.full_size_jpeg(original, policy=upload_policy()), "image/jpeg"


def photo_reprocess(*, photo: Photo, rotation: int) -> None:
    """Drops the renditions and makes them again (turned by `rotation`), from scratch."""
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
    tasks.process_photo.delay_on_commit(photo.pk)


def _rendition_save(photo: Photo, rendered: imaging.RenderedFile) -> None:
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
    """Sends again the photos whose message was lost; the database is the truth.

    A photo still "processing" well past the task's time limit lost its worker (killed, or
    its machine gone): it is sent again. A photo still "received" was never started, which
    is also what a photo waiting its turn behind a backlog looks like: sending those again
    only lengthens the backlog (issue 12: 125, then 206, under a 552-message queue). So the
    broker is asked how many messages wait in the photos' queue: each may be one of these
    photos', so only the photos beyond that many can have lost theirs. The oldest of them
    go, since the queue is first in, first out; with no backlog, every stale one goes. The
    others wait for the next sweep. When the broker cannot be asked, nothing is sent (it
    could not be anyway) and the next sweep tries again.
    """
    # Counted before the rows are read: a photo taken from the queue in between is counted
    # but no longer "received", which errs towards sending fewer.
    waiting = _photo_jobs_waiting()
    if waiting is None:
        return 0
    now = timezone.now()
    stale_before = now - settings.PHOTO_STUCK_AFTER
    stale = Photo.objects.filter(updated_at__lt=stale_before).values_list("pk", "attempts")
    dead = stale.filter(status=Photo.Status.PROCESSING).order_by("updated_at", "pk")
    newest_first = stale.filter(status=Photo.Status.RECEIVED).order_by("-updated_at", "-pk")
    lost = list(newest_first[waiting:])[::-1]  # sent oldest first, as they came
    count = 0
    for status, photos in ((Photo.Status.PROCESSING, dead), (Photo.Status.RECEIVED, lost)):
        for photo_id, attempts in photos:
            if attempts >= settings.PHOTO_MAX_ATTEMPTS:
                _fail(photo_id, Photo.Failure.GAVE_UP)
                continue
            # Touched so the next sweeps leave it alone while its new message waits; only if
            # no worker took it meanwhile, which would make this message a needless second.
            if Photo.objects.filter(pk=photo_id, status=status, updated_at__lt=stale_before).update(
                updated_at=now
            ):
                tasks.process_photo.delay_on_commit(photo_id)
                count += 1
    if count:
        logger.info("sent %d stuck photos again (%d jobs were waiting)", count, waiting)
    return count


def _photo_jobs_waiting() -> int | None:
    """Messages waiting in the queue of the photos' task, or None if the broker won't say.

    Waiting only: the ones a worker holds (started, or a retry's countdown) are not counted.
    """
    task = tasks.process_photo
    queue = task.app.amqp.router.route({}, task.name)["queue"].name
    with task.app.connection_for_read() as connection:
        try:
            # One attempt (kombu would otherwise retry for ever); Redis refuses at once.
            connection.ensure_connection(max_retries=0)
            # Not passive: an empty queue is no Redis key at all, which a passive declare
            # reports as a missing queue. Redis and the filesystem broker create nothing.
            declared = connection.default_channel.queue_declare(queue=queue)
        except (
            KombuOperationalError,
            OSError,
            *connection.connection_errors,
            *connection.channel_errors,
        ):
            logger.warning("stuck photos: the broker did not answer; none sent", exc_info=True)
            return None
    return int(declared.message_count)
