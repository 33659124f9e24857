"""The site's URLs plus the renditions from this test's media folder, as the dev run has.

The live server outlives any one test, and each test has its own MEDIA_ROOT: the folder is
read from the settings at request time, not at import.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path

from config.urls import urlpatterns as site_urlpatterns
from core.media import PUBLIC_MEDIA_PATTERN, media_serve


def _inline_style(request: HttpRequest) -> HttpResponse:
    """A page breaking the site's CSP, under the site's headers: the error watcher's own test."""
    return HttpResponse(
        '<!doctype html><html lang="fr"><head><title>Style</title>'
        "<style>p { color: red; }</style></head>"
        '<body><p style="color: red">Style en ligne</p>'
        '<a href="/test/style-en-ligne/" target="_blank">Onglet</a></body></html>'
    )


# Same pattern as config/urls.py with SERVE_MEDIA on: renditions only, never originals.
urlpatterns = [
    *site_urlpatterns,
    re_path(PUBLIC_MEDIA_PATTERN, media_serve),
    path("test/style-en-ligne/", _inline_style),
]
