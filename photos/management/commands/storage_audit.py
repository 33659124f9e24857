"""Checks that the photo rows and the stored files agree (photos.audit)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from photos.audit import ORPHAN_GRACE, storage_audit


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

    def handle(self, *args: Any, repair: bool = False, **options: Any) -> None:
        report = storage_audit(repair=repair)
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
