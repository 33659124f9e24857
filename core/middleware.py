"""Refusals made before any view, or anything else, reads the request."""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation

from core.views import request_too_large


def declared_length(request: HttpRequest) -> int:
    """The Content-Length the client announced; 0 when absent or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django's own parsing refuses it later


class RequestSizeLimitMiddleware:
    """Answers 413 to a request announcing more than REQUEST_MAX_BYTES, from the header alone.

    Without it, Django spools a whole oversized upload to disk before any form can refuse
    it. It sits early in MIDDLEWARE, so the middleware inside it (LocaleMiddleware, the CSP)
    never sees the request: this one picks the visitor's language and sets the CSP itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if declared_length(request) <= settings.REQUEST_MAX_BYTES:
            return self.get_response(request)
        with translation.override(translation.get_language_from_request(request)):
            response: HttpResponse = request_too_large(request)
        response[CSP_HEADER] = build_policy()
        return response
