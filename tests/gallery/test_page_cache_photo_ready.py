"""A photo made by the worker refreshes the cached gallery only if it was public (issue 12).

Under an upload burst a photo becomes ready every second or so; each used to bump the
contest's gallery version, so the gallery was never served from the cache. A photo
awaiting moderation is on no public page: only its approval shows it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contest.models import Contest, Entry
from moderation.services import entry_decide
from photos.models import Rendition
from photos.selectors import renditions_hash
from photos.services import photo_process

pytestmark = pytest.mark.django_db


def gallery(contest: Contest) -> str:
    return reverse("gallery:gallery", args=[contest.slug])


def test_a_photo_made_while_awaiting_moderation_leaves_the_gallery_served_from_the_cache(
    contest: Contest,
    approved: Callable[..., Entry],
    ready_entry: Callable[..., Entry],
    moderator: object,
) -> None:
    approved(seed=1, title="Le viaduc")
    assert "Le viaduc" in Client().get(gallery(contest)).content.decode()

    waiting = ready_entry(seed=2, title="Le dépôt")  # processed by the worker just now
    assert waiting.photo.status == "ready"
    with CaptureQueriesContext(connection) as queries:
        page = Client().get(gallery(contest)).content.decode()
    assert len(queries) == 1  # the gallery version only: the cached page
    assert "Le viaduc" in page and "Le dépôt" not in page

    # Its approval still shows it at once.
    entry_decide(
        entry_id=waiting.pk,
        version=waiting.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=renditions_hash(waiting.photo.renditions.all()),
    )
    assert "Le dépôt" in Client().get(gallery(contest)).content.decode()


def test_a_public_photo_remade_by_the_worker_leaves_the_cached_gallery_at_once(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    """Its new renditions are not what the moderator approved: it waits for a new look."""
    entry = approved(seed=1, title="Le viaduc")
    assert "Le viaduc" in Client().get(gallery(contest)).content.decode()

    Rendition.objects.filter(photo=entry.photo, spec="thumb", format="jpeg").delete()
    photo_process(photo_id=entry.photo.pk)  # makes the missing one, under a new name

    assert "Le viaduc" not in Client().get(gallery(contest)).content.decode()
