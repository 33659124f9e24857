"""Who may open the jury's pages.

Jurors sign in by link (they have no password): their pages check that the user sits on
this contest's jury and holds `jury.judge_entry`, and open nothing else. The chair's and the
results pages are staff pages: they need the password login (core.access).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from contest.models import Contest
from contest.selectors import contest_get_public
from core.access import staff_permission_required
from jury.models import Juror
from jury.selectors import juror_of

View = Callable[..., HttpResponseBase]

chair_required = staff_permission_required("jury.chair_jury")
results_required = staff_permission_required("jury.view_results")


def contest_or_404(slug: str) -> Contest:
    contest = contest_get_public(slug=slug)
    if contest is None:
        raise Http404
    return contest


def juror_required(view: View) -> View:
    """Calls `view(request, juror, *args)` for a juror of the contest named by `slug`."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        contest = contest_or_404(slug)
        if not request.user.is_authenticated:
            return redirect(
                reverse("contest:signin") + "?" + urlencode({"next": request.get_full_path()})
            )
        juror: Juror | None = juror_of(contest=contest, user_id=request.user.pk)
        if juror is None or not request.user.has_perm("jury.judge_entry"):
            raise PermissionDenied
        return view(request, juror, *args, **kwargs)

    return wrapper
