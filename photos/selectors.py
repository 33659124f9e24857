"""Reads about photos and renditions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from photos.models import Photo, Rendition


def renditions_hash(renditions: Iterable[Rendition]) -> str:
    """Names the renditions a person saw; a remade rendition gets a new file name.

    A moderator's approval is bound to this value: what was approved is what is published.
    """
    parts = sorted(f"{r.spec}.{r.format}:{r.file.name}:{r.bytes}" for r in renditions)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest() if parts else ""


def renditions_by_spec(photo: Photo) -> dict[str, dict[str, Rendition]]:
    """{"thumb": {"webp": r, "jpeg": r}, ...} from whatever the caller prefetched.

    Selectors above prefetch a subset as `public_renditions`; otherwise all are read.
    """
    renditions = getattr(photo, "public_renditions", None)
    if renditions is None:
        renditions = photo.renditions.all()
    grouped: dict[str, dict[str, Rendition]] = {}
    for rendition in renditions:
        grouped.setdefault(rendition.spec, {})[rendition.format] = rendition
    return grouped
