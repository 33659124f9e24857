"""Checks that the photo rows and the stored files agree (photos.audit)."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import Storage, default_storage
from django.core.management.base import BaseCommand, CommandParser

from photos.audit import ORPHAN_GRACE, RENDITIONS_DIR, StorageAudit, storage_audit
from photos.services import originals_storage


def file_place(storage: Storage, name: str) -> str:
    """Where a storage keeps `name`: s3://bucket/key on S3, else the file's path."""
    bucket = getattr(storage, "bucket_name", None)
    if bucket is None:
        return storage.path(name)
    location = (getattr(storage, "location", "") or "").strip("/")
    return f"s3://{bucket}/{location + '/' if location else ''}{name}"


class Command(BaseCommand):
    help = (
        "Lists stored photo files no row points at, and rows whose file is gone. "
        "With --repair, deletes orphans older than an hour and repairs the rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Delete old orphan files; drop lost renditions (they are made again) and "
            "mark lost originals.",
        )
        parser.add_argument(
            "--keys",
            action="store_true",
            help="Also print where each missing and orphan file is (s3://bucket/key, or a "
            "path): what deploy/restore.py reads after a restore.",
        )

    def handle(self, *args: Any, repair: bool = False, keys: bool = False, **options: Any) -> None:
        report = storage_audit(repair=repair)
        if keys:
            # Before any repair's deletions are reported: the places as the audit found them.
            self._print_keys(report)
        lines = [
            *(f"orphan original: {name}" for name in report.orphan_originals),
            *(f"orphan rendition: {name}" for name in report.orphan_renditions),
            *(
                f"recent file without a row (under {ORPHAN_GRACE}, left alone): {name}"
                for name in report.recent_orphans
            ),
            *(
                f"missing original: photo {photo_id} {name}"
                for photo_id, name in report.missing_originals
            ),
            *(f"missing rendition: #{pk} {name}" for pk, name in report.missing_renditions),
        ]
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(
            f"{len(report.orphan_originals) + len(report.orphan_renditions)} orphan files, "
            f"{len(report.missing_originals) + len(report.missing_renditions)} rows "
            "pointing at a missing file"
        )
        if repair:
            for pk, name in report.renditions_unrepairable:
                self.stdout.write(
                    f"rendition #{pk} {name} kept: its photo has no original to make it again"
                )
            self.stdout.write(
                f"repaired: {report.files_deleted} files deleted, {report.photos_marked} "
                f"photos marked, {report.renditions_dropped} renditions to make again"
            )

    def _print_keys(self, report: StorageAudit) -> None:
        originals = originals_storage()
        for _photo_id, name in report.missing_originals:
            self.stdout.write(f"missing key: {file_place(originals, name)}")
        for _pk, name in report.missing_renditions:
            self.stdout.write(f"missing key: {file_place(default_storage, name)}")
        for name in report.orphan_originals:
            self.stdout.write(f"orphan key: {file_place(originals, name)}")
        for name in report.orphan_renditions:
            self.stdout.write(f"orphan key: {file_place(default_storage, name)}")
        for name in report.recent_orphans:
            storage = default_storage if name.startswith(f"{RENDITIONS_DIR}/") else originals
            self.stdout.write(f"orphan key: {file_place(storage, name)}")
