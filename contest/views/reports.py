"""The public "report this photo" page."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from contest.forms import ReportForm
from contest.network import client_ip
from contest.selectors import thumbs_of
from contest.services import reports


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, public_id: UUID) -> HttpResponse:
    entry = reports.entry_get_reportable(public_id=public_id)
    if entry is None:
        raise Http404
    form = ReportForm(request.POST or None)
    context = {"entry": entry, "thumbs": thumbs_of(entry), "form": form}
    if request.method != "POST":
        return render(request, "contest/report.html", context)
    if form.is_valid():
        try:
            reports.entry_report(
                entry=entry,
                reason=form.cleaned_data["reason"],
                message=form.cleaned_data["message"],
                email=form.cleaned_data["email"],
                language=get_language(),
                ip_address=client_ip(request),
            )
        except reports.ReportRateLimited:
            context["rate_limited"] = True
            return render(request, "contest/report.html", context, status=429)
        return render(
            request,
            "contest/report_done.html",
            {"entry": entry, "email": form.cleaned_data["email"]},
        )
    return render(request, "contest/report.html", context, status=400)
