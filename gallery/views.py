"""The public pages: contest landing, gallery, photo page, and votes."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
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
from gallery import selectors, services

SEED_KEY = "gallery_seed"


class PublicRequest(HttpRequest):
    htmx: HtmxDetails


def _contest(slug: str) -> Contest:
    contest = (
        Contest.objects.exclude(status=Contest.Status.DRAFT)
        .prefetch_related("themes")
        .filter(slug=slug)
        .first()
    )
    if contest is None:
        raise Http404
    return contest


def _shows_votes(contest: Contest) -> bool:
    return contest.show_votes == "always" or not contest.is_accepting_entries()


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


@require_GET
def landing(request: PublicRequest, slug: str) -> HttpResponse:
    contest = _contest(slug)
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


@require_GET
def gallery(request: PublicRequest, slug: str) -> HttpResponse:
    contest = _contest(slug)
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
    key = "gallery:{}:{}:{}:{}:{}:{}:{}".format(
        contest.pk,
        contest.gallery_version,
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
        # Vote counts move all the time: that order is cached briefly.
        timeout = 30 if params["order"] == "votes" else settings.GALLERY_CACHE_SECONDS
        cache.set(key, html, timeout)
    return html


@require_GET
def photo(request: PublicRequest, public_id: UUID) -> HttpResponse:
    entry = selectors.public_entry(public_id=public_id)
    if entry is None:
        raise Http404
    renditions = selectors.renditions_by_spec(entry)
    url = _absolute(reverse("gallery:photo", args=[public_id]))
    share = renditions.get("share", {}).get("jpeg")
    text = f"{entry.title} — {_('Photo: %(credit)s') % {'credit': entry.participant.credit_name}}"
    voted = request.user.is_authenticated and entry.votes.filter(user_id=request.user.pk).exists()
    return render(
        request,
        "gallery/photo.html",
        {
            "entry": entry,
            "contest": entry.contest,
            "renditions": renditions,
            "page_url": url,
            "share_image": _absolute(share.file.url) if share else "",
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
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    except services.VoteRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Thank you for your vote!") if new else _("You have already voted for this photo."),
        )
    return HttpResponseRedirect(here + "#vote")
