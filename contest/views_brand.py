"""The contest's colours as a tiny stylesheet (the CSP allows no inline style)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from contest import selectors

YEAR = 365 * 24 * 3600


@require_GET
def brand_css(request: HttpRequest, slug: str) -> HttpResponse:
    contest = selectors.contest_get_public(slug=slug)
    if contest is None:
        raise Http404
    main, text = contest.brand_colours  # always #rrggbb: nothing else reaches the CSS
    on_page = contest.brand_text_colour_on_page
    response = HttpResponse(
        f":root {{ --brand: {main}; --brand-ink: {text}; --brand-text: {on_page}; }}\n",
        content_type="text/css",
    )
    # The page links it with the colours' key: that URL never changes content.
    if request.GET.get("v") == contest.brand_css_version:
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response["Cache-Control"] = "public, max-age=300"
    return response
