from django.contrib import admin
from django.http import HttpRequest

from moderation.models import EntryReport, ModerationEvent


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
