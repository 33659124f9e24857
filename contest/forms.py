"""Forms parse and check the input; the rules that need the database live in services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from contest.models import Contest, Entry, Participant, Theme
from photos import imaging
from photos.services import upload_policy
from transit import selectors as transit
from transit.gtfs import search_key
from transit.models import Line

REJECTION_MESSAGES = {
    "empty": _("The file is empty."),
    "too_large": _("The file is larger than %(max_mb)s MB."),
    "unsupported_format": _(
        "This file is not a photo we accept: send a JPEG, PNG, WebP, HEIC or AVIF photo."
    ),
    "too_many_pixels": _(
        "The photo has %(megapixels)s megapixels; the maximum is %(max_megapixels)s."
    ),
    "too_small": _(
        "The photo is %(width)s×%(height)s pixels; its shorter side must be at least "
        "%(min_side)s pixels."
    ),
    "corrupt": _("The file is damaged or incomplete: send it again."),
}


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class ProfileForm(forms.ModelForm):
    age_bracket = forms.ChoiceField(
        label=_("Your age"),
        choices=Participant.AgeBracket.choices,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Participant
        fields = ("credit_name", "age_bracket", "parent_email")
        labels = {
            "credit_name": _("Name shown with your photo"),
            "parent_email": _("Your parent's e-mail address"),
        }
        help_texts = {
            "credit_name": _('Your first name and initial, for example "Camille D."'),
            "parent_email": _("Under 15, a parent must agree: we send them a link to confirm."),
        }
        widgets = {"credit_name": forms.TextInput(attrs={"autocomplete": "nickname"})}

    def __init__(self, *args: Any, own_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_email = own_email.lower()
        self.fields["credit_name"].required = True

    def clean_credit_name(self) -> str:
        name = " ".join(self.cleaned_data["credit_name"].split())
        if len(name) < 2:
            raise ValidationError(_("Give at least two letters."))
        if "@" in name or "://" in name:
            raise ValidationError(_("Give a name, not an address."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("age_bracket") == Participant.AgeBracket.UNDER_15:
            parent = (data.get("parent_email") or "").lower()
            if not parent:
                self.add_error("parent_email", _("Under 15, give a parent's e-mail address."))
            elif parent == self.own_email:
                self.add_error("parent_email", _("Give your parent's address, not your own."))
        return data


class ConsentForm(forms.Form):
    accept_rules = forms.BooleanField(label=_("I have read and accept the rules."))
    allows_gallery = forms.BooleanField(
        required=False,
        label=_("My photos may be shown in the public online gallery."),
    )
    allows_social = forms.BooleanField(
        required=False,
        label=_("My photos may be posted on the network's social media accounts."),
    )
    allows_print = forms.BooleanField(
        required=False,
        label=_("My photos may be printed on the cover of a timetable guide."),
    )

    def __init__(self, *args: Any, contest: Contest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for flag, field in (
            ("asks_gallery_use", "allows_gallery"),
            ("asks_social_use", "allows_social"),
            ("asks_print_use", "allows_print"),
        ):
            if not getattr(contest, flag):
                del self.fields[field]


class PlaceFields(forms.Form):
    """Optional line and stop where the photo was taken, from the contest's network.

    Without JavaScript: a select of the lines and the stop's name, resolved here. With it,
    static/js/combobox.js turns both into pickers and puts the chosen stop's id in stop_id.
    Whether the line serves the stop is the service's rule (contest.services).
    """

    line = forms.ModelChoiceField(
        label=_("Line"),
        queryset=Line.objects.none(),
        required=False,
        empty_label=_("No line"),
    )
    stop = forms.CharField(
        label=_("Stop"),
        max_length=255,
        required=False,
        help_text=_("The stop's name, for example “Commerce”."),
    )
    stop_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def setup_place(self, *, contest: Contest, current: Entry | None = None) -> None:
        """Fills the pickers from the contest's network, or removes them when it has none."""
        self.network = contest.network
        self.current_stop = current.stop if current else None
        if self.network is None:
            for name in ("line", "stop", "stop_id"):
                del self.fields[name]
            return
        lines = transit.lines_offered(network=self.network)
        if current is not None and current.line_id is not None:
            # A line gone from the latest feed stays the entry's own, and can be kept.
            lines = Line.objects.filter(pk=current.line_id) | lines
        line_field = cast(forms.ModelChoiceField, self.fields["line"])
        line_field.queryset = lines
        slug = self.network.slug
        line_field.widget.attrs.update(
            {
                "class": "line-select",
                "data-suggest": reverse("transit:lines_suggest", args=[slug]),
            }
        )
        self.fields["stop"].widget.attrs.update(
            {
                "class": "stop-input",
                "autocomplete": "off",
                "data-suggest": reverse("transit:stops_suggest", args=[slug]),
            }
        )
        self.fields["stop_id"].widget.attrs.update({"class": "stop-id"})

    def clean_stop_id(self) -> int | None:
        value = self.cleaned_data.get("stop_id")
        return value if value and value > 0 else None

    def _resolve_stop(self) -> None:
        """Turns the stop's name (or the id the picker chose) into a Stop, or an error."""
        if self.network is None or "stop" not in self.cleaned_data:
            return
        name = " ".join(self.cleaned_data["stop"].split())
        self.cleaned_data["stop"] = None
        if not name:
            return
        key = search_key(name)
        picked = self.cleaned_data.get("stop_id")
        current = self.current_stop
        if current is not None and search_key(current.name) == key and picked in (None, current.pk):
            # The entry's own stop, offered or not (a newer feed may have dropped it).
            self.cleaned_data["stop"] = current
            return
        if picked is not None:
            # The picker's choice, unless the name was edited afterwards.
            stop = transit.stops_offered(network=self.network).filter(pk=picked).first()
            if stop is not None and stop.search_key == key:
                self.cleaned_data["stop"] = stop
                return
        stop, close = transit.stop_resolve(network=self.network, name=name)
        if stop is not None:
            self.cleaned_data["stop"] = stop
            return
        if close:
            message = _("No stop is called “%(name)s”. Did you mean: %(names)s?") % {
                "name": name,
                "names": ", ".join(_("“%(name)s”") % {"name": stop} for stop in close),
            }
        else:
            message = _(
                "No stop is called “%(name)s”. Check the spelling, or leave the field empty."
            ) % {"name": name}
        self.add_error("stop", message)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._resolve_stop()
        return data


class EntryPlaceForm(PlaceFields):
    """The line and stop of a photo already sent, changed from "My photos"."""

    def __init__(self, data: Any = None, *, entry: Entry) -> None:
        super().__init__(
            data,
            initial={
                "line": entry.line_id,
                "stop": entry.stop.name if entry.stop else "",
                "stop_id": entry.stop_id,
            },
        )
        self.setup_place(contest=entry.contest, current=entry)


class EntryForm(PlaceFields):
    photo = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,.heic,.heif", "class": "photo-input"}
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
        themes = contest.themes.all()
        theme_field = cast(forms.ModelChoiceField, self.fields["theme"])
        theme_field.queryset = themes
        if not contest.themes.exists():
            del self.fields["theme"]
        self.setup_place(contest=contest)
        self.info: imaging.UploadInfo | None = None

    def clean_photo(self) -> Any:
        upload = self.cleaned_data["photo"]
        try:
            self.info = imaging.inspect_upload(upload, size=upload.size, policy=upload_policy())
        except imaging.ImageRejected as exc:
            message = REJECTION_MESSAGES.get(exc.code, REJECTION_MESSAGES["corrupt"])
            raise ValidationError(message, code=exc.code, params=exc.params) from None
        return upload


class EntryDetailsForm(EntryForm):
    """An entry's fields without its photo: a resumable upload's metadata (contest.tus),
    checked before its bytes are received and again once they are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["photo"]


class BaseEntryFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_few_forms": _("Choose at least one photo."),
        "too_many_forms": ngettext_lazy(
            "You can send only %(num)d more photo.", "You can send only %(num)d more photos.", "num"
        ),
    }

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        # Any block may stay empty, the first one too: with JavaScript the rider removes
        # the cards they do not want, whichever they are. "At least one photo" is the
        # formset's own check (validate_min).
        return {**super().get_form_kwargs(index), **self.form_kwargs, "empty_permitted": True}


def entry_formset_class(*, remaining: int) -> type[forms.BaseFormSet]:
    return forms.formset_factory(
        EntryForm,
        formset=BaseEntryFormSet,
        extra=max(0, remaining - 1),
        min_num=1,
        max_num=remaining,
        validate_min=True,
        validate_max=True,
    )


class ReleaseForm(forms.Form):
    """Who is in the rider's photo (contest.releases); a parent answers for a minor."""

    name = forms.CharField(label=_("Name of the person in the photo"), max_length=80)
    email = forms.EmailField(
        label=_("Their e-mail address"),
        required=False,
        help_text=_("We send them a link to see the photo and confirm (18 or over)."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )
    age_bracket = forms.ChoiceField(
        label=_("Their age"), choices=Participant.AgeBracket.choices, widget=forms.RadioSelect
    )
    parent_name = forms.CharField(label=_("A parent's name"), max_length=80, required=False)
    parent_email = forms.EmailField(
        label=_("The parent's e-mail address"),
        required=False,
        help_text=_("Under 18, the link goes to the parent, who confirms for their child."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bracket = data.get("age_bracket")
        if bracket == Participant.AgeBracket.ADULT and not data.get("email"):
            self.add_error("email", _("Give their e-mail address: the link goes to them."))
        if bracket and bracket != Participant.AgeBracket.ADULT:
            if not (data.get("parent_name") or "").strip():
                self.add_error("parent_name", _("Under 18, give a parent's name."))
            if not data.get("parent_email"):
                self.add_error("parent_email", _("Under 18, give a parent's e-mail address."))
        return data
