"""The public gallery's caches: what is cached, under which key, and why it is safe.

Two levels, both keyed by `Contest.gallery_version`, which every approval, refusal, undo,
hiding and remade rendition bumps (contest.services.contest_gallery_changed): a withdrawn
photo is therefore never served from either cache, whatever the time left on an entry.

1. The grid (`grid_key`): the HTML of one page of photos, for any visitor. The key also
   holds whether vote counts are shown, the language, the order, the theme, the line, the
   cursor and the "discover" seed.
2. The whole page (`page_key`), for anonymous visitors only: a visitor without a session
   cookie and without the messages cookie sees exactly what any other sees (a name, a
   sign-out form and messages come only with those cookies) except for the CSRF token. The
   page is rendered once with a random stand-in for the token, and each visitor's own token
   is put in its place on the way out (`page_get`), so no visitor ever gets another's token;
   random, so that no photo title can contain it. htmx requests have their own, cheaper
   answer and "discover" is each visitor's own shuffle: neither is cached whole, nor is a
   request with unknown or repeated query parameters.

Each process also keeps the pages it served last in front of the shared cache (Redis):
reading 40 kB from Redis is half of what a cached page costs. A copy is as safe as the
shared entry (same key, same expiry). A Redis outage degrades to rendering every page.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

from contest.models import Contest

logger = logging.getLogger(__name__)

# The query parameters of the gallery; a request with any other is never served whole.
PAGE_PARAMS = frozenset({"ordre", "theme", "ligne", "apres"})
# The gallery's contest row, by hand: on a cached page this query is most of the work, and
# the ORM takes longer to build it (~0.4 ms) than PostgreSQL to answer it (~0.1 ms). Only
# columns that need no conversion, so that it reads the same on every database.
_CONTEST_SQL = (
    f"SELECT id, gallery_version, status, show_votes FROM {Contest._meta.db_table}"  # noqa: S608
    " WHERE slug = %s AND status <> %s"
)
_LOCAL_PAGES_MAX = 200
# A plain dict: its get, set and clear are atomic; emptied when full.
_local_pages: dict[str, tuple[float, bytes, bytes]] = {}


@dataclass(frozen=True)
class CacheState:
    """What of the contest a page key depends on, read in one cheap query."""

    contest_id: int
    gallery_version: int
    status: str
    show_votes: str


def cache_state(*, slug: str) -> CacheState | None:
    """The public contest's cache state, or None when there is no such public contest."""
    with connection.cursor() as cursor:
        cursor.execute(_CONTEST_SQL, [slug, Contest.Status.DRAFT.value])
        row = cursor.fetchone()
    return CacheState(*row) if row is not None else None


def cache_seconds(contest: Contest, order: str) -> int:
    """How long a grid or a page may be served from the cache: briefly for the "votes" order
    (vote counts move all the time), and never past the contest's next opening or closing,
    where vote counts may appear."""
    seconds = 30 if order == "votes" else settings.GALLERY_CACHE_SECONDS
    now = timezone.now()
    for moment in (contest.opens_at, contest.closes_at):
        if moment > now:
            seconds = min(seconds, math.ceil((moment - now).total_seconds()))
    return max(1, seconds)


def page_key(request: HttpRequest, state: CacheState, *, htmx: bool) -> str | None:
    """The key of the whole gallery page, or None when it must be rendered for this visitor.

    The key holds the gallery version, what decides whether vote counts are shown (the rest
    is time: see cache_seconds), the language and the whole URL: the path, which the
    language form sends back, and the host, which the share tags name.
    """
    if (
        htmx
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
        or request.GET.get("ordre") == "discover"
        or any(key not in PAGE_PARAMS or len(request.GET.getlist(key)) > 1 for key in request.GET)
    ):
        return None
    # The scheme and host too: the page's share tags and feed link are absolute URLs on
    # the host the visitor asked for.
    path = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    return (
        f"gallery-page:{state.contest_id}:{state.gallery_version}:{state.status}:"
        f"{state.show_votes}:{get_language()}:{path}"
    )


def _cache_get(key: str) -> object:
    try:
        return cache.get(key)
    except Exception:  # the shared cache is down: render instead of failing
        logger.warning("cache unavailable for %s", key, exc_info=True)
        return None


def _cache_set(key: str, value: object, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("cache unavailable for %s", key, exc_info=True)


def page_get(key: str, *, csrf_token: str) -> bytes | None:
    """The cached page under `key` with this visitor's CSRF token in it, or None."""
    # With a cache in this process's memory already (tests, `make run`), no second copy.
    shared = not isinstance(caches["default"], LocMemCache)
    entry = _local_pages.get(key) if shared else None
    if entry is None or entry[0] <= time.time():
        found = _cache_get(key)
        if not isinstance(found, tuple):
            return None
        entry = found
        if shared:
            if len(_local_pages) >= _LOCAL_PAGES_MAX:
                _local_pages.clear()
            _local_pages[key] = entry
    _expires, placeholder, html = entry
    return html.replace(placeholder, csrf_token.encode())


def page_store(key: str, render: Callable[[str], str], *, seconds: int, csrf_token: str) -> bytes:
    """Renders the page once with a stand-in token (`render(stand_in)`), caches it, and
    returns it with this visitor's token."""
    stand_in = secrets.token_hex(16)
    page = render(stand_in).encode()
    _cache_set(key, (time.time() + seconds, stand_in.encode(), page), seconds)
    return page.replace(stand_in.encode(), csrf_token.encode())


def grid_key(
    *,
    contest: Contest,
    shows_votes: bool,
    order: str,
    theme_id: int | None,
    line_id: int | None = None,
    cursor: str,
    seed: int,
) -> str:
    return "gallery:{}:{}:{:d}:{}:{}:{}:{}:{}:{}".format(
        contest.pk,
        contest.gallery_version,
        shows_votes,
        get_language(),
        order,
        theme_id or "",
        line_id or "",
        cursor,
        seed,
    )


def grid_get_or_render(key: str, render: Callable[[], str], *, seconds: int) -> str:
    html = _cache_get(key)
    if isinstance(html, str):
        return html
    html = render()
    _cache_set(key, html, seconds)
    return html


def fragment_get_or_render(key: str, render: Callable[[], str], *, seconds: int) -> str:
    """Any other public fragment keyed by the gallery version (the embed)."""
    return grid_get_or_render(key, render, seconds=seconds)
