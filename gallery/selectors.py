"""Reads about photos and renditions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from gallery.models import Rendition


def renditions_hash(renditions: Iterable[Rendition]) -> str:
    """Names the renditions a person saw; a remade rendition gets a new file name.

    A moderator's approval is bound to this value: what was approved is what is published.
    """
    parts = sorted(f"{r.spec}.{r.format}:{r.file.name}:{r.bytes}" for r in renditions)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest() if parts else ""
