"""The site's URLs plus the renditions from this test's media folder, as the dev run has.

The live server outlives any one test, and each test has its own MEDIA_ROOT: the folder is
read from the settings at request time, not at import.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.static import serve

from config.urls import urlpatterns as site_urlpatterns


def _rendition(request: HttpRequest, path: str) -> HttpResponse:
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Same pattern as config/urls.py with SERVE_MEDIA on: renditions only, never originals.
urlpatterns = [*site_urlpatterns, re_path(r"^media/(?P<path>renditions/.*)$", _rendition)]
