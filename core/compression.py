"""Gzip for text responses (HTML pages, and CSS and JS where nothing compressed them first).

Django's GZipMiddleware compresses every response of 200 bytes or more; this one leaves out
what is already compressed (photos, WebP, a file whitenoise sent as .gz) and partial or
empty answers, where gzip only costs CPU or breaks a byte range.

BREACH (a compressed page that reflects input beside a secret): the secret here is the CSRF
token, and Django masks it with a new random salt in every response, so its bytes never
repeat from one response to the next for an attacker to guess by the compressed length;
Django's GZipMiddleware also pads each gzip response with random bytes (Django 4.2, "Heal the
BREACH"). Session cookies are headers, never compressed.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# Text worth compressing (the content type's part before any ";").
COMPRESSIBLE = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
        "text/calendar",
        "text/css",
        "text/csv",
        "text/html",
        "text/javascript",
        "text/plain",
        "text/xml",
    }
)


class TextGZipMiddleware(GZipMiddleware):
    """GZipMiddleware for text responses only (COMPRESSIBLE), whole and successful."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if response.status_code != 200 or content_type not in COMPRESSIBLE:
            return response
        return super().process_response(request, response)
