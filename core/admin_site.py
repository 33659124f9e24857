"""The admin site, open only to staff signed in with their password."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from core.access import signed_in_with_password
from core.views_staff import staff_login


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        # A session opened by a sign-in link is sent to the login page for the password.
        return super().has_permission(request) and signed_in_with_password(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The staff sign-in of the whole site, at the admin's login URL: one page, one lockout."""
        # A page or a redirect, both HttpResponse; as_view() is typed more loosely.
        return cast(HttpResponse, staff_login(request))
