from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contest.models import Contest, Theme
from social.graph import USERNAME_RE
from social.models import SocialPost

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ScheduleForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), choices=SocialPost.Network.choices)
    crop = forms.ChoiceField(
        label=_("Crop"), choices=SocialPost.Crop.choices, initial=SocialPost.Crop.PORTRAIT
    )
    scheduled_at = forms.DateTimeField(
        label=_("Post at"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Empty: as soon as possible."),
    )

    def clean_scheduled_at(self) -> datetime | None:
        when: datetime | None = self.cleaned_data.get("scheduled_at")
        # A minute's slack: the time typed a moment ago is "now", not the past.
        if when is not None and when < timezone.now() - timedelta(minutes=1):
            raise forms.ValidationError(_("Choose a time in the future, or leave it empty."))
        return when


class ClaimForm(forms.Form):
    """What an upload asks, less the file: the image comes from the Instagram post. And
    the account it was posted from, which is checked before the post becomes an entry."""

    handle = forms.CharField(
        label=_("Your Instagram username"),
        max_length=31,
        help_text=_("The account this post was published from, as in @camille.photo."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    title = forms.CharField(label=_("Title"), max_length=80)
    caption = forms.CharField(
        label=_("Description"),
        max_length=300,
        help_text=_("What does the photo show? It is read aloud to blind visitors."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.none(), empty_label=_("Choose a theme")
    )

    def __init__(self, *args: Any, contest: Contest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        theme_field = cast(forms.ModelChoiceField, self.fields["theme"])
        theme_field.queryset = contest.themes.all()
        if not contest.themes.exists():
            del self.fields["theme"]

    def clean_handle(self) -> str:
        handle = str(self.cleaned_data["handle"]).strip().removeprefix("@")
        # Instagram's rules: letters, digits, periods and underscores, 30 at most.
        if not USERNAME_RE.fullmatch(handle):
            raise forms.ValidationError(
                _(
                    "An Instagram username has 30 characters at most: letters, digits, "
                    "periods (.) and underscores (_)."
                )
            )
        return handle.lower()  # Instagram usernames ignore case


class RefuseClaimForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
