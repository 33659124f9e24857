from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import OptOut, OutboxMessage
from notifications.services import messages_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "template",
        "to",
        "state",
        "attempts",
        "short_error",
        "not_before",
        "sent_at",
    )
    list_filter = ("state", "template", "language", ("created_at", admin.DateFieldListFilter))
    search_fields = ("to", "key")
    date_hierarchy = "created_at"
    actions = ("send_again",)
    readonly_fields = (
        "key",
        "to",
        "template",
        "context",
        "language",
        "sender_name",
        "about",
        "state",
        "attempts",
        "last_error",
        "not_before",
        "sent_at",
    )

    @admin.display(description=_("last error"))
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:80]

    @admin.action(description=_("Send the failed e-mails again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = messages_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail will be sent again.",
                "%(count)d e-mails will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ("email", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("email",)
