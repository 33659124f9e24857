"""Deletes the originals past their contest's retention period (contest.retention)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from contest.retention import retention_run


class Command(BaseCommand):
    help = "Deletes the originals past their contest's retention period; logs the run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due without deleting it."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        run = retention_run(dry_run=dry_run)
        for item in run.removed:
            self.stdout.write(
                f"{'due' if dry_run else 'removed'}: entry {item['entry']} "
                f"(photo {item['photo']}, contest {item['contest']}, {item['reason']}) "
                f"{item['file']}"
            )
        verb = "due (dry run, nothing deleted)" if dry_run else "removed"
        self.stdout.write(f"{run.originals_removed} originals {verb}; run #{run.pk}")
