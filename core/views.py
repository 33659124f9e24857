"""The error pages, in the site's look and the visitor's language (config/urls.py wires them)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

from core.ratelimit import RateLimited

logger = logging.getLogger(__name__)

# The last resort when even 500.html fails: no template, no translation, both languages.
PLAIN_SERVER_ERROR = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
    "<title>Erreur du serveur · Coverline</title></head><body>"
    "<h1>Erreur du serveur</h1><p>Réessayez dans quelques minutes.</p>"
    '<p><a href="/">Retour à l\'accueil</a></p>'
    '<h2 lang="en">Server error</h2><p lang="en">Try again in a few minutes.</p>'
    '<p lang="en"><a href="/">Back to the home page</a></p></body></html>'
)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Malformed requests, such as a multipart post Django's parser refuses."""
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the 403 page, told that the form rather than the visitor is at fault."""
    return render(request, "403.html", {"csrf_failed": True}, status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, which must not raise: an error here would reach the visitor bare.

    No context processors: the session, the user or the database may be what failed. The
    language is still the visitor's (LocaleMiddleware ran before the view), and the CSRF
    token, taken from the cookie alone, keeps the language switch working.
    """
    try:
        return HttpResponseServerError(
            loader.render_to_string("500.html", {"csrf_token": get_token(request)})
        )
    except Exception:
        logger.exception("The 500 page could not be rendered")
        return HttpResponseServerError(PLAIN_SERVER_ERROR)


def request_too_large(request: HttpRequest) -> HttpResponse:
    """The 413 page of RequestSizeLimitMiddleware; no view has run and the body is unread."""
    mib = 1024 * 1024
    context = {
        "max_mb": settings.REQUEST_MAX_BYTES // mib,
        "photo_mb": settings.PHOTO_MAX_BYTES // mib,
    }
    return render(request, "413.html", context, status=413)


def too_many_requests(
    request: HttpRequest,
    limited: RateLimited,
    *,
    template: str | None = None,
    context: dict[str, Any] | None = None,
    back_url: str = "",
) -> HttpResponse:
    """The 429 answer to a rate limit, with Retry-After in seconds.

    `template`: a page of the action's own that shows `limited.message` (a form keeps what
    was typed); by default the 429 page, or for htmx its fragment, which the page shows in
    place (the upload form in its status line). `back_url`: where the page leads back to; by
    default the page the visitor came from, when it is one of ours.
    """
    if template is None:
        template = "fragment_rate_limited.html" if getattr(request, "htmx", False) else "429.html"
    came_from = request.headers.get("HX-Current-URL") or request.headers.get("Referer", "")
    if not back_url and url_has_allowed_host_and_scheme(
        came_from, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back_url = came_from
    response = render(
        request,
        template,
        {**(context or {}), "limited": limited, "back_url": back_url},
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    # The wait is this visitor's, now: no cache along the way may keep it.
    response["Cache-Control"] = "private, no-store"
    return response
