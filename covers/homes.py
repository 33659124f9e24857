"""Marketing's pages after the staff sign-in (core.roles.on_staff_homes): for each running
contest, the relay, the covers and the jury's results.

Here, at the top of the stack, because the three belong to three apps (gallery, covers, jury).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext as _

from contest.models import Contest
from core.roles import StaffHome

_RUNNING = (Contest.Status.OPEN, Contest.Status.JUDGING, Contest.Status.RESULTS)


def marketing_homes(user: User) -> Iterator[StaffHome]:
    # The relay is marketing's own; the chair, who also edits covers, has the chair's page.
    if not user.has_perm("gallery.relay_photo"):
        return
    for contest in Contest.objects.filter(status__in=_RUNNING).order_by("-opens_at"):
        names = {"contest": contest.title}
        yield StaffHome(
            _("Relay of “%(contest)s”") % names, reverse("gallery:relay", args=[contest.slug])
        )
        if user.has_perm("covers.edit_covers"):
            yield StaffHome(
                _("Covers of “%(contest)s”") % names,
                reverse("covers:overview", args=[contest.slug]),
            )
        if user.has_perm("jury.view_results"):
            yield StaffHome(
                _("Jury results of “%(contest)s”") % names,
                reverse("jury:results", args=[contest.slug]),
            )
