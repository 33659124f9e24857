from django.contrib import admin

from notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "template", "to", "state", "attempts", "sent_at")
    list_filter = ("state", "template")
    search_fields = ("to",)
    readonly_fields = (
        "to",
        "template",
        "context",
        "language",
        "state",
        "attempts",
        "last_error",
        "not_before",
        "sent_at",
    )
