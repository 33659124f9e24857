from __future__ import annotations

import hashlib
import math
from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from translated_fields import TranslatedFieldAdmin

from contest.branding import BrandingImageError, prepare_header, prepare_logo
from contest.models import Contest, Enrollment, Entry, Participant, RightsEvent, Theme
from contest.services import contest_gallery_changed
from core.colour import MIN_CONTRAST, contrast_ratio, normalise_hex

BRANDING_UPLOAD_MAX_BYTES = 20 * 1024 * 1024


def _named(data: bytes, stem: str, extension: str) -> ContentFile[bytes]:
    # The name carries the content's hash: a new image gets a new URL, so no cache (CDN,
    # phone) keeps showing the old one.
    return ContentFile(data, name=f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}.{extension}")


class ContestAdminForm(forms.ModelForm):
    """The contest as staff edit it: colours checked for contrast, images made light."""

    class Meta:
        model = Contest
        fields = "__all__"  # noqa: DJ007 (the admin passes its own field list)

    def _upload(self, name: str) -> bytes | None:
        value = self.cleaned_data.get(name)
        if not isinstance(value, UploadedFile):
            return None  # unchanged, or cleared
        if value.size is not None and value.size > BRANDING_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("This image is over 20 MB."))
        return value.read()

    def _colour(self, name: str) -> str:
        try:
            return normalise_hex(self.cleaned_data.get(name) or "")
        except ValueError as exc:
            raise forms.ValidationError(
                _("Type a colour as #rrggbb, for example #0b5c8a.")
            ) from exc

    def clean_brand_colour(self) -> str:
        return self._colour("brand_colour")

    def clean_brand_text_colour(self) -> str:
        return self._colour("brand_text_colour")

    def clean_brand_logo(self) -> Any:
        data = self._upload("brand_logo")
        if data is None:
            return self.cleaned_data.get("brand_logo")
        try:
            return _named(prepare_logo(data), "logo", "png")
        except BrandingImageError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_brand_header(self) -> Any:
        data = self._upload("brand_header")
        if data is None:
            if self.cleaned_data.get("brand_header") is False:  # "clear" ticked
                self.instance.brand_header_small = ""
                self.instance.brand_header_width = self.instance.brand_header_height = 0
            return self.cleaned_data.get("brand_header")
        try:
            header = prepare_header(data)
        except BrandingImageError as exc:
            raise forms.ValidationError(str(exc)) from exc
        self.instance.brand_header_small = _named(header.small, "header-800", "jpg")
        self.instance.brand_header_width = header.width
        self.instance.brand_header_height = header.height
        return _named(header.large, "header", "jpg")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        colour, text = cleaned.get("brand_colour"), cleaned.get("brand_text_colour")
        if colour and text:
            ratio = contrast_ratio(colour, text)
            if ratio < MIN_CONTRAST:
                self.add_error(
                    "brand_text_colour",
                    _(
                        "These two colours are hard to read together: contrast %(ratio)s:1, "
                        "at least %(minimum)s:1 is needed. Pick a darker main colour or "
                        "white or black text."
                    )
                    # Rounded down: 4.46 must not read as the 4.5 it fails to reach.
                    % {
                        "ratio": number_format(math.floor(ratio * 10) / 10, 1),
                        "minimum": number_format(MIN_CONTRAST, 1),
                    },
                )
        return cleaned


class ThemeInline(TranslatedFieldAdmin, admin.TabularInline):
    model = Theme
    extra = 1


@admin.register(Contest)
class ContestAdmin(TranslatedFieldAdmin, admin.ModelAdmin):
    form = ContestAdminForm
    readonly_fields = ("gallery_version",)

    def save_model(self, request: HttpRequest, obj: Contest, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            # New texts or branding: the public pages cached under the old ones are stale.
            contest_gallery_changed(contest_id=obj.pk)

    list_display = ("title", "status", "opens_at", "closes_at", "max_photos_per_participant")
    list_filter = ("status",)
    prepopulated_fields = {"slug": ("title_fr",)}
    inlines = (ThemeInline,)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = (
        "credit_name",
        "user",
        "age_bracket",
        "email_verified_at",
        "parent_confirmed_at",
    )
    search_fields = ("credit_name", "user__email")
    raw_id_fields = ("user",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = (
        "participant",
        "contest",
        "rules_version",
        "accepted_at",
        "allows_gallery",
        "allows_social",
        "allows_print",
    )
    list_filter = ("contest",)
    readonly_fields = ("accepted_at", "ip_address", "rules_version")


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("title", "contest", "participant", "moderation", "flagged", "created_at")
    list_filter = ("contest", "moderation", "flagged", "hidden")
    search_fields = ("title", "participant__credit_name")
    raw_id_fields = ("participant", "photo")


@admin.register(RightsEvent)
class RightsEventAdmin(admin.ModelAdmin):
    """The audit of participants' data-rights requests: read only, nobody edits an audit."""

    list_display = ("created_at", "action", "participant", "reference", "contest", "entry")
    list_filter = ("action",)
    search_fields = ("reference",)
    raw_id_fields = ("participant", "entry")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
