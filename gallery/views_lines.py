"""The gallery by transit line: a landing page per line, and the lines' badge colours as a
stylesheet (the CSP allows no inline style)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gallery import selectors, services
from gallery.views import (
    PublicRequest,
    _grid_html,
    absolute_url,
    contest_or_404,
    line_number,
    lines_css_url,
    share_meta,
)
from transit import badges

YEAR = 365 * 24 * 3600


@require_GET
def lines_css(request: HttpRequest, network: str) -> HttpResponse:
    colours = selectors.network_line_colours(network_slug=network)
    if not colours.rows:
        raise Http404
    response = HttpResponse(badges.lines_stylesheet(colours.rows), content_type="text/css")
    # Pages link it with the colours' version: that URL never changes content.
    if request.GET.get("v") == badges.stylesheet_version(colours.rows):
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def line(request: PublicRequest, slug: str, line_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    line = selectors.contest_line(network_id=contest.network_id, line_id=line_id)
    if line is None:
        raise Http404
    params = {
        "order": "recent",
        "theme_id": None,
        "line_id": line.pk,
        "cursor": "",
        "start": 0,
    }
    number = line_number(line)
    title = _("Line %(number)s") % {"number": number}
    url = reverse("gallery:line", args=[contest.slug, line.pk])
    return render(
        request,
        "gallery/line.html",
        {
            "contest": contest,
            "line": line,
            "title": title,
            "share": share_meta(
                request,
                url=url,
                title=f"{title} · {contest.title}",
                description=_("The riders' photos of line %(number)s for %(title)s.")
                % {"number": number, "title": contest.title},
                image=services.contest_share_image(contest=contest),
                site_name=contest.brand_name,
            ),
            "feed_url": absolute_url(request, reverse("gallery:feed", args=[contest.slug])),
            "lines_css": lines_css_url(contest.network_id),
            "stops": selectors.line_stops_with_photos(contest_id=contest.pk, line_id=line.pk),
            # The grid of the gallery filtered to the line: same cache entry, same "load more".
            "grid": _grid_html(contest, params),
        },
    )
