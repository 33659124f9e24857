"""Forms parse and check the input; the rules that need the database live in services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from contest.models import Contest, Participant, Theme
from photos import imaging
from photos.services import upload_policy

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


class EntryForm(forms.Form):
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
        self.info: imaging.UploadInfo | None = None

    def clean_photo(self) -> Any:
        upload = self.cleaned_data["photo"]
        try:
            self.info = imaging.inspect_upload(upload, size=upload.size, policy=upload_policy())
        except imaging.ImageRejected as exc:
            message = REJECTION_MESSAGES.get(exc.code, REJECTION_MESSAGES["corrupt"])
            raise ValidationError(message, code=exc.code, params=exc.params) from None
        return upload


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
