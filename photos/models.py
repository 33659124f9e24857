"""Photos (the stored original and what the worker learnt of it) and their renditions.

This app knows nothing of contests: an entry points at its photo."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Photo(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Failure(models.TextChoices):
        CORRUPT = "corrupt", _("The file is damaged or incomplete: send it again.")
        UNSUPPORTED = "unsupported_format", _("This kind of file is not accepted.")
        TOO_MANY_PIXELS = "too_many_pixels", _("The photo has too many pixels.")
        GAVE_UP = "gave_up", _("The photo could not be processed after several attempts.")
        MISSING = "missing", _("The file was lost before it could be processed: send it again.")

    # Names the renditions and the public pages; never derived from what the rider sent.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original = models.CharField(_("original (private storage key)"), max_length=200)
    original_name = models.CharField(_("file name as sent"), max_length=255, blank=True)
    original_format = models.CharField(_("format"), max_length=10)
    original_bytes = models.PositiveIntegerField(_("size in bytes"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    failure = models.CharField(_("failure"), max_length=20, choices=Failure.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    # Clockwise quarter turns a moderator added on top of the EXIF orientation.
    rotation = models.PositiveSmallIntegerField(_("extra rotation"), default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    phash = models.CharField(_("perceptual hash"), max_length=16, blank=True, db_index=True)
    had_gps = models.BooleanField(_("original had GPS data"), default=False)
    # photos.selectors.renditions_hash of the current renditions; an approval names it.
    renditions_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        indexes = [models.Index(fields=("status", "updated_at"), name="photo_status_updated")]

    def __str__(self) -> str:
        return str(self.public_id)


class Rendition(models.Model):
    """A resized, metadata-free copy. One row per (photo, size, format), made race-safely."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")
    spec = models.CharField(max_length=20)
    format = models.CharField(max_length=5)
    file = models.FileField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")
        constraints = [
            models.UniqueConstraint(fields=("photo", "spec", "format"), name="rendition_unique")
        ]

    def __str__(self) -> str:
        return f"{self.photo_id} {self.spec}.{self.format}"
