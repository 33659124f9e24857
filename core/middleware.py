"""What runs before any view, or anything else, reads the request: its id, size refusals."""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation

from core.logging import current_request_id, new_request_id, valid_request_id
from core.ratelimit import RateLimited
from core.views import request_too_large, too_many_requests


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


class RequestIdMiddleware:
    """Names each request: the proxy's X-Request-ID when well-formed, else a new one.

    The id goes back in the response's X-Request-ID and onto every log record made while
    the request runs (core.logging.RequestIdFilter), and into the headers of the tasks it
    enqueues (config/celery.py), so one id follows an upload from nginx's access log to the
    worker that made its renditions. First in MIDDLEWARE, so even a refusal carries it.

    The id is dropped when the response is closed (request_finished), not on the way out
    of this middleware: Django logs a 4xx/5xx ("Not Found: /x") after every middleware has
    returned, and a streamed response (a ZIP download) is written out after that.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        request_finished.connect(_forget_request_id, dispatch_uid="core.request_id")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = valid_request_id(request.META.get("HTTP_X_REQUEST_ID")) or new_request_id()
        current_request_id.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _forget_request_id(**_kwargs: object) -> None:
    current_request_id.set(None)


class RateLimitMiddleware:
    """Answers 429 (core.views.too_many_requests) to a rate limit that a view let through.

    So a view that has nothing to add to the refusal just calls its service; one that keeps
    a form on screen catches the error itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception)
        return None
