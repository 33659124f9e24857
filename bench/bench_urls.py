"""The site's URLs plus bare views, for bench/gallery.py and bench/dashboard.py
(ROOT_URLCONF=bench.bench_urls).

The bare view is the floor of the same server: it goes through the same gunicorn and the
same middleware, and answers a fixed body of BENCH_BARE_BYTES (the gallery page's size), with
no database, cache or template.
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from config.urls import urlpatterns as site_urlpatterns

BARE_PATH = "bench/bare/"
_SIZE = int(os.environ.get("BENCH_BARE_BYTES", "40000"))
_HEAD = b"<!doctype html>\n<html lang=fr><title>bare</title><body><pre>\n"
_BODY = _HEAD + b"x" * max(0, _SIZE - len(_HEAD))
# The photo page's size, for its own baseline (bench/gallery.py).
_PHOTO_SIZE = int(os.environ.get("BENCH_BARE_PHOTO_BYTES", "6000"))
_PHOTO_BODY = _HEAD + b"x" * max(0, _PHOTO_SIZE - len(_HEAD))


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_BODY, content_type="text/html; charset=utf-8")


def bare_photo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_PHOTO_BODY, content_type="text/html; charset=utf-8")


def count(request: HttpRequest, contest_id: int) -> HttpResponse:
    """bench/dashboard.py's baseline: one COUNT of a contest's entries, no template."""
    from contest.models import Entry

    entries = Entry.objects.filter(contest_id=contest_id).count()
    return HttpResponse(f"{entries}", content_type="text/plain; charset=utf-8")


# Last, as the gallery's URLs are last in config/urls.py: the bare view pays for the same
# URL resolving as the pages it is compared with.
urlpatterns: list[URLPattern | URLResolver] = [
    *site_urlpatterns,
    path(BARE_PATH, bare),
    path(BARE_PATH + "photo/", bare_photo),
    path("bench/count/<int:contest_id>/", count),
]
