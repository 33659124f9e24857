"""The social relay: the gallery embeddable in other sites, and the community manager's
pages (feed and embed code, social kits, vote bursts)."""

from __future__ import annotations

import io
from uuid import UUID

from csp.decorators import csp_replace
from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from core.access import staff_permission_required
from gallery import page_cache, selectors, services
from gallery.views import absolute_url, contest_or_404, lines_css_url

RELAY = "gallery.relay_photo"
EMBED_COUNT = 24
RELAY_PAGE_SIZE = 50
# Any site may frame the embed: it shows only public photos and holds no form or action, so
# there is nothing to click-jack. Every other page keeps the default frame-ancestors 'self'.
EMBED_FRAME_ANCESTORS = ["*"]


relay_required = staff_permission_required(RELAY)


@require_GET
@xframe_options_exempt
# django-csp types its decorators for views without URL arguments, hence the ignore.
@csp_replace({"frame-ancestors": EMBED_FRAME_ANCESTORS})  # type: ignore[arg-type]
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    # Keyed by the gallery version like the gallery grid: an approval, refusal or hiding
    # bumps it, so a withdrawn photo never stays on someone else's site.
    key = f"gallery-embed:{contest.pk}:{contest.gallery_version}:{get_language()}"

    def render_embed() -> str:
        entries = selectors.latest_public(contest_id=contest.pk, count=EMBED_COUNT)
        # No request: the page is the same for everyone (no user, no CSRF token) so it can
        # be cached whole.
        return render_to_string(
            "gallery/embed.html",
            {
                "contest": contest,
                "items": [(e, selectors.renditions_by_spec(e.photo)) for e in entries],
            },
        )

    html = page_cache.fragment_get_or_render(
        key, render_embed, seconds=settings.GALLERY_CACHE_SECONDS
    )
    return HttpResponse(html)


@relay_required
@require_GET
def relay(request: HttpRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    page = Paginator(selectors.relay_entries(contest_id=contest.pk), RELAY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    embed_url = absolute_url(request, reverse("gallery:embed", args=[contest.slug]))
    title = f"{contest.title} · {_('Latest photos')}"
    # The host script by its unhashed name: the code pasted on another site outlives our
    # deploys (WhiteNoise serves that name too, with a short cache lifetime).
    host_script = absolute_url(request, settings.STATIC_URL + "js/embed-host.js")
    # HTML to copy, shown as text: a plain str, so the template escapes it once more. The
    # script sizes the frame to the photos; without it the frame keeps 600 px and scrolls.
    snippet = (
        f'<iframe src="{escape(embed_url)}" title="{escape(title)}" loading="lazy" '
        'width="100%" height="600"></iframe>\n'
        f'<script src="{escape(host_script)}" async></script>'
    )
    return render(
        request,
        "gallery/relay.html",
        {
            "contest": contest,
            "page": page,
            "items": [(e, selectors.renditions_by_spec(e.photo)) for e in page.object_list],
            "feed_url": absolute_url(request, reverse("gallery:feed", args=[contest.slug])),
            "embed_url": embed_url,
            "embed_count": EMBED_COUNT,
            "snippet": snippet,
            "line_stats": selectors.line_stats(
                contest_id=contest.pk, network_id=contest.network_id
            ),
            "lines_css": lines_css_url(contest.network_id),
        },
    )


@relay_required
@require_GET
def social_kit(request: HttpRequest, public_id: UUID) -> FileResponse:
    entry = selectors.public_entry(public_id=public_id)
    if entry is None:
        raise Http404
    try:
        data = services.photo_social_kit(entry=entry, base_url=request.build_absolute_uri("/"))
    except services.SocialKitUnavailable:
        raise Http404 from None
    name = services.social_kit_stem(slug=entry.contest.slug, public_id=public_id) + ".zip"
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=name, content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@relay_required
@require_GET
def vote_bursts(request: HttpRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    bursts = selectors.vote_bursts(contest_id=contest.pk, now=timezone.now())
    return render(request, "gallery/vote_bursts.html", {"contest": contest, "bursts": bursts})
