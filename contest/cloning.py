""" "New contest from this one": next year's campaign as a draft copy of this year's.

The contest's own settings are copied here: its texts in every language, themes, the uses
it asks for, limits, retention, staff exclusion, network and branding (the image files
copied in storage, not shared: deleting or replacing last year's logo leaves this year's).
What the apps above contest set up per contest (the covers' guides, the jury's criteria) is
copied by the hooks they register at start-up (`on_contest_cloned`). Nothing a person sent
or decided is copied: no entries, participants, consents, votes, rounds or picks.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contest.models import Contest, Theme
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

# The contest's columns that are not settings: its identity, dates and state, counters and
# stamps of its own life. Every other column is copied, so a setting added later is copied
# without anyone remembering to (tests/contest/test_cloning.py lists them all).
NOT_COPIED = frozenset(
    {
        "id",
        "slug",
        "opens_at",
        "closes_at",
        "status",
        "gallery_version",
        "shuffle_serial",
        "archived_at",
        "created_at",
    }
)
# Copied as files of their own, under new keys.
FILE_FIELDS = ("brand_logo", "brand_header", "brand_header_small")


class CloneRefused(ApplicationError):
    """The new contest cannot be made as asked (dates, slug)."""


@dataclass
class CloneContext:
    """What a hook is given: the source, its new copy (saved), who asked, and a way to copy
    a stored file that is undone if the clone fails."""

    source: Contest
    copy: Contest
    by: AbstractBaseUser
    copied: list[tuple[Storage, str]] = field(default_factory=list)

    def copy_file(self, storage: Storage, name: str) -> str:
        """Copies a stored file under a new key beside it; "" when it is missing."""
        path = PurePosixPath(name)
        # A random part of its own: storages that overwrite (S3's default) must not write
        # over the source's key.
        target = str(path.with_name(f"{path.stem}-{secrets.token_hex(4)}{path.suffix}"))
        try:
            with storage.open(name, "rb") as source:
                saved = storage.save(target, File(source))
        except FileNotFoundError:
            logger.warning("contest clone: %s missing from storage, not copied", name)
            return ""
        self.copied.append((storage, saved))
        return saved

    def discard(self) -> None:
        for storage, name in self.copied:
            storage.delete(name)


CloneHook = Callable[[CloneContext], None]
_clone_hooks: list[CloneHook] = []


def on_contest_cloned(hook: CloneHook) -> CloneHook:
    """Registers `hook(context)`, called inside the clone's transaction once the copy and
    its themes are saved: the app copies its own per-contest settings."""
    if hook not in _clone_hooks:
        _clone_hooks.append(hook)
    return hook


def _settings(source: Contest) -> dict[str, object]:
    return {
        f.attname: getattr(source, f.attname)
        for f in Contest._meta.concrete_fields
        if f.name not in NOT_COPIED and f.name not in FILE_FIELDS
    }


def contest_clone(
    *,
    source: Contest,
    opens_at: datetime,
    closes_at: datetime,
    slug: str,
    by: AbstractBaseUser,
) -> Contest:
    """A new draft contest with `source`'s settings, themes and branding, and new dates.

    All of it or nothing: on any failure the rows roll back and the copied files are
    deleted. Raises CloneRefused for dates in the wrong order or a slug already taken.
    """
    if closes_at <= opens_at:
        raise CloneRefused(_("The entries must close after they open."))
    if Contest.objects.filter(slug=slug).exists():
        raise CloneRefused(_("Another contest already has this address (slug)."))
    copy = Contest(
        **_settings(source),
        slug=slug,
        opens_at=opens_at,
        closes_at=closes_at,
        status=Contest.Status.DRAFT,
    )
    context = CloneContext(source=source, copy=copy, by=by)
    try:
        with transaction.atomic():
            for name in FILE_FIELDS:
                stored = getattr(source, name)
                if stored:
                    setattr(copy, name, context.copy_file(stored.storage, stored.name))
            try:
                with transaction.atomic():
                    copy.save()
            except IntegrityError:  # the same slug taken by a racing request
                raise CloneRefused(_("Another contest already has this address (slug).")) from None
            theme_columns = [
                f.attname for f in Theme._meta.concrete_fields if f.name not in ("id", "contest")
            ]
            Theme.objects.bulk_create(
                Theme(contest=copy, **{column: getattr(theme, column) for column in theme_columns})
                for theme in Theme.objects.filter(contest=source).order_by("pk")
            )
            for hook in _clone_hooks:
                hook(context)
    except BaseException:
        # The rows were rolled back; the files are not transactional.
        context.discard()
        raise
    # The admin's history records it too (ContestAdmin); this line is for the logs.
    logger.info(
        "contest %s (%s) cloned from %s (%s) by user %s",
        copy.pk,
        copy.slug,
        source.pk,
        source.slug,
        by.pk,
    )
    return copy
