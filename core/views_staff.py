"""The staff sign-in, with a password, and the page listing a staff member's pages.

The admin's login URL serves this page too (core.admin_site): one staff sign-in, in the site's
look and language, whose lockout (django-axes, core.lockout) counts every attempt.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.access import signed_in_with_password
from core.roles import staff_homes


def staff_home_url(*, user: User) -> str:
    """Where a staff member's work starts: their role's page, or the list of their pages."""
    if user.is_superuser:
        return reverse("admin:index")
    homes = staff_homes(user=user)
    return homes[0].url if len(homes) == 1 else reverse("staff_home")


class StaffLoginView(LoginView):
    # Staff accounts only, with Django's own message for anyone else.
    authentication_form = AdminAuthenticationForm
    template_name = "core/staff_login.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Signed in with the password already: straight on. A session opened by a sign-in
        # link gets the form, for the password.
        if request.method == "GET" and signed_in_with_password(request):
            return HttpResponseRedirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        """No safe `next`: the page of the role that just signed in."""
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - called after a successful sign-in
        return staff_home_url(user=user)


staff_login = StaffLoginView.as_view()


@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    """The pages a staff member's roles open, for someone with several (or none)."""
    user = request.user
    if not signed_in_with_password(request) or not isinstance(user, User):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    return render(
        request,
        "core/staff_home.html",
        {"homes": staff_homes(user=user), "admin": user.is_superuser},
    )
