"""The moderators' page after the staff sign-in (core.roles.on_staff_homes)."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext as _

from core.roles import StaffHome


def moderator_homes(user: User) -> Iterator[StaffHome]:
    if user.has_perm("contest.moderate_entry"):
        yield StaffHome(_("Moderation queue"), reverse("moderation:queue"))
