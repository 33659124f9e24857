"""Forms of the chair's pages: they parse what the chair typed; the services decide."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from contest.exclusion import ExclusionListError, normalise_domain
from jury.models import Round
from jury.selectors import ResultRow

MAX_CRITERIA = 8
Criterion = dict[str, object]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Juror's e-mail address"), max_length=254)


class PanelForm(forms.Form):
    staff_domain = forms.CharField(
        label=_("Staff e-mail domain"),
        max_length=100,
        required=False,
        help_text=_("For example reseau.example: its jurors never judge photos sent from it."),
    )

    def clean_staff_domain(self) -> str:
        # The same parsing as the contest's staff exclusion list (contest.exclusion).
        value = self.cleaned_data["staff_domain"]
        if not value.strip():
            return ""
        try:
            return normalise_domain(value)
        except ExclusionListError:
            raise forms.ValidationError(_("Give a domain such as reseau.example.")) from None


def parse_criteria(text: str) -> list[Criterion]:
    """Lines "label | weight" (weight 1 when left out) as the round's criteria.

    Each gets a code made from its label, unique in the round: the scores export names the
    criteria by it.
    """
    criteria: list[Criterion] = []
    codes: set[str] = set()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_CRITERIA:
        raise forms.ValidationError(
            _("At most %(n)s criteria."), params={"n": MAX_CRITERIA}, code="too_many"
        )
    for number, line in enumerate(lines, start=1):
        label, _bar, weight_text = (part.strip() for part in line.partition("|"))
        try:
            weight = float(weight_text.replace(",", ".")) if weight_text else 1.0
        except ValueError:
            weight = math.nan
        if not label or len(label) > 60 or not math.isfinite(weight) or not 0 < weight <= 100:
            raise forms.ValidationError(
                _(
                    "Line %(n)s: write a label (at most 60 characters), then | and a weight "
                    "above 0, for example “Light | 2”."
                ),
                params={"n": number},
                code="line",
            )
        base = slugify(label)[:20] or f"c{number}"
        code, suffix = base, 2
        while code in codes:
            code, suffix = f"{base}-{suffix}", suffix + 1
        codes.add(code)
        criteria.append({"code": code, "label": label, "weight": weight})
    return criteria


def format_criteria(criteria: Sequence[Criterion]) -> str:
    """Criteria as the chair types them (parse_criteria's input): to start from last year's."""
    lines = []
    for criterion in criteria:
        weight = float(str(criterion.get("weight", 1) or 1))
        lines.append(f"{criterion['label']} | {weight:g}")
    return "\n".join(lines)


class RoundForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of round"), choices=Round.Kind.choices, widget=forms.RadioSelect
    )
    quorum = forms.IntegerField(
        label=_("Jurors per photo"),
        min_value=1,
        max_value=50,
        initial=3,
        help_text=_("Ranking rounds give every juror the whole list."),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    criteria = forms.CharField(
        label=_("Criteria (rating rounds)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One criterion a line, “label | weight”, for example “Light | 2”. Left empty: "
            "one rating from 1 to 5 stars."
        ),
    )

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline <= timezone.now():
            raise forms.ValidationError(_("Choose a deadline in the future."))
        return deadline

    def clean_criteria(self) -> list[Criterion]:
        return parse_criteria(self.cleaned_data.get("criteria") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") != Round.Kind.RATING:
            data["criteria"] = []
        return data


class QuorumForm(forms.Form):
    quorum = forms.IntegerField(label=_("Jurors per photo"), min_value=1, max_value=50)


class CutForm(forms.Form):
    """The cut chosen in the threshold preview: one of its values, or another one typed."""

    cut = forms.CharField(max_length=40)
    other_cut = forms.FloatField(label=_("Another cut"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("cut")
        try:
            value = data.get("other_cut") if raw == "other" else float(str(raw))
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            raise forms.ValidationError(_("Choose a cut in the list."))
        data["value"] = value
        return data


class DisqualifyForm(forms.Form):
    disqualified = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class _Ids(forms.TypedMultipleChoiceField):
    """Round entry ids. Not checked against today's candidates: the service keeps only
    those the rules still exclude, so a preview gone stale meanwhile is harmless."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


class RulesForm(forms.Form):
    """The entries of the rules' preview that the chair keeps ticked."""

    pick = _Ids(coerce=int, required=False)


class CastingForm(forms.Form):
    """A place for each photo tied for first; each place once."""

    def __init__(self, *args: Any, tied: Sequence[ResultRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = [(str(n), str(n)) for n in range(1, len(tied) + 1)]
        for position, row in enumerate(tied, start=1):
            self.fields[f"place_{row.round_entry_id}"] = forms.TypedChoiceField(
                label=f"{row.code} · {row.title}",
                choices=places,
                coerce=int,
                initial=str(position),
            )
        self.tied = list(tied)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        places = [data.get(f"place_{row.round_entry_id}") for row in self.tied]
        if None in places or len(set(places)) != len(places):
            raise forms.ValidationError(_("Give each photo a different place."))
        return data

    @property
    def order(self) -> list[int]:
        """Round entry ids, first place first."""
        return [
            row.round_entry_id
            for row in sorted(
                self.tied, key=lambda row: self.cleaned_data[f"place_{row.round_entry_id}"]
            )
        ]

    def fields_of(self) -> list[forms.BoundField]:
        return [self[f"place_{row.round_entry_id}"] for row in self.tied]
