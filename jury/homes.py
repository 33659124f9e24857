"""The jury's pages after the staff sign-in (core.roles.on_staff_homes): the chair's page of
each running contest, and a juror's work."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext as _

from contest.models import Contest
from core.roles import StaffHome
from jury.models import Juror

# A draft is not open to the chair's pages yet; an archived contest has no jury work left.
_RUNNING = (Contest.Status.OPEN, Contest.Status.JUDGING, Contest.Status.RESULTS)


def jury_homes(user: User) -> Iterator[StaffHome]:
    if user.has_perm("jury.chair_jury"):
        for contest in Contest.objects.filter(status__in=_RUNNING).order_by("-opens_at"):
            yield StaffHome(
                _("Jury of “%(contest)s”: chair's page") % {"contest": contest.title},
                reverse("jury:chair", args=[contest.slug]),
            )
    if user.has_perm("jury.judge_entry"):
        jurors = Juror.objects.filter(user=user, contest__status__in=_RUNNING)
        for juror in jurors.select_related("contest").order_by("-contest__opens_at"):
            yield StaffHome(
                _("Jury of “%(contest)s”: your photos to judge") % {"contest": juror.contest.title},
                reverse("jury:home", args=[juror.contest.slug]),
            )
