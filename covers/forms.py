"""Forms of the covers pages: they parse what staff typed; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from covers.models import HEX_COLOUR, Guide
from transit.models import Line, Network

_colour = RegexValidator(HEX_COLOUR, _("Give a colour such as #003A70."))


class GuideForm(forms.ModelForm):
    band_colour = forms.CharField(
        label=_("Title band colour"),
        max_length=7,
        validators=[_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    text_colour = forms.CharField(
        label=_("Title colour"),
        max_length=7,
        validators=[_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
    )

    class Meta:
        model = Guide
        fields = (
            "name",
            "line_label",
            "lines",
            "period",
            "format",
            "trim_width_mm",
            "trim_height_mm",
            "bleed_mm",
            "safe_mm",
            "title_x_mm",
            "title_y_mm",
            "title_width_mm",
            "title_height_mm",
            "band_colour",
            "band_opacity",
            "text_colour",
            "needs",
            "position",
        )

    transit_lines = forms.ModelMultipleChoiceField(
        label=_("Lines of the network"),
        queryset=Line.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The candidates can be narrowed to the photos taken on these lines. With exactly "
            "one line, the cover prints its number in its colours."
        ),
    )

    def __init__(self, *args: Any, network: Network | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if network is None:
            del self.fields["transit_lines"]
            return
        # The network's current lines, and any line the guide keeps from an older feed.
        chosen = self.instance.transit_lines.all() if self.instance.pk else Line.objects.none()
        lines = Line.objects.filter(network=network, active=True) | chosen
        field = cast(forms.ModelMultipleChoiceField, self.fields["transit_lines"])
        field.queryset = lines.distinct().order_by("sort_order", "short_name", "pk")
        if self.instance.pk:
            field.initial = list(chosen)

    def clean_band_opacity(self) -> int:
        value = self.cleaned_data["band_opacity"]
        if not 0 <= value <= 100:
            raise forms.ValidationError(_("Between 0 and 100."))
        return int(value)

    def clean_needs(self) -> int:
        value = self.cleaned_data["needs"]
        if not 1 <= value <= 12:
            raise forms.ValidationError(_("Between 1 and 12."))
        return int(value)


class SettingsForm(forms.Form):
    one_cover_per_participant = forms.BooleanField(
        label=_("At most one cover per participant"), required=False
    )
    logo = forms.FileField(
        label=_("Operator's logo (PNG, transparent background)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png"}),
    )

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The logo must weigh less than 5 MB."))
        return bytes(upload.read())


class CropForm(forms.Form):
    """The crop as fractions of the photo; or a step (move, zoom) from the buttons."""

    left = forms.FloatField(min_value=0, max_value=1)
    top = forms.FloatField(min_value=0, max_value=1)
    width = forms.FloatField(min_value=0.001, max_value=1)
    height = forms.FloatField(min_value=0.001, max_value=1)
    step = forms.ChoiceField(
        required=False,
        choices=[(s, s) for s in ("", "left", "right", "up", "down", "in", "out", "reset")],
    )


class PickForm(forms.Form):
    entry = forms.IntegerField(min_value=1)
    slot = forms.IntegerField(min_value=0, initial=0)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=300)


class ProofForm(forms.Form):
    credit_line = forms.CharField(label=_("Credit line, as printed"), max_length=80)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["credit_line"].widget.attrs.update({"autocomplete": "off"})
