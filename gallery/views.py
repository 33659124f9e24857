"""The public pages: contest landing, gallery, photo page, and votes."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contest.models import Contest, Entry
from contest.selectors import contest_get_public
from core.http import HtmxHttpRequest
from core.network import client_ip
from core.views import too_many_requests
from gallery import discover, grid, page_cache, selectors, services
from gallery.models import Share
from transit import badges

# The signed cookie keeping a "discover" visitor's start (gallery.discover) for 30 days.
START_COOKIE = "gallery_start"
START_COOKIE_DAYS = 30
# The query parameter of a photo page reached from a vote's sign-in link.
VOTE_INTENT = "voter"
PublicRequest = HtmxHttpRequest


def contest_or_404(slug: str) -> Contest:
    contest = contest_get_public(slug=slug)
    if contest is None:
        raise Http404
    return contest


def lines_css_url(network_id: int | None) -> str:
    """The address of the network's line colours (gallery.views_lines.lines_css) with their
    version, which changes with any colour; empty without a network or lines."""
    if network_id is None:
        return ""
    colours = selectors.network_line_colours(network_id=network_id)
    if not colours.rows:
        return ""
    url = reverse("gallery:lines_css", args=[colours.network_slug])
    return url + "?" + urlencode({"v": badges.stylesheet_version(colours.rows)})


def place_label(entry: Entry) -> str:
    """ "Line 2 · Commerce": where the photo was taken, for the share and feed texts."""
    parts = []
    if entry.line_id is not None and entry.line is not None:
        parts.append(_("Line %(number)s") % {"number": line_number(entry.line)})
    if entry.stop_id is not None and entry.stop is not None:
        parts.append(entry.stop.name)
    return " · ".join(parts)


def line_number(line: Any) -> str:
    """What a badge shows: the line's number, or its name when the feed gives no number."""
    return str(line.short_name or line.long_name or line.gtfs_id)


def _shows_votes(contest: Contest) -> bool:
    return contest.show_votes == "always" or not contest.is_accepting_entries()


def absolute_url(request: HttpRequest, url: str) -> str:
    """`url` on the scheme and host the visitor used (an absolute URL, such as a CDN's, is
    kept). Only workers, which have no request, build links on SITE_URL."""
    return request.build_absolute_uri(url)


# Open Graph names a language with its country; the interface's languages, one each.
OG_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


# The product's own name: what a contest not branded by its operator is shared under.
PRODUCT_NAME = "Coverline"


def share_meta(
    request: HttpRequest,
    *,
    url: str,
    title: str,
    description: str,
    image: services.ShareImage | None,
    site_name: str,
    kind: str = "website",
) -> dict[str, Any]:
    """What templates/gallery/fragment_share_meta.html writes: the canonical URL, Open
    Graph and X card tags, every URL absolute on the visitor's host. The caller cuts the
    description (about 200 characters), keeping what must stay, such as a credit."""
    language = get_language() or settings.LANGUAGE_CODE
    locale = OG_LOCALES.get(language.split("-")[0], OG_LOCALES[settings.LANGUAGE_CODE])
    return {
        "url": absolute_url(request, url),
        "site_name": site_name or PRODUCT_NAME,
        "kind": kind,
        "title": title,
        "description": description,
        "locale": locale,
        "alternate_locales": [code for code in OG_LOCALES.values() if code != locale],
        "image": image,
        "image_url": absolute_url(request, image.url) if image else "",
    }


@require_GET
def landing(request: PublicRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    now = timezone.now()
    return render(
        request,
        "gallery/landing.html",
        {
            "contest": contest,
            "share": share_meta(
                request,
                url=reverse("gallery:landing", args=[contest.slug]),
                title=contest.title,
                description=Truncator(contest.pitch).chars(200),
                image=services.contest_share_image(contest=contest),
                site_name=contest.brand_name,
            ),
            "feed_url": absolute_url(request, reverse("gallery:feed", args=[contest.slug])),
            "phase": "before"
            if now < contest.opens_at
            else "after"
            if now >= contest.closes_at
            else "open",
            "latest": [
                (entry, selectors.renditions_by_spec(entry.photo))
                for entry in selectors.latest_public(contest_id=contest.pk)
            ],
            "accepting": contest.is_accepting_entries(now),
        },
    )


def _discover_start(request: HttpRequest, contest_id: int) -> tuple[int, bool]:
    """The visitor's "discover" start, and whether it is new (to be kept in their cookie)."""
    kept = request.get_signed_cookie(START_COOKIE, default=None, salt=START_COOKIE)
    if kept and kept.isdigit() and len(kept) < 12 and int(kept) < discover.KEY_SPACE:
        return int(kept), False
    return services.discover_visitor_start(contest_id=contest_id), True


def _cursor_valid(order: str, cursor: str) -> bool:
    if order == "discover":
        return discover.parse_cursor(cursor) is not None
    return selectors.parse_cursor(cursor) is not None


def _gallery_params(request: HttpRequest, contest: Contest, *, start: int) -> dict[str, Any]:
    order = request.GET.get("ordre", "recent")
    if order not in selectors.ORDERS or (order == "votes" and not _shows_votes(contest)):
        order = "recent"
    theme_id = None
    raw_theme = request.GET.get("theme", "")
    if raw_theme.isdigit() and any(t.pk == int(raw_theme) for t in contest.themes.all()):
        theme_id = int(raw_theme)
    # The filter offers the lines that have photos; any line of the network is accepted
    # (a shared link to a line whose photos were withdrawn shows an empty grid, not all).
    lines = selectors.lines_with_photos(contest_id=contest.pk) if contest.network_id else []
    line_id = None
    raw_line = request.GET.get("ligne", "")
    if (
        raw_line.isdigit()
        and len(raw_line) < 12
        and (
            any(line.pk == int(raw_line) for line in lines)
            or selectors.contest_line(network_id=contest.network_id, line_id=int(raw_line))
        )
    ):
        line_id = int(raw_line)
    # An invalid cursor gives the first page, and never a cache entry of its own.
    cursor = request.GET.get("apres", "")
    if not _cursor_valid(order, cursor):
        cursor = ""
    if order == "discover" and cursor:
        # The pages after the first carry their start: one URL, one page, for any visitor.
        start = discover.parse_cursor(cursor).start  # type: ignore[union-attr]
    return {
        "order": order,
        "theme_id": theme_id,
        "lines": lines,
        "line_id": line_id,
        "cursor": cursor,
        "start": start if order == "discover" else 0,
    }


@require_GET
def gallery(request: PublicRequest, slug: str) -> HttpResponse:
    # A cached page costs one query (the gallery version is part of the key) and one cache
    # read; the contest itself and its themes are read only to render.
    state = page_cache.cache_state(slug=slug)
    if state is None:
        raise Http404
    order = request.GET.get("ordre", "recent")
    cursor = request.GET.get("apres", "")
    # A "discover" visitor's first page depends on their start; the next ones name theirs.
    start, new_visitor = 0, False
    if order == "discover" and discover.parse_cursor(cursor) is None:
        start, new_visitor = _discover_start(request, state.contest_id)
    key = page_cache.page_key(
        request,
        state,
        htmx=bool(request.htmx),
        variant=f"start={start}" if order == "discover" and not cursor else "",
    )
    if cursor and not _cursor_valid(order, cursor):
        key = None
    if key is not None:
        cached = page_cache.page_get(key, csrf_token=get_token(request))
        if cached is not None:
            return _kept_start(HttpResponse(cached), start if new_visitor else None)
    contest = contest_or_404(slug)
    params = _gallery_params(request, contest, start=start)
    context = {
        "contest": contest,
        "share": share_meta(
            request,
            # The gallery itself, whatever the order, theme or page asked for.
            url=reverse("gallery:gallery", args=[contest.slug]),
            title=_("The gallery") + " · " + contest.title,
            description=_("The riders' photos for %(title)s.") % {"title": contest.title},
            image=page_cache.value_get_or_make(
                page_cache.share_image_key(contest),
                lambda: services.contest_share_image(contest=contest),
                seconds=settings.GALLERY_CACHE_SECONDS,
            ),
            site_name=contest.brand_name,
        ),
        "feed_url": absolute_url(request, reverse("gallery:feed", args=[contest.slug])),
        "grid": _grid_html(contest, params),
        "order": params["order"],
        "theme_id": params["theme_id"],
        "lines": params["lines"],
        "line_id": params["line_id"],
        "lines_css": lines_css_url(contest.network_id),
        "shows_votes": _shows_votes(contest),
        "cursor": params["cursor"],
    }
    if key is not None:
        page = page_cache.page_store(
            key,
            lambda stand_in: render_to_string(
                "gallery/gallery.html", {**context, "csrf_token": stand_in}, request
            ),
            seconds=page_cache.cache_seconds(contest, params["order"]),
            csrf_token=get_token(request),
        )
        return _kept_start(HttpResponse(page), start if new_visitor else None)
    template = "gallery/fragment_grid_page.html" if request.htmx else "gallery/gallery.html"
    return _kept_start(render(request, template, context), start if new_visitor else None)


def _kept_start(response: HttpResponse, start: int | None) -> HttpResponse:
    """The response, keeping a new "discover" visitor's start in their cookie: their order
    stays theirs on the next visit. Set after any cache: never part of a cached page."""
    if start is not None:
        response.set_signed_cookie(
            START_COOKIE,
            str(start),
            salt=START_COOKIE,
            max_age=START_COOKIE_DAYS * 86400,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    return response


def _grid_html(contest: Contest, params: dict[str, Any]) -> str:
    """The grid's HTML, from the cache when another visitor already asked for it."""
    shows_votes = _shows_votes(contest)

    def render_grid() -> str:
        page = selectors.gallery_page(
            contest_id=contest.pk,
            theme_id=params["theme_id"],
            line_id=params["line_id"],
            order=params["order"],
            cursor=params["cursor"],
            start=params["start"],
            grid=True,
        )
        query = {"ordre": params["order"]}
        if params["theme_id"]:
            query["theme"] = params["theme_id"]
        if params["line_id"]:
            query["ligne"] = params["line_id"]
        base = reverse("gallery:gallery", args=[contest.slug])
        return render_to_string(
            "gallery/fragment_grid.html",
            {
                "contest": contest,
                "tiles": grid.tiles_html(
                    selectors.gallery_tiles(page.entries),
                    paged=bool(params["cursor"]),
                    shows_votes=shows_votes,
                ),
                "next_url": base + "?" + urlencode({**query, "apres": page.next_cursor})
                if page.next_cursor
                else "",
                "first_url": base + "?" + urlencode(query),
                "shows_votes": shows_votes,
                "paged": bool(params["cursor"]),
            },
        )

    key = page_cache.grid_key(
        contest=contest,
        shows_votes=shows_votes,
        order=params["order"],
        theme_id=params["theme_id"],
        line_id=params["line_id"],
        cursor=params["cursor"],
        start=params["start"],
    )
    return page_cache.grid_get_or_render(
        key, render_grid, seconds=page_cache.cache_seconds(contest, params["order"])
    )


def share_text(entry: Entry) -> str:
    """What a share says beside the link: the title, where, and the credit."""
    credit = _("Photo: %(credit)s") % {"credit": entry.participant.credit_name}
    return " — ".join(part for part in (entry.title, place_label(entry), credit) if part)


def share_target(network: str, *, url: str, text: str) -> str:
    """Each network's documented "share this link" address."""
    if network == Share.Network.FACEBOOK:
        return "https://www.facebook.com/sharer/sharer.php?u=" + quote(url, safe="")
    if network == Share.Network.X:
        return "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": text})
    return "https://wa.me/?" + urlencode({"text": f"{text} {url}"})


@require_GET
def photo(request: PublicRequest, public_id: UUID) -> HttpResponse:
    # An anonymous visitor's page costs one query (whether the photo is public, and what the
    # key holds: page_cache.photo_state) and one cache read; see gallery/page_cache.py.
    state = page_cache.photo_state(public_id=public_id)
    if state is None:
        raise Http404
    key = page_cache.photo_page_key(request, state)
    if key is not None:
        cached = page_cache.page_get(key, csrf_token=get_token(request), photo=True)
        if cached is not None:
            return HttpResponse(cached)
    entry = selectors.public_entry(public_id=public_id)
    if entry is None:
        raise Http404
    if key is None:
        return render(request, "gallery/photo.html", _photo_context(request, entry))
    shared = page_cache.shared_request(request)
    context = _photo_context(shared, entry)
    return HttpResponse(
        page_cache.page_store(
            # Under what was rendered: a vote between the state's query and now is in it.
            page_cache.photo_page_key(request, page_cache.PhotoState.of(entry)) or key,
            lambda stand_in: render_to_string(
                "gallery/photo.html", {**context, "csrf_token": stand_in}, shared
            ),
            seconds=page_cache.cache_seconds(entry.contest, "recent"),
            csrf_token=get_token(request),
        )
    )


def _photo_context(request: HttpRequest, entry: Entry) -> dict[str, Any]:
    public_id = entry.photo.public_id
    renditions = selectors.renditions_by_spec(entry.photo)
    url = absolute_url(request, reverse("gallery:photo", args=[public_id]))
    share = renditions.get("share", {}).get("jpeg")
    credit = _("Photo: %(credit)s") % {"credit": entry.participant.credit_name}
    place = place_label(entry)
    text = share_text(entry)
    # The caption is cut, never the credit, on every network.
    description = " — ".join(
        part for part in (Truncator(entry.caption).chars(200), place, credit) if part
    )
    voted = request.user.is_authenticated and selectors.vote_exists(
        entry_id=entry.pk, user_id=request.user.pk
    )
    # Back from the sign-in link asked for by the vote button: the vote waits for one tap.
    confirm_vote = (
        request.GET.get(VOTE_INTENT) == "1" and request.user.is_authenticated and not voted
    )
    return {
        "entry": entry,
        "contest": entry.contest,
        "renditions": renditions,
        "page_url": url,
        "share": share_meta(
            request,
            url=url,
            kind="article",
            site_name=entry.contest.brand_name,
            title=entry.title,
            description=description,
            image=services.ShareImage(
                share.file.url, share.width, share.height, entry.caption or entry.title
            )
            if share
            else None,
        ),
        # Through our own address, which counts the share and sends on (share below).
        "share_links": {
            **{
                network: reverse("gallery:share", args=[public_id, network])
                for network in Share.Network.values
            },
            "email": "mailto:?" + urlencode({"subject": text, "body": url}).replace("+", "%20"),
        },
        "lines_css": lines_css_url(entry.contest.network_id) if entry.line_id else "",
        "voted": voted,
        "confirm_vote": confirm_vote,
        "shows_votes": _shows_votes(entry.contest),
    }


# A GET, so that the share buttons work as plain links on any phone without JavaScript; the
# links are rel=nofollow and the answer says noindex, and a crawler that follows them anyway
# counts at most once a day per photo and network (share_record).
@require_GET
def share(request: PublicRequest, public_id: UUID, network: str) -> HttpResponse:
    """Counts a tap on a photo page's share button, then sends on to the network."""
    if network not in Share.Network.values:
        raise Http404
    entry = selectors.public_entry(public_id=public_id)
    if entry is None:
        raise Http404
    services.share_record(entry=entry, network=network, ip_address=client_ip(request))
    url = absolute_url(request, reverse("gallery:photo", args=[public_id]))
    response = HttpResponseRedirect(share_target(network, url=url, text=share_text(entry)))
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def vote(request: PublicRequest, public_id: UUID) -> HttpResponse:
    entry = selectors.public_entry(public_id=public_id)
    if entry is None:
        raise Http404
    here = reverse("gallery:photo", args=[public_id])
    if not request.user.is_authenticated:
        # The rider's sign-in link serves voters too: one vote per verified e-mail. The link
        # leads back with the intent (VOTE_INTENT), so the vote is one tap away on arrival.
        back = here + "?" + urlencode({VOTE_INTENT: "1"}) + "#vote"
        return HttpResponseRedirect(
            reverse("contest:signin") + "?" + urlencode({"next": back, "pour": "voter"})
        )
    try:
        new = services.vote_cast(entry=entry, user=request.user, ip_address=client_ip(request))
    except services.VoteRateLimited as limited:
        # A redirect cannot say 429: a small page instead, which leads back to the photo.
        return too_many_requests(request, limited, back_url=here + "#vote")
    except services.VoteRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Thank you for your vote!") if new else _("You have already voted for this photo."),
        )
    return HttpResponseRedirect(here + "#vote")
