"""The admin site, open only to staff signed in with their password."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from core.access import signed_in_with_password


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        # A session opened by a sign-in link is sent to the login page for the password.
        return super().has_permission(request) and signed_in_with_password(request)
