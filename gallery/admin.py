from django.contrib import admin

from gallery.models import Vote


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "entry", "user")
    raw_id_fields = ("entry", "user")
    readonly_fields = ("entry", "user", "ip_hash", "created_at")
