from django.contrib import admin
from django.http import HttpRequest

from contest.models import (
    Contest,
    Enrollment,
    Entry,
    EntryReport,
    ModerationEvent,
    Participant,
    Theme,
)
from gallery.models import Photo


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 1


@admin.register(Contest)
class ContestAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "opens_at", "closes_at", "max_photos_per_participant")
    list_filter = ("status",)
    prepopulated_fields = {"slug": ("title",)}
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


class PhotoInline(admin.StackedInline):
    model = Photo
    can_delete = False
    readonly_fields = (
        "public_id",
        "original_name",
        "original_format",
        "original_bytes",
        "status",
        "failure",
        "attempts",
        "width",
        "height",
        "taken_at",
        "sha256",
        "phash",
        "had_gps",
    )
    exclude = ("original",)


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("title", "contest", "participant", "moderation", "flagged", "created_at")
    list_filter = ("contest", "moderation", "flagged", "hidden")
    search_fields = ("title", "participant__credit_name")
    raw_id_fields = ("participant",)
    inlines = (PhotoInline,)


@admin.register(ModerationEvent)
class ModerationEventAdmin(admin.ModelAdmin):
    """The audit log is read-only: history is not edited."""

    list_display = (
        "created_at",
        "entry",
        "action",
        "actor",
        "from_state",
        "to_state",
        "reason",
        "email",
    )
    list_filter = ("action", "reason", "email")
    search_fields = ("entry__title", "actor__username", "note")
    raw_id_fields = ("entry", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(EntryReport)
class EntryReportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "entry", "reason", "email")
    list_filter = ("reason",)
    raw_id_fields = ("entry",)
