"""Renditions and branding images from local disk, for the dev run and the browser tests.

Production never comes here: the media host (nginx, deploy/nginx/coverline-media.inc) or the
bucket's CDN serves them with the same Cache-Control.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.static import serve

# A stored rendition or branding image never changes under its name: a new one gets a new
# name (photos.services._rendition_save adds a random part, contest.admin a hash of the
# content), so a phone may keep it for a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"
# Only these folders of MEDIA_ROOT are public; the originals live elsewhere and never here.
PUBLIC_MEDIA_PATTERN = r"^media/(?P<path>(?:renditions|branding)/.*)$"


def media_serve(request: HttpRequest, path: str) -> HttpResponseBase:
    """A file of MEDIA_ROOT's public folders, to be kept for a year (404 when missing)."""
    # MEDIA_ROOT read at each request: each test has its own, under one live server.
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    # On the 304 too, so a revalidated copy keeps its lifetime.
    response["Cache-Control"] = IMMUTABLE
    return response
