"""Counts a contest's dashboard summary again from scratch, now (dashboard.services)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contest.models import Contest
from dashboard.services import summary_refresh


class Command(BaseCommand):
    help = (
        "Counts the dashboard's figures of a contest again from scratch (the beat job then "
        "keeps them every minute)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="+", help="The contests' slugs.")

    def handle(self, *args: Any, slug: list[str], **options: Any) -> None:
        for one in slug:
            contest = Contest.objects.filter(slug=one).first()
            if contest is None:
                raise CommandError(f"There is no contest {one!r}.")
            state = summary_refresh(contest_id=contest.pk, full=True)
            entries = state.entries if state else 0
            self.stdout.write(f"{one}: {entries} entries counted, as of {state and state.as_of}")
