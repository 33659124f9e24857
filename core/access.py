"""Access to staff pages: one decorator for every staff role's permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse

View = Callable[..., HttpResponseBase]

# The backend that checked a password on the staff login. A session opened by an e-mailed
# sign-in link records django-sesame's instead: it proves a mailbox (which can be forwarded,
# shared or left open), not a staff member, so it opens no staff page. An allow-list, so that
# a backend added later opens none either until someone decides it should.
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # noqa: S105 - a dotted path


def signed_in_with_password(request: HttpRequest) -> bool:
    """Whether this session's user signed in on the staff login, with their password."""
    return (
        request.user.is_authenticated
        and request.session.get(BACKEND_SESSION_KEY) == PASSWORD_BACKEND
    )


def staff_permission_required(permission: str) -> Callable[[View], View]:
    """Staff holding `permission`, signed in with their password.

    Anyone else not signed in on the staff login (anonymous visitors, and staff who came
    through an e-mailed sign-in link) is sent there; signed-in staff without the permission
    get 403.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not signed_in_with_password(request):
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
