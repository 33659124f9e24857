from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from translated_fields import TranslatedFieldAdmin

from contest.branding import BrandingImageError, prepare_header, prepare_logo
from contest.cloning import CloneRefused, contest_clone
from contest.exclusion import MAX_ITEMS, ExclusionListError, parse_domains, parse_emails
from contest.models import (
    Contest,
    Enrollment,
    Entry,
    Participant,
    Release,
    RetentionRun,
    RightsEvent,
    Theme,
    TusUpload,
)
from contest.resumable import tus_upload_delete
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

    def _list(self, name: str, parse: Callable[[str], list[str]], message: Promise) -> str:
        # Stored normalised, one a line: what the checks and the rules page read.
        try:
            items = parse(self.cleaned_data.get(name) or "")
        except ExclusionListError as exc:
            raise forms.ValidationError(str(message) % {"item": exc.item}) from exc
        if len(items) > MAX_ITEMS:
            raise forms.ValidationError(_("At most %(n)s items.") % {"n": MAX_ITEMS})
        return "\n".join(items)

    def clean_excluded_domains(self) -> str:
        return self._list(
            "excluded_domains",
            parse_domains,
            _("“%(item)s” is not an e-mail domain: write it as reseau.example."),
        )

    def clean_excluded_emails(self) -> str:
        return self._list(
            "excluded_emails",
            parse_emails,
            _("“%(item)s” is not an e-mail address."),
        )

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


def _next_year(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def _next_slug(slug: str) -> str:
    """couvertures-2026 -> couvertures-2027 (its last year, plus one); else slug-2."""
    years = list(re.finditer(r"(19|20)\d\d", slug))
    if years:
        last = years[-1]
        return f"{slug[: last.start()]}{int(last.group()) + 1}{slug[last.end() :]}"
    return f"{slug[:48]}-2"


DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ContestCloneForm(forms.Form):
    """The new contest's address and dates: everything else comes from the one copied."""

    slug = forms.SlugField(label=_("Address (slug)"), max_length=50)
    opens_at = forms.DateTimeField(
        label=_("Entries open"),
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    closes_at = forms.DateTimeField(
        label=_("Entries close"),
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if Contest.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another contest already has this address (slug)."))
        return slug

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The entries must close after they open."))
        return cleaned


class ThemeInline(TranslatedFieldAdmin, admin.TabularInline):
    model = Theme
    extra = 1


@admin.register(Contest)
class ContestAdmin(TranslatedFieldAdmin, admin.ModelAdmin):
    form = ContestAdminForm
    readonly_fields = ("gallery_version", "archived_at")

    def save_model(self, request: HttpRequest, obj: Contest, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            # New texts or branding: the public pages cached under the old ones are stale.
            contest_gallery_changed(contest_id=obj.pk)

    list_display = ("title", "status", "opens_at", "closes_at", "max_photos_per_participant")
    list_filter = ("status",)
    prepopulated_fields = {"slug": ("title_fr",)}
    inlines = (ThemeInline,)
    # The "New contest from this one" button (contest.cloning), and the same as an action.
    change_form_template = "admin/contest/contest/change_form.html"
    actions = ("clone_selected",)

    def get_urls(self) -> list[URLPattern]:
        clone = path(
            "<int:object_id>/clone/",
            self.admin_site.admin_view(self.clone_view),
            name="contest_contest_clone",
        )
        return [clone, *super().get_urls()]

    @admin.action(description=_("New contest from this one"), permissions=["change"])
    def clone_selected(
        self, request: HttpRequest, queryset: QuerySet[Contest]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose one contest to copy."), messages.WARNING)
            return None
        return redirect("admin:contest_contest_clone", queryset.get().pk)

    def clone_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        source = self.get_object(request, str(object_id))
        if source is None:
            raise Http404
        user = request.user
        if not isinstance(user, AbstractBaseUser) or not self.has_change_permission(
            request, source
        ):
            raise PermissionDenied
        form = ContestCloneForm(
            request.POST or None,
            initial={
                "slug": _next_slug(source.slug),
                "opens_at": _next_year(source.opens_at),
                "closes_at": _next_year(source.closes_at),
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                copy = contest_clone(
                    source=source,
                    opens_at=form.cleaned_data["opens_at"],
                    closes_at=form.cleaned_data["closes_at"],
                    slug=form.cleaned_data["slug"],
                    by=user,
                )
            except CloneRefused as error:
                form.add_error(None, error.message)
            else:
                # Who made it, from which contest: the new contest's admin history.
                self.log_addition(
                    request,
                    copy,
                    gettext("Made from “%(source)s” (%(slug)s).")
                    % {"source": source, "slug": source.slug},
                )
                messages.success(
                    request,
                    gettext(
                        "The new contest is a draft: check its texts, themes and guides, "
                        "then open it."
                    ),
                )
                return redirect("admin:contest_contest_change", copy.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("New contest from “%(source)s”") % {"source": source},
            "opts": self.model._meta,
            "original": source,
            "form": form,
        }
        return TemplateResponse(request, "admin/contest/contest/clone.html", context)


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


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    """The log of contest.retention's runs: read only, like every audit."""

    list_display = ("started_at", "finished_at", "dry_run", "originals_removed")
    list_filter = ("dry_run",)
    readonly_fields = ("started_at", "finished_at", "dry_run", "originals_removed", "removed")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TusUpload)
class TusUploadAdmin(admin.ModelAdmin):
    """The photos being sent in pieces (contest.resumable): read only. One can be deleted,
    pieces and all, except while it is being checked (its request is reading the pieces)."""

    list_display = (
        "participant",
        "contest",
        "size",
        "received",
        "state",
        "created_at",
        "expires_at",
    )
    list_filter = ("state",)
    list_select_related = ("participant__user", "contest")
    search_fields = ("participant__credit_name", "participant__user__email")
    ordering = ("-created_at",)
    exclude = ("parts",)

    @admin.display(description=_("size"), ordering="length")
    def size(self, obj: TusUpload) -> str:
        return filesizeformat(obj.length)

    @admin.display(description=_("received"))
    def received(self, obj: TusUpload) -> str:
        share = math.floor(obj.offset * 100 / obj.length) if obj.length else 100
        return f"{share} %"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.state == TusUpload.State.COMPLETING:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: TusUpload) -> None:
        tus_upload_delete(upload=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TusUpload]) -> None:
        for upload in queryset.exclude(state=TusUpload.State.COMPLETING):
            tus_upload_delete(upload=upload)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """The releases of people recognisable in photos (contest.releases): read only, as their
    state changes only by the rider's request and the person's answer."""

    list_display = (
        "photo",
        "depicted_name",
        "state",
        "requested_at",
        "asked_at",
        "answered_at",
        "erased_at",
    )
    list_filter = ("state",)
    list_select_related = ("entry__contest",)
    search_fields = ("depicted_name", "depicted_email", "parent_name", "parent_email")
    ordering = ("-requested_at",)
    exclude = ("link_version",)

    @admin.display(description=_("photo"), ordering="entry__title")
    def photo(self, obj: Release) -> str:
        url = reverse("admin:contest_entry_change", args=[obj.entry_id])
        return format_html('<a href="{}">{}</a> ({})', url, obj.entry.title, obj.entry.contest)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
