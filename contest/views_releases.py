"""Pages of the releases (contest.releases): the rider names the person in their photo,
and that person (or their parent) confirms or refuses by the e-mailed link."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from contest import releases
from contest.forms import ReleaseForm
from contest.models import Contest, Participant
from contest.views import _base_url, contest_step
from core.http import AuthenticatedHttpRequest
from photos.selectors import renditions_by_spec

USE_LABELS = {
    "gallery": gettext_lazy("The public online gallery"),
    "social": gettext_lazy("The network's social media accounts"),
    "print": gettext_lazy("The cover of a printed timetable guide"),
}


@contest_step
@require_http_methods(["GET", "POST"])
def release_request(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant, entry_id: int
) -> HttpResponse:
    """The rider says who is in their photo; the person is e-mailed a link to confirm."""
    release = releases.release_of_participant(participant=participant, entry_id=entry_id)
    if release is None or release.entry.contest_id != contest.pk:
        raise Http404
    back = redirect("contest:my_entries", slug=contest.slug)
    if release.state == release.State.CONFIRMED:
        messages.info(request, _("The release of this photo is already confirmed."))
        return back
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            releases.release_request(
                participant=participant,
                entry_id=entry_id,
                depicted=releases.Depicted(
                    name=data["name"],
                    email=data["email"],
                    age_bracket=data["age_bracket"],
                    parent_name=data.get("parent_name") or "",
                    parent_email=data.get("parent_email") or "",
                ),
                language=get_language(),
                base_url=_base_url(request),
            )
        except releases.ReleaseRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("We sent the link. The photo can be printed once the person confirms."),
            )
            return back
    return render(
        request,
        "contest/release_request.html",
        {
            "contest": contest,
            "release": release,
            "entry": release.entry,
            "form": form,
            "display": renditions_by_spec(release.entry.photo).get("display", {}),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def release_answer(request: HttpRequest, token: str) -> HttpResponse:
    """Where the person's link lands. GET shows the photo, the uses and the two buttons
    (mail scanners open links too); the post records the answer."""
    try:
        if request.method == "POST":
            if request.POST.get("answer") == "refuse":
                release = releases.release_refuse(token=token)
            else:
                release = releases.release_confirm(token=token)
            return render(request, "contest/release_done.html", {"release": release})
        release = releases.release_from_token(token=token)
    except releases.ReleaseLinkInvalid as exc:
        return render(request, "contest/release_invalid.html", {"reason": exc.message}, status=400)
    entry = release.entry
    return render(
        request,
        "contest/release_answer.html",
        {
            "release": release,
            "entry": entry,
            "contest": entry.contest,
            "display": renditions_by_spec(entry.photo).get("display", {}),
            "uses": [USE_LABELS[code] for code in releases.release_uses(release)],
        },
    )
