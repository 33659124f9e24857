"""The public pages: contest landing, gallery, photo page, and votes."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from typing import Any
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from contest.models import Contest
from contest.network import client_ip
from contest.selectors import contest_get_public
from gallery import selectors, services

SEED_KEY = "gallery_seed"


class PublicRequest(HttpRequest):
    htmx: HtmxDetails


def contest_or_404(slug: str) -> Contest:
    contest = contest_get_public(slug=slug)
    if contest is None:
        raise Http404
    return contest


def _shows_votes(contest: Contest) -> bool:
    return contest.show_votes == "always" or not contest.is_accepting_entries()


def absolute_url(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


@require_GET
def landing(request: PublicRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    now = timezone.now()
    return render(
        request,
        "gallery/landing.html",
        {
            "contest": contest,
            "phase": "before"
            if now < contest.opens_at
            else "after"
            if now >= contest.closes_at
            else "open",
            "latest": [
                (entry, selectors.renditions_by_spec(entry))
                for entry in selectors.latest_public(contest_id=contest.pk)
            ],
            "accepting": contest.is_accepting_entries(now),
        },
    )


def _gallery_params(request: HttpRequest, contest: Contest) -> dict[str, Any]:
    order = request.GET.get("ordre", "recent")
    if order not in selectors.ORDERS or (order == "votes" and not _shows_votes(contest)):
        order = "recent"
    theme_id = None
    raw_theme = request.GET.get("theme", "")
    if raw_theme.isdigit() and any(t.pk == int(raw_theme) for t in contest.themes.all()):
        theme_id = int(raw_theme)
    seed = 0
    if order == "discover":
        # A shuffle of its own per visitor, stable across pages: kept in a signed cookie.
        kept = request.get_signed_cookie(SEED_KEY, default=None, salt=SEED_KEY)
        seed = int(kept) if kept and kept.isdigit() else secrets.randbelow(1_000_000)
    return {
        "order": order,
        "theme_id": theme_id,
        "cursor": request.GET.get("apres", ""),
        "seed": seed,
    }


# The query parameters of the gallery; a request with any other is never served whole
# from the cache (see _page_cache_key).
_PAGE_PARAMS = frozenset({"ordre", "theme", "apres"})
# The gallery's contest row, by hand: on a cached page this query is most of the work, and
# the ORM takes longer to build it (~0.4 ms) than PostgreSQL to answer it (~0.1 ms). Only
# columns that need no conversion, so that it reads the same on every database.
_CONTEST_SQL = (
    f"SELECT id, gallery_version, status, show_votes FROM {Contest._meta.db_table}"  # noqa: S608
    " WHERE slug = %s AND status <> %s"
)


def _cache_seconds(contest: Contest, order: str) -> int:
    """How long a grid or a page may be served from the cache: briefly for the "votes" order
    (vote counts move all the time), and never past the contest's next opening or closing,
    where vote counts may appear."""
    seconds = 30 if order == "votes" else settings.GALLERY_CACHE_SECONDS
    now = timezone.now()
    for moment in (contest.opens_at, contest.closes_at):
        if moment > now:
            seconds = min(seconds, math.ceil((moment - now).total_seconds()))
    return max(1, seconds)


def _page_cache_key(request: PublicRequest, row: tuple[int, int, str, str]) -> str | None:
    """The cache key of the whole gallery page, or None when it must be rendered for this
    visitor.

    A visitor without a session and without pending messages sees the same page as any
    other (a name, a sign-out form and messages come only with a session or the messages
    cookie), except for the CSRF token. The key holds the gallery version, so an approval,
    refusal or hiding makes every cached page stale at once; what decides whether vote
    counts are shown (the rest is time: see _cache_seconds); the language; and the whole
    path, which the language form sends back. htmx requests have their own, cheaper answer;
    "discover" is each visitor's own shuffle.
    """
    if (
        request.htmx
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
        or request.GET.get("ordre") == "discover"
        or any(key not in _PAGE_PARAMS or len(request.GET.getlist(key)) > 1 for key in request.GET)
    ):
        return None
    pk, version, status, show_votes = row
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"gallery-page:{pk}:{version}:{status}:{show_votes}:{get_language()}:{path}"


# Each process also keeps the pages it served last, in front of the shared cache (Redis):
# reading 40 kB from Redis is half of what a cached page costs. As safe as the shared cache:
# the key names the gallery version, and a copy expires when the shared entry does. A plain
# dict (its get, set and clear are atomic), emptied when full.
_LOCAL_PAGES_MAX = 200
_local_pages: dict[str, tuple[float, bytes, bytes]] = {}


def _page_from_cache(key: str) -> tuple[bytes, bytes] | None:
    """(placeholder, html) of a cached page, or None."""
    # With a cache in this process's memory already (tests, `make run`), no second copy.
    shared = not isinstance(caches["default"], LocMemCache)
    entry = _local_pages.get(key) if shared else None
    if entry is None or entry[0] <= time.time():
        entry = cache.get(key)
        if entry is None:
            return None
        if shared:
            if len(_local_pages) >= _LOCAL_PAGES_MAX:
                _local_pages.clear()
            _local_pages[key] = entry
    _expires, placeholder, html = entry
    return placeholder, html


def _page_to_cache(key: str, placeholder: bytes, html: bytes, seconds: int) -> None:
    cache.set(key, (time.time() + seconds, placeholder, html), seconds)


@require_GET
def gallery(request: PublicRequest, slug: str) -> HttpResponse:
    # A cached page costs one query (the gallery version is part of the key) and one cache
    # read; the contest itself and its themes are read only to render.
    with connection.cursor() as cursor:
        cursor.execute(_CONTEST_SQL, [slug, Contest.Status.DRAFT.value])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    page_key = _page_cache_key(request, row)
    if page_key is not None:
        cached = _page_from_cache(page_key)
        if cached is not None:
            placeholder, html = cached
            return HttpResponse(html.replace(placeholder, get_token(request).encode()))
    contest = contest_or_404(slug)
    params = _gallery_params(request, contest)
    grid = _grid_html(request, contest, params)
    context = {
        "contest": contest,
        "grid": grid,
        "order": params["order"],
        "theme_id": params["theme_id"],
        "shows_votes": _shows_votes(contest),
        "cursor": params["cursor"],
    }
    if page_key is not None:
        # Rendered once with a random stand-in for the CSRF token, then each visitor's own
        # token is put in its place. Random, so that no photo title can hold it.
        stand_in = secrets.token_hex(16)
        page = render_to_string(
            "gallery/gallery.html", {**context, "csrf_token": stand_in}, request
        ).encode()
        seconds = _cache_seconds(contest, params["order"])
        _page_to_cache(page_key, stand_in.encode(), page, seconds)
        return HttpResponse(page.replace(stand_in.encode(), get_token(request).encode()))
    template = "gallery/fragment_grid_page.html" if request.htmx else "gallery/gallery.html"
    response = render(request, template, context)
    if params["order"] == "discover":
        response.set_signed_cookie(
            SEED_KEY,
            str(params["seed"]),
            salt=SEED_KEY,
            max_age=30 * 86400,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    return response


def _grid_html(request: HttpRequest, contest: Contest, params: dict[str, Any]) -> str:
    """The grid's HTML, cached under the contest's gallery version: any approval, refusal
    or hiding bumps the version, so a withdrawn photo is never served from the cache."""
    key = "gallery:{}:{}:{:d}:{}:{}:{}:{}:{}".format(
        contest.pk,
        contest.gallery_version,
        _shows_votes(contest),
        get_language(),
        params["order"],
        params["theme_id"] or "",
        params["cursor"][:40],
        params["seed"],
    )
    html = cache.get(key)
    if html is None:
        page = selectors.gallery_page(
            contest_id=contest.pk,
            theme_id=params["theme_id"],
            order=params["order"],
            cursor=params["cursor"],
            seed=params["seed"],
        )
        query = {"ordre": params["order"]}
        if params["theme_id"]:
            query["theme"] = params["theme_id"]
        html = render_to_string(
            "gallery/fragment_grid.html",
            {
                "contest": contest,
                "items": [(e, selectors.renditions_by_spec(e)) for e in page.entries],
                "next_url": (
                    reverse("gallery:gallery", args=[contest.slug])
                    + "?"
                    + urlencode({**query, "apres": page.next_cursor})
                )
                if page.next_cursor
                else "",
                "first_url": reverse("gallery:gallery", args=[contest.slug])
                + "?"
                + urlencode(query),
                "shows_votes": _shows_votes(contest),
                "paged": bool(params["cursor"]),
            },
        )
        cache.set(key, html, _cache_seconds(contest, params["order"]))
    return html


@require_GET
def photo(request: PublicRequest, public_id: UUID) -> HttpResponse:
    entry = selectors.public_entry(public_id=public_id)
    if entry is None:
        raise Http404
    renditions = selectors.renditions_by_spec(entry)
    url = absolute_url(reverse("gallery:photo", args=[public_id]))
    share = renditions.get("share", {}).get("jpeg")
    credit = _("Photo: %(credit)s") % {"credit": entry.participant.credit_name}
    text = f"{entry.title} — {credit}"
    voted = request.user.is_authenticated and entry.votes.filter(user_id=request.user.pk).exists()
    return render(
        request,
        "gallery/photo.html",
        {
            "entry": entry,
            "contest": entry.contest,
            "renditions": renditions,
            "page_url": url,
            "share_image": absolute_url(share.file.url) if share else "",
            "share": share,
            "share_links": {
                "facebook": "https://www.facebook.com/sharer/sharer.php?u=" + quote(url, safe=""),
                "x": "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": text}),
                "whatsapp": "https://wa.me/?" + urlencode({"text": f"{text} {url}"}),
                "email": "mailto:?" + urlencode({"subject": text, "body": url}).replace("+", "%20"),
            },
            "voted": voted,
            "shows_votes": _shows_votes(entry.contest),
        },
    )


@require_POST
def vote(request: PublicRequest, public_id: UUID) -> HttpResponse:
    entry = selectors.public_entry(public_id=public_id)
    if entry is None:
        raise Http404
    here = reverse("gallery:photo", args=[public_id])
    if not request.user.is_authenticated:
        # The rider's sign-in link serves voters too: one vote per verified e-mail.
        return HttpResponseRedirect(reverse("contest:signin") + "?" + urlencode({"next": here}))
    try:
        new = services.vote_cast(
            entry=entry,
            user=request.user,  # type: ignore[arg-type]
            ip_address=client_ip(request),
        )
    except services.VoteRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Thank you for your vote!") if new else _("You have already voted for this photo."),
        )
    return HttpResponseRedirect(here + "#vote")
