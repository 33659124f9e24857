"""Lines and stops (read in the admin, written by imports) and the upload of a feed."""

from __future__ import annotations

import zipfile
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from transit.models import Agency, ImportRun, Line, Network, Stop
from transit.services import import_run_start, summary_lines


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the imports write: staff read them here; a feed changes them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Agency)
class AgencyAdmin(ReadOnlyAdmin):
    list_display = ("name", "network", "gtfs_id", "url")
    list_filter = ("network",)


@admin.register(Line)
class LineAdmin(ReadOnlyAdmin):
    list_display = ("short_name", "long_name", "network", "route_type", "colour", "active")
    list_filter = ("network", "active", "route_type")
    search_fields = ("short_name", "long_name", "gtfs_id")


@admin.register(Stop)
class StopAdmin(ReadOnlyAdmin):
    list_display = ("name", "gtfs_id", "network", "location_type", "parent", "active")
    list_filter = ("network", "active", "location_type")
    search_fields = ("name", "gtfs_id", "search_key")
    list_select_related = ("network", "parent")


class FeedUploadForm(forms.Form):
    network = forms.ModelChoiceField(
        label=_("Network"),
        queryset=Network.objects.all(),
        required=False,
        help_text=_("The network this feed updates."),
    )
    new_network = forms.CharField(
        label=_("or a new network"),
        max_length=120,
        required=False,
        help_text=_("Its name, for a network imported for the first time."),
    )
    feed = forms.FileField(label=_("GTFS feed (.zip)"))

    def clean_feed(self) -> Any:
        feed = self.cleaned_data["feed"]
        # A first look only (the worker checks every file): is it a zip at all?
        if not zipfile.is_zipfile(feed):
            raise forms.ValidationError(_("This file is not a .zip archive."))
        feed.seek(0)
        return feed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("network")) == bool(data.get("new_network", "").strip()):
            raise forms.ValidationError(_("Choose a network, or name a new one (not both)."))
        return data

    @property
    def network_name(self) -> str:
        network = self.cleaned_data.get("network")
        return network.name if network else self.cleaned_data["new_network"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "network", "source_name", "state", "progress", "started_by")
    list_filter = ("state", "network")
    list_select_related = ("network", "started_by")
    fields = (
        "network",
        "source_name",
        "state",
        "progress",
        "summary_text",
        "error",
        "error_file",
        "error_line",
        "error_column",
        "started_by",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    change_form_template = "admin/transit/importrun/change_form.html"

    @admin.display(description=_("summary"))
    def summary_text(self, run: ImportRun) -> SafeString:
        return format_html_join("", "<p>{}</p>", ((line,) for line in summary_lines(run.summary)))

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportRun]:
        return super().get_queryset(request).select_related("network", "started_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="transit_importrun_upload",
        )
        return [upload, *super().get_urls()]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # "Add" on the list is the upload: an import is made by sending a feed.
        return HttpResponseRedirect(reverse("admin:transit_importrun_upload"))

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FeedUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = import_run_start(
                    network_name=form.network_name,
                    upload=form.cleaned_data["feed"],
                    started_by=request.user,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    gettext("The feed is sent to the worker: this page shows its progress."),
                )
                return redirect("admin:transit_importrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import a GTFS feed"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/transit/importrun/upload.html", context)
