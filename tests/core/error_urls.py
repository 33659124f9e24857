"""The site's URLs and error handlers, plus pages that fail or refuse on purpose."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from config import urls as site


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def _rate_limited(request: HttpRequest) -> HttpResponse:
    return render(request, "429.html", status=429)


def _locked_out(request: HttpRequest) -> HttpResponse:
    # What django-axes passes to AXES_LOCKOUT_TEMPLATE (axes.helpers.get_lockout_response).
    context = {
        "failure_limit": 5,
        "username": "staff@reseau.example",
        "cooloff_time": "PT30M",
        "cooloff_timedelta": timedelta(minutes=30),
    }
    return render(request, "429.html", context, status=429)


handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500

urlpatterns = [
    *site.urlpatterns,
    path("test/fails/", _fails),
    path("test/rate-limited/", _rate_limited),
    path("test/locked-out/", _locked_out),
]
