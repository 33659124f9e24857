"""The public gallery's caches: what is cached, under which key, and why it is safe.

Three levels, all keyed by `Contest.gallery_version`, which every approval, refusal, undo,
hiding and remade rendition bumps (contest.services.contest_gallery_changed): a withdrawn
photo is therefore never served from any of them, whatever the time left on an entry.

1. The grid (`grid_key`): the HTML of one page of photos, for any visitor. The key also
   holds whether vote counts are shown, the language, the order, the theme, the line, the
   cursor and the "discover" start.
2. The whole page (`page_key`), for anonymous visitors only: a visitor without a session
   cookie and without the messages cookie sees exactly what any other sees (a name, a
   sign-out form and messages come only with those cookies) except for the CSRF token. The
   page is rendered once with a random stand-in for the token, and each visitor's own token
   is put in its place on the way out (`page_get`), so no visitor ever gets another's token;
   random, so that no photo title can contain it. The language is part of the key. htmx
   requests have their own, cheaper answer: they are not cached whole, nor is a request
   with unknown or repeated query parameters.
3. The whole photo page (`photo_page_key`), for anonymous visitors only, on the same terms
   as the gallery page (no session cookie, so no name, sign-out form or vote state; no
   messages cookie; the visitor's own CSRF token put in on the way out; the language in
   the key). Its one query (`photo_state`) is the public-visibility rule itself
   (contest.selectors.entries_public) for this photo, so a refused, withdrawn or hidden
   photo is a 404 before any cache is read, even after a change that forgot to bump the
   gallery version. The key also holds the entry, the contest's status and vote settings,
   the vote count (a new vote shows at once, to everyone: no lag) and the page's absolute
   URL without its query string. A query string (a share's `fbclid` or `utm_*`, the vote
   link's `voter=1`, which only changes the page of a signed-in visitor) changes nothing
   for an anonymous visitor but the language form's return address: the shared page is
   rendered without it (`shared_request`) and that form returns to the photo's own
   address. Signed-in visitors (their vote, their name) and visitors with messages get the
   page rendered for them. Kept as long as a gallery page (`cache_seconds`): what is not
   in the key (a new feed's line colours, a participant's new credit name) shows within
   GALLERY_CACHE_SECONDS.

"discover" (gallery.discover): a visitor's order depends on their start, one of 65,536
bucket starts kept in their own signed cookie. Every visitor of a bucket sees the same
pages, so the start is part of both keys (`variant` of the page key) and the pages are
shared by the bucket's visitors; the pages after the first carry the start in their
cursor, hence in their URL. The cookie itself is never cached: it is set on the response
after the cached bytes are read, and only for a visitor who had none.

Each process also keeps the pages it served last in front of the shared cache (Redis):
reading 40 kB from Redis is half of what a cached page costs. A copy is as safe as the
shared entry (same key, same expiry). A Redis outage degrades to rendering every page.

A cached page costs one query, and one round trip: the query is also the connection's
health check (`_fetch_one`; with CONN_HEALTH_CHECKS Django would first send a `SELECT 1`),
and on PostgreSQL each is a statement prepared once per connection (`_execute_one`):
planning the photo page's query takes ten times longer than running it.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import re
import secrets
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from uuid import UUID

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import get_language

from contest.models import Contest, Entry
from contest.selectors import entries_public
from photos.models import Photo

logger = logging.getLogger(__name__)
T = TypeVar("T")

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
# A plain dict: its get, set and clear are atomic; emptied when full. The photo pages have
# their own (many more pages, 6 kB each), so that they never push the gallery's out.
_local_pages: dict[str, tuple[float, bytes, bytes]] = {}
_LOCAL_PHOTO_PAGES_MAX = 1000
_local_photo_pages: dict[str, tuple[float, bytes, bytes]] = {}


@dataclass(frozen=True)
class CacheState:
    """What of the contest a page key depends on, read in one cheap query."""

    contest_id: int
    gallery_version: int
    status: str
    show_votes: str


# PostgreSQL's prepared statements of each connection, by name (`_execute_one`).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _execute_one(sql: str, params: list[Any], *, prepared: str = "") -> tuple[Any, ...] | None:
    """The first row of `sql`; on PostgreSQL, out of a transaction and with a `prepared`
    name, as a statement prepared once per connection: planning the photo page's query (a
    join and a subquery) takes 0.7 ms, ten times what running it takes."""
    with connection.cursor() as cursor:
        if not prepared or connection.vendor != "postgresql" or connection.in_atomic_block:
            cursor.execute(sql, params)
        else:
            names = _prepared.setdefault(connection.connection, set())
            if prepared not in names:
                numbers = iter(range(1, len(params) + 1))
                numbered = re.sub("%s", lambda _: f"${next(numbers)}", sql)
                cursor.execute(f"PREPARE {prepared} AS {numbered}")
                names.add(prepared)
            cursor.execute(f"EXECUTE {prepared}({', '.join(['%s'] * len(params))})", params)
        return cast(tuple[Any, ...] | None, cursor.fetchone())


def _fetch_one(sql: str, params: list[Any], *, prepared: str = "") -> tuple[Any, ...] | None:
    """The first row of `sql`; the query is also the persistent connection's health check.

    Django checks a reused connection with a `SELECT 1` before a request's first query
    (CONN_HEALTH_CHECKS): for a cached page, whose only query this is, that doubles the round
    trips to the database. So the check is this query: if it fails (a connection reused
    from an earlier request after a restart or a failover, a pooler that dropped the
    prepared statement), the connection is closed and the query sent once more on a new one,
    which is what the check would have done.
    """
    if connection.in_atomic_block:  # closing is no way out of a transaction
        return _execute_one(sql, params)
    connection.health_check_done = True  # type: ignore[attr-defined]  # not in the stubs
    try:
        return _execute_one(sql, params, prepared=prepared)
    except DatabaseError:
        logger.info("a database connection failed; trying a new one", exc_info=True)
        connection.close()
    # Once more without a prepared statement: behind a pooler that moves sessions between
    # server connections (PgBouncer's transaction mode) it may never work.
    return _execute_one(sql, params)


def cache_state(*, slug: str) -> CacheState | None:
    """The public contest's cache state, or None when there is no such public contest."""
    row = _fetch_one(_CONTEST_SQL, [slug, Contest.Status.DRAFT.value], prepared="gallery_state")
    return CacheState(*row) if row is not None else None


@dataclass(frozen=True)
class PhotoState:
    """What a photo page's key depends on, read in one cheap query (`photo_state`)."""

    entry_id: int
    vote_count: int
    contest_id: int
    gallery_version: int
    status: str
    show_votes: str
    votes_open: bool

    @classmethod
    def of(cls, entry: Entry) -> PhotoState:
        """The state of an entry read with its contest: the key a page rendered from it is
        stored under, so that the key says what the page shows even if a vote or a decision
        came between the state's query and the render."""
        contest = entry.contest
        return cls(
            entry.pk,
            entry.vote_count,
            contest.pk,
            contest.gallery_version,
            contest.status,
            contest.show_votes,
            bool(contest.votes_open),
        )


_PHOTO_STATE_COLUMNS = (
    "id",
    "vote_count",
    "contest_id",
    "contest__gallery_version",
    "contest__status",
    "contest__show_votes",
    "contest__votes_open",
)
# Stands for the photo's public id in the query built once (`_photo_state_query`).
_PUBLIC_ID_STAND_IN = UUID(int=0)
_photo_state_queries: dict[str, tuple[str, list[Any], int]] = {}


def _photo_state_query() -> tuple[str, list[Any], int]:
    """The SQL and parameters of `photo_state`, and where the public id goes in them.

    Built by the ORM from entries_public, the one rule of public visibility, once per
    database vendor: building it (subquery, joins) costs ~0.5 ms, several times what
    PostgreSQL takes to answer it.
    """
    found = _photo_state_queries.get(connection.vendor)
    if found is None:
        queryset = (
            entries_public()
            .filter(photo__public_id=_PUBLIC_ID_STAND_IN)
            .order_by()
            .values_list(*_PHOTO_STATE_COLUMNS)[:1]
        )
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        stand_in = _public_id_param(_PUBLIC_ID_STAND_IN)
        [where] = [i for i, param in enumerate(params) if param == stand_in]
        found = _photo_state_queries[connection.vendor] = (sql, list(params), where)
    return found


def _public_id_param(public_id: UUID) -> Any:
    return Photo._meta.get_field("public_id").get_db_prep_value(public_id, connection)


def photo_state(*, public_id: UUID) -> PhotoState | None:
    """The photo page's cache state, or None when the photo is not public (a 404)."""
    sql, params, where = _photo_state_query()
    params = [*params]
    params[where] = _public_id_param(public_id)
    row = _fetch_one(sql, params, prepared="gallery_photo_state")
    if row is None:
        return None
    entry_id, vote_count, contest_id, version, status, show_votes, votes_open = row
    # SQLite answers 0 or 1 for a boolean.
    return PhotoState(
        entry_id, vote_count, contest_id, version, status, show_votes, bool(votes_open)
    )


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


def page_key(
    request: HttpRequest, state: CacheState, *, htmx: bool, variant: str = ""
) -> str | None:
    """The key of the whole gallery page, or None when it must be rendered for this visitor.

    The key holds the gallery version, what decides whether vote counts are shown (the rest
    is time: see cache_seconds), the language and the whole URL: the path, which the
    language form sends back, and the host, which the share tags name; and `variant`, what
    else the page depends on (a "discover" visitor's start).
    """
    if (
        htmx
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
        or any(key not in PAGE_PARAMS or len(request.GET.getlist(key)) > 1 for key in request.GET)
    ):
        return None
    # The scheme and host too: the page's share tags and feed link are absolute URLs on
    # the host the visitor asked for.
    path = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    return (
        f"gallery-page:{state.contest_id}:{state.gallery_version}:{state.status}:"
        f"{state.show_votes}:{get_language()}:{path}:{variant}"
    )


def photo_page_key(request: HttpRequest, state: PhotoState) -> str | None:
    """The key of a whole photo page, or None when it must be rendered for this visitor (a
    session: a signed-in visitor, whose vote and name the page shows; or messages)."""
    if (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
    ):
        return None
    # Scheme, host and path: the share tags and the "link to this photo" field are absolute.
    url = hashlib.sha256(request.build_absolute_uri(request.path).encode()).hexdigest()[:32]
    return (
        f"photo-page:{state.entry_id}:{state.vote_count}:{state.contest_id}:"
        f"{state.gallery_version}:{state.status}:{state.show_votes}:{state.votes_open:d}:"
        f"{get_language()}:{url}"
    )


def shared_request(request: HttpRequest) -> HttpRequest:
    """The request without its query string, to render a page shared by every query string
    (its language form returns to the bare address)."""
    shared = copy.copy(request)
    shared.META = {**request.META, "QUERY_STRING": ""}
    shared.GET = QueryDict()
    return shared


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


def page_get(key: str, *, csrf_token: str, photo: bool = False) -> bytes | None:
    """The cached page under `key` with this visitor's CSRF token in it, or None. `photo`:
    a photo page, kept apart in this process's copies."""
    # With a cache in this process's memory already (tests, `make run`), no second copy.
    shared = not isinstance(caches["default"], LocMemCache)
    local, most = (
        (_local_photo_pages, _LOCAL_PHOTO_PAGES_MAX) if photo else (_local_pages, _LOCAL_PAGES_MAX)
    )
    entry = local.get(key) if shared else None
    if entry is None or entry[0] <= time.time():
        found = _cache_get(key)
        if not isinstance(found, tuple):
            return None
        entry = found
        if shared:
            if len(local) >= most:
                local.clear()
            local[key] = entry
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
    start: int,
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
        start,
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


def share_image_key(contest: Contest) -> str:
    """The key of the contest's share image for the gallery page (gallery.services
    .contest_share_image): choosing its photos reads the most voted of the whole gallery,
    most of a cold gallery page's time at 250,000 photos. Keyed by the gallery version, so a
    withdrawn photo leaves it at once; new votes reorder it within the cache time. The
    language, for its alternative text."""
    return f"gallery-share-image:{contest.pk}:{contest.gallery_version}:{get_language()}"


def value_get_or_make(key: str, make: Callable[[], T], *, seconds: int) -> T:
    """A picklable value from the cache, or made and cached (None is made every time)."""
    found = _cache_get(key)
    if found is not None:
        return cast(T, found)
    value = make()
    if value is not None:
        _cache_set(key, value, seconds)
    return value
