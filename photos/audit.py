"""The storage audit: do the photo rows and the stored files agree?

Two ways to disagree: a file no row points at (an orphan: a crash between storing and
recording, a deletion that failed), and a row pointing at a file that is gone. Only the
photos' own part of each storage is looked at: the originals at the root of the originals
storage (covers' files and GTFS feeds live in folders of their own there) and the
renditions in `renditions/<photo public id>/` of the media storage (the gallery keeps its
share images in another folder of `renditions/`).

With `repair`, orphans older than the grace period are deleted (younger ones may be an
upload whose row is not committed yet), a lost rendition's row is deleted and the worker
asked to make what is missing, and a lost original is forgotten by its row: marked failed
when the photo was not ready yet, as the worker would; a ready photo keeps its renditions,
like one whose original the retention removed.
"""

from __future__ import annotations

import logging
import posixpath
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils import timezone

from photos import tasks
from photos.models import Photo, Rendition
from photos.services import originals_storage, photo_delete_original

logger = logging.getLogger(__name__)

ORPHAN_GRACE = timedelta(hours=1)
RENDITIONS_DIR = "renditions"


@dataclass
class StorageAudit:
    """What the audit found and, with repair, what it did."""

    orphan_originals: list[str] = field(default_factory=list)
    orphan_renditions: list[str] = field(default_factory=list)
    # Orphans younger than the grace period: reported, never deleted.
    recent_orphans: list[str] = field(default_factory=list)
    # (photo id, storage key) of rows whose file is gone.
    missing_originals: list[tuple[int, str]] = field(default_factory=list)
    missing_renditions: list[tuple[int, str]] = field(default_factory=list)
    repaired: bool = False
    files_deleted: int = 0
    photos_marked: int = 0
    renditions_dropped: int = 0
    # Renditions lost with no original left to make them from: reported, rows kept.
    renditions_unrepairable: list[tuple[int, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.orphan_originals
            or self.orphan_renditions
            or self.missing_originals
            or self.missing_renditions
        )


def _s3_files(storage: Storage, folder: str, *, recursive: bool) -> dict[str, datetime | None]:
    # One paginated listing for the whole folder (listdir would ask once per photo folder),
    # with each object's date in it.
    location = getattr(storage, "location", "") or ""
    prefix = posixpath.join(location, folder, "") if folder else (location and location + "/")
    client = storage.connection.meta.client  # type: ignore[attr-defined]
    params = {"Bucket": storage.bucket_name, "Prefix": prefix}  # type: ignore[attr-defined]
    if not recursive:
        params["Delimiter"] = "/"
    files: dict[str, datetime | None] = {}
    for page in client.get_paginator("list_objects_v2").paginate(**params):
        for item in page.get("Contents", ()):
            if item["Key"].endswith("/"):
                continue
            name = posixpath.relpath(item["Key"], location) if location else item["Key"]
            files[name] = item["LastModified"]
    return files


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(folder, name) if folder else name
    for directory in directories:
        yield from _walk(storage, posixpath.join(folder, directory) if folder else directory)


def _files(storage: Storage, folder: str, *, recursive: bool) -> dict[str, datetime | None]:
    """Names of the files in `folder` (with their date when the listing gives it)."""
    if hasattr(storage, "bucket_name"):
        return _s3_files(storage, folder, recursive=recursive)
    if recursive:
        return dict.fromkeys(_walk(storage, folder))
    try:
        _directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return {}
    return dict.fromkeys(posixpath.join(folder, name) if folder else name for name in files)


def _is_rendition_key(name: str) -> bool:
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != RENDITIONS_DIR:
        return False
    try:
        uuid.UUID(parts[1])
    except ValueError:
        return False
    return True


def _old_enough(storage: Storage, name: str, listed: datetime | None, *, before: datetime) -> bool:
    modified = listed or storage.get_modified_time(name)
    if timezone.is_naive(modified):
        modified = timezone.make_aware(modified)
    return modified < before


def storage_audit(
    *, repair: bool = False, now: datetime | None = None, grace: timedelta = ORPHAN_GRACE
) -> StorageAudit:
    """Compares the photo rows with the stored files; with `repair`, puts them back in step.

    The files are listed before the rows are read, and every finding is checked again
    before it is acted on, so a photo stored or deleted meanwhile is not taken for an error.
    """
    now = now or timezone.now()
    before = now - grace
    report = StorageAudit(repaired=repair)
    originals = originals_storage()

    stored_originals = _files(originals, "", recursive=False)
    stored_renditions = {
        name: modified
        for name, modified in _files(default_storage, RENDITIONS_DIR, recursive=True).items()
        if _is_rendition_key(name)
    }
    known_originals = dict(
        Photo.objects.exclude(original="").values_list("original", "pk").iterator()
    )
    known_renditions = {
        name: (pk, photo_id)
        for pk, photo_id, name in Rendition.objects.values_list("pk", "photo_id", "file")
    }

    for name, listed in sorted(stored_originals.items()):
        if name in known_originals or Photo.objects.filter(original=name).exists():
            continue
        if _old_enough(originals, name, listed, before=before):
            report.orphan_originals.append(name)
        else:
            report.recent_orphans.append(name)
    for name, listed in sorted(stored_renditions.items()):
        if name in known_renditions or Rendition.objects.filter(file=name).exists():
            continue
        if _old_enough(default_storage, name, listed, before=before):
            report.orphan_renditions.append(name)
        else:
            report.recent_orphans.append(name)

    for name, photo_id in sorted(known_originals.items(), key=lambda pair: pair[1]):
        if name not in stored_originals and not originals.exists(name):
            report.missing_originals.append((photo_id, name))
    lost_renditions: list[tuple[int, int, str]] = []
    for name, (pk, photo_id) in sorted(known_renditions.items(), key=lambda pair: pair[1]):
        if name not in stored_renditions and not default_storage.exists(name):
            report.missing_renditions.append((pk, name))
            lost_renditions.append((pk, photo_id, name))

    if repair:
        _repair(report, lost_renditions)
    return report


def _repair(report: StorageAudit, lost_renditions: list[tuple[int, int, str]]) -> None:
    for name in report.orphan_originals:
        # A row may have claimed the name since it was listed: then it is no orphan.
        if not Photo.objects.filter(original=name).exists():
            photo_delete_original(name=name)
            report.files_deleted += 1
    for name in report.orphan_renditions:
        if not Rendition.objects.filter(file=name).exists():
            default_storage.delete(name)
            report.files_deleted += 1

    with transaction.atomic():
        for photo_id, name in report.missing_originals:
            photo = Photo.objects.filter(pk=photo_id, original=name).first()
            if photo is None:
                continue
            changes: dict[str, object] = {
                "original": "",
                "failure": Photo.Failure.MISSING,
                "updated_at": timezone.now(),
            }
            if photo.status != Photo.Status.READY:
                changes["status"] = Photo.Status.FAILED
            report.photos_marked += Photo.objects.filter(pk=photo_id, original=name).update(
                **changes
            )
            logger.warning("storage audit: original %s of photo %s is lost", name, photo_id)

        with_original = set(
            Photo.objects.filter(pk__in={photo_id for _pk, photo_id, _name in lost_renditions})
            .exclude(original="")
            .values_list("pk", flat=True)
        )
        requeue = set()
        for pk, photo_id, name in lost_renditions:
            if photo_id not in with_original:
                report.renditions_unrepairable.append((pk, name))
                continue
            report.renditions_dropped += Rendition.objects.filter(pk=pk, file=name).delete()[0]
            requeue.add(photo_id)
        for photo_id in sorted(requeue):
            # The worker makes what is missing: the rows just dropped.
            tasks.process_photo.delay_on_commit(photo_id)
