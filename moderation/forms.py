"""Forms of the moderation pages: they parse, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from contest.models import Contest, Entry, Theme
from moderation.models import EntryReport
from moderation.selectors import QUEUE_STATES, QueueFilters

STATE_LABELS = {
    "pending": _("To moderate"),
    "flagged": _("Reported by the public"),
    "approved": _("Approved"),
    "refused": _("Refused"),
    "all": _("All"),
}


class QueueFilterForm(forms.Form):
    contest = forms.ModelChoiceField(
        label=_("Contest"), queryset=Contest.objects.all(), required=False, empty_label=_("All")
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.all(), required=False, empty_label=_("All")
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[(state, STATE_LABELS[state]) for state in QUEUE_STATES],
        required=False,
    )
    duplicates = forms.BooleanField(label=_("Possible duplicates only"), required=False)

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            contest_id=data["contest"].pk if data.get("contest") else None,
            theme_id=data["theme"].pk if data.get("theme") else None,
            state=data.get("state") or "pending",
            duplicates_only=bool(data.get("duplicates")),
        )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    version = forms.IntegerField(min_value=0)
    renditions = forms.CharField(max_length=64, required=False)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=Entry.Reason.choices, required=False, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note to the participant"), max_length=300, required=False)
    # Sent by the "approve anyway" button shown once the moderator was told of a look-alike.
    duplicate_confirmed = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "refuse":
            if not data.get("reason"):
                self.add_error("reason", _("Pick a reason."))
            elif data["reason"] == Entry.Reason.OTHER and not (data.get("note") or "").strip():
                self.add_error("note", _("Say why in a few words."))
        return data


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    reason = forms.ChoiceField(choices=[("", "—"), *Entry.Reason.choices], required=False)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.picks: list[tuple[int, int, str]] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for raw in self.data.getlist("pick") if hasattr(self.data, "getlist") else []:
            try:
                entry_id, version, seen = raw.split(":", 2)
                self.picks.append((int(entry_id), int(version), seen))
            except ValueError:
                continue
        if not self.picks:
            raise forms.ValidationError(_("Select at least one photo."))
        if data.get("action") == "refuse" and not data.get("reason"):
            self.add_error("reason", _("Pick a reason."))
        if data.get("reason") == Entry.Reason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why in a few words."))
        return data


class ReportForm(forms.Form):
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
