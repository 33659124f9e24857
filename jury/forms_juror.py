"""Forms of the jurors' pages: they parse; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jury.models import Round
from jury.selectors import JurorTask


class VoteForm(forms.Form):
    """A vote as posted: the version seen, and a value (yes/no, stars) or one score per
    criterion. Out-of-range or missing values are the service's to refuse, in its words."""

    version = forms.IntegerField(min_value=0)
    value = forms.IntegerField(required=False)
    next = forms.CharField(required=False, max_length=300)

    def __init__(self, *args: Any, round: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = [str(c["code"]) for c in round.criteria] if round.criteria else []
        for code in self.codes:
            self.fields[f"score-{code}"] = forms.IntegerField(required=False)

    def value_and_scores(self) -> tuple[float | None, dict[str, float]]:
        data = self.cleaned_data
        scores = {
            code: float(data[f"score-{code}"])
            for code in self.codes
            if data.get(f"score-{code}") is not None
        }
        value = data.get("value")
        return (None if value is None else float(value)), scores


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Your note (seen by the jury only)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    for_report = forms.BooleanField(label=_("Include in the jury report"), required=False)


class RecuseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300)


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1, required=False)


class RankingForm(forms.Form):
    """One rank number per photo of the juror's list; equal numbers are a tie."""

    def __init__(self, *args: Any, tasks: Sequence[JurorTask], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tasks = list(tasks)
        for task in self.tasks:
            self.fields[self.field_name(task.round_entry_id)] = forms.IntegerField(
                label=_("Rank"), min_value=1, max_value=max(1, len(self.tasks))
            )

    @staticmethod
    def field_name(round_entry_id: int) -> str:
        return f"rank-{round_entry_id}"

    def groups(self) -> list[list[int]]:
        """Round entry ids grouped by equal rank, best (lowest number) first."""
        by_rank: dict[int, list[int]] = {}
        for task in self.tasks:
            rank = self.cleaned_data[self.field_name(task.round_entry_id)]
            by_rank.setdefault(rank, []).append(task.round_entry_id)
        return [sorted(by_rank[rank]) for rank in sorted(by_rank)]
