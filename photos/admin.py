from django.contrib import admin

from photos.models import Photo, Rendition


class RenditionInline(admin.TabularInline):
    model = Rendition
    extra = 0
    readonly_fields = ("spec", "format", "file", "width", "height", "bytes")


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("public_id", "status", "failure", "attempts", "created_at")
    list_filter = ("status", "failure")
    readonly_fields = (
        "public_id",
        "original_name",
        "original_format",
        "original_bytes",
        "attempts",
        "width",
        "height",
        "taken_at",
        "sha256",
        "phash",
        "had_gps",
    )
    exclude = ("original",)
    inlines = (RenditionInline,)
