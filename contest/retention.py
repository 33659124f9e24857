"""Retention: the full-size originals the contest no longer needs are deleted on schedule.

Each contest sets (and its rules page states) two periods: a refused photo's original goes
`refused_originals_days` after the refusal; once the contest is archived, the original of
every photo not chosen for a cover goes `non_winner_originals_months` later. Only originals
go: the renditions stay, so an approved photo remains in the gallery where its author
allowed it, and a refused one can still be looked at again by a moderator.

Which entries won is known by covers, above this app: it registers a hook at start-up
(`on_retention_keep`). A run is idempotent (a purged photo's row no longer names a file),
deletes files only once its transaction commits, and leaves a RetentionRun row.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from contest.models import Contest, Entry, RetentionRun
from photos.models import Photo
from photos.services import photo_delete_original

logger = logging.getLogger(__name__)


class Reason:
    REFUSED = "refused"
    NOT_WINNER = "not_winner"


KeepHook = Callable[[int], Iterable[int]]
_keep_hooks: list[KeepHook] = []


def on_retention_keep(hook: KeepHook) -> KeepHook:
    """Registers `hook(contest_id)`, returning the ids of entries whose original must stay
    (a cover's winners). Called from AppConfig.ready() of the apps above this one."""
    if hook not in _keep_hooks:
        _keep_hooks.append(hook)
    return hook


def months_before(moment: datetime, months: int) -> datetime:
    """`moment` minus whole calendar months, the day clamped to the shorter month's end."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def contests_stamp_archived(*, now: datetime) -> int:
    """Dates the archiving of contests newly seen archived; forgets it if one was reopened.

    The status is set in the admin; the daily run is what notices it, so the clock starts
    at most a day late, never early.
    """
    Contest.objects.exclude(status=Contest.Status.ARCHIVED).filter(
        archived_at__isnull=False
    ).update(archived_at=None)
    return Contest.objects.filter(status=Contest.Status.ARCHIVED, archived_at=None).update(
        archived_at=now
    )


def _kept(contest_id: int) -> set[int]:
    kept: set[int] = set()
    for hook in _keep_hooks:
        kept.update(hook(contest_id))
    return kept


def retention_due(*, now: datetime) -> list[dict[str, Any]]:
    """The originals due for deletion at `now`: one dict per entry (see RetentionRun)."""
    due: dict[int, dict[str, Any]] = {}
    held = Entry.objects.exclude(photo__original="").select_related("photo")
    for contest in Contest.objects.only(
        "pk", "refused_originals_days", "non_winner_originals_months", "archived_at"
    ):
        refused = held.filter(
            contest=contest,
            moderation=Entry.Moderation.REFUSED,
            decided_at__lte=now - timedelta(days=contest.refused_originals_days),
        )
        for entry in refused:
            due[entry.pk] = _item(entry, Reason.REFUSED)
        if contest.archived_at is None or contest.archived_at > months_before(
            now, contest.non_winner_originals_months
        ):
            continue
        kept = _kept(contest.pk)
        for entry in held.filter(contest=contest).exclude(pk__in=kept):
            due.setdefault(entry.pk, _item(entry, Reason.NOT_WINNER))
    return sorted(due.values(), key=lambda item: item["entry"])


def _item(entry: Entry, reason: str) -> dict[str, Any]:
    return {
        "entry": entry.pk,
        "photo": entry.photo_id,
        "contest": entry.contest_id,
        "reason": reason,
        "file": entry.photo.original,
    }


def retention_run(*, now: datetime | None = None, dry_run: bool = False) -> RetentionRun:
    """Deletes the originals that are due (or, with `dry_run`, only lists them) and logs it.

    Each photo is claimed by a conditional UPDATE on the key it still names: of two runs at
    once only one deletes a given file, and a second run finds nothing left to do.
    """
    now = now or timezone.now()
    run = RetentionRun.objects.create(started_at=timezone.now(), dry_run=dry_run)
    if not dry_run:
        contests_stamp_archived(now=now)
    due = retention_due(now=now)
    removed = []
    with transaction.atomic():
        for item in due:
            if not dry_run:
                claimed = Photo.objects.filter(pk=item["photo"], original=item["file"]).update(
                    original="", updated_at=timezone.now()
                )
                if not claimed:
                    continue
                # A deletion that fails is logged and leaves an orphan: the storage audit
                # (photos.audit) finds it and deletes it.
                transaction.on_commit(partial(photo_delete_original, name=item["file"]))
            removed.append(item)
        RetentionRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), originals_removed=len(removed), removed=removed
        )
    run.refresh_from_db()
    logger.info(
        "retention: %s originals %s", len(removed), "due (dry run)" if dry_run else "removed"
    )
    return run
