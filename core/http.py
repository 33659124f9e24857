"""Request types for views: what the middleware adds, so that views need no `type: ignore`."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """Any request, as seen after django-htmx's middleware."""

    htmx: HtmxDetails
    user: User | AnonymousUser


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request of a signed-in user: for views behind login_required or a staff check."""

    user: User
