"""The public "report this photo" page."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from contest.models import EntryReport
from contest.selectors import thumbs_of
from contest.services import reports


class ReportForm(forms.Form):
    # Kept beside its only view: contest/forms.py is being reworked for moderation.
    reason = forms.ChoiceField(
        label=_("What is wrong with this photo?"),
        choices=EntryReport.Reason.choices,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        required=False,
        help_text=_("Optional: to be told what the moderators decided."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


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
                ip_address=request.META.get("REMOTE_ADDR") or None,
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
