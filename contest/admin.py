from django.contrib import admin

from contest.models import Contest, Enrollment, Entry, Participant, Theme


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


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("title", "contest", "participant", "moderation", "flagged", "created_at")
    list_filter = ("contest", "moderation", "flagged", "hidden")
    search_fields = ("title", "participant__credit_name")
    raw_id_fields = ("participant", "photo")
