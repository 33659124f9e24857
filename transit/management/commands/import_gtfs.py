"""Imports a GTFS feed (a .zip or a folder) into a network, and prints what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from transit.services import feed_import, network_get_or_create, summary_lines


class Command(BaseCommand):
    help = "Imports a GTFS feed (.zip or folder): creates or updates lines and stops in place."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the feed: a .zip file or a folder")
        parser.add_argument(
            "--network", help="the network's name (default: the file or folder name)"
        )

    def handle(self, *args: Any, path: Path, network: str | None, **options: Any) -> None:
        if not path.exists():
            raise CommandError(_("%(path)s: no such file or folder.") % {"path": path})
        name = network or path.stem
        try:
            target = network_get_or_create(name=name)
            summary = feed_import(source=path, network=target)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(_("Network “%(name)s”:") % {"name": target.name})
        for line in summary_lines(summary.as_dict()):
            self.stdout.write(f"  {line}")
