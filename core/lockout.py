"""The staff login's lockout (django-axes): which attempts it counts and refuses.

Only password attempts, made on the staff login: a sign-in link's token is signed and cannot
be guessed, so counting its failures (links expired or used up) would only let riders' old
e-mails lock the staff out of a shared address, such as an office's.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class PasswordLockoutBackend(AxesStandaloneBackend):
    """Axes' check, refusing a locked-out password attempt before the password is checked.

    Its signature takes no other credentials on purpose: Django then skips this backend for a
    sign-in link's token (`sesame=`), which is checked without a request, where axes' own
    backend would raise.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        super().authenticate(request, username=username, password=password)


def lockout_exempt(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """AXES_WHITELIST_CALLABLE: attempts that carry no password are neither counted nor refused."""
    return not (credentials or {}).get("password")
