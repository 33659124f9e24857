"""Marketing's dashboard among their pages after the staff sign-in (core.roles)."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext as _

from contest.models import Contest
from core.roles import StaffHome
from dashboard.views import DASHBOARD

_RUNNING = (Contest.Status.OPEN, Contest.Status.JUDGING, Contest.Status.RESULTS)


def dashboard_homes(user: User) -> Iterator[StaffHome]:
    if not user.has_perm(DASHBOARD):
        return
    for contest in Contest.objects.filter(status__in=_RUNNING).order_by("-opens_at"):
        yield StaffHome(
            _("Dashboard of “%(contest)s”") % {"contest": contest.title},
            reverse("dashboard:dashboard", args=[contest.slug]),
        )
