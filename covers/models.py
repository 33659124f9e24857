"""Covers: the guides a contest illustrates, each candidate's crop and mock-up, the
allocation of winners to guides, the print packages and the winners' credit proofs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contest.models import Contest, Entry

HEX_COLOUR = r"^#[0-9A-Fa-f]{6}$"


class CoverSettings(models.Model):
    """A contest's cover settings: its logo, the allocation rule, the lock and publication."""

    contest = models.OneToOneField(Contest, on_delete=models.CASCADE, related_name="cover_settings")
    # The operator's logo, rasterised to PNG by us (an SVG is never stored or served as is).
    logo = models.CharField(_("logo (private storage key)"), max_length=200, blank=True)
    logo_version = models.PositiveIntegerField(default=0)
    one_cover_per_participant = models.BooleanField(
        _("at most one cover per participant"), default=True
    )
    locked_at = models.DateTimeField(_("allocation locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("results published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cover settings")
        verbose_name_plural = _("cover settings")
        permissions = [
            ("edit_covers", _("Can edit guides, crops and the allocation of covers")),
            ("lock_covers", _("Can lock the allocation and publish the results")),
        ]

    def __str__(self) -> str:
        return str(self.contest_id)


class Guide(models.Model):
    """A printed timetable guide whose cover a contest photo illustrates (a cover slot)."""

    class Format(models.TextChoices):
        DL = "DL", _("DL (99 × 210 mm)")
        A5 = "A5", _("A5 (148 × 210 mm)")
        A6 = "A6", _("A6 (105 × 148 mm)")
        CUSTOM = "custom", _("Custom size")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="guides")
    name = models.CharField(_("name"), max_length=80)
    line_label = models.CharField(
        _("line number"), max_length=8, blank=True, help_text=_("Printed in the title band.")
    )
    lines = models.CharField(_("lines served"), max_length=200, blank=True)
    # The network's lines the guide is printed for (`lines` above stays the free text
    # printed on it). With exactly one, the mock-up takes its number and colours.
    transit_lines = models.ManyToManyField(
        "transit.Line", blank=True, related_name="guides", verbose_name=_("transit lines")
    )
    period = models.CharField(_("season or period"), max_length=80, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default="DL")
    trim_width_mm = models.FloatField(_("trim width (mm)"), default=99)
    trim_height_mm = models.FloatField(_("trim height (mm)"), default=210)
    bleed_mm = models.FloatField(_("bleed (mm)"), default=3)
    safe_mm = models.FloatField(_("safe margin (mm)"), default=5)
    # The title zone, in millimetres from the trim's top-left corner.
    title_x_mm = models.FloatField(_("title zone: left (mm)"), default=0)
    title_y_mm = models.FloatField(_("title zone: top (mm)"), default=12)
    title_width_mm = models.FloatField(_("title zone: width (mm)"), default=99)
    title_height_mm = models.FloatField(_("title zone: height (mm)"), default=30)
    band_colour = models.CharField(_("title band colour"), max_length=7, default="#003A70")
    band_opacity = models.PositiveSmallIntegerField(_("title band opacity (%)"), default=85)
    text_colour = models.CharField(_("title colour"), max_length=7, default="#FFFFFF")
    needs = models.PositiveSmallIntegerField(_("photos needed"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Bumped by every change of the guide: mock-ups are keyed by it.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("guide")
        verbose_name_plural = _("guides")
        ordering = ("contest", "position", "id")

    def __str__(self) -> str:
        return self.name


class Crop(models.Model):
    """Where a guide's cover is cut from a candidate photo: fractions of the upright photo."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="crops")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="cover_crops")
    left = models.FloatField()
    top = models.FloatField()
    width = models.FloatField()
    height = models.FloatField()
    # The photo's renditions hash the crop was made for: a quarter turn by a moderator
    # invalidates it (the suggestion is made again).
    photo_hash = models.CharField(max_length=64, blank=True)
    suggested = models.BooleanField(default=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("guide", "entry"), name="crop_once")]

    def __str__(self) -> str:
        return f"{self.guide_id}/{self.entry_id}"


class Mockup(models.Model):
    """A rendered cover for (guide, entry), made by the worker; `key` says from what."""

    class State(models.TextChoices):
        PENDING = "pending", _("Being drawn")
        # French agrees "ready" with the noun: une maquette prête, un dossier prêt.
        READY = "ready", pgettext_lazy("a cover mock-up", "Ready")
        FAILED = "failed", _("Failed")

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="mockups")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="cover_mockups")
    # Hash of the guide's version, the crop's, the logo's and the photo's renditions.
    key = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file = models.CharField(max_length=200, blank=True)  # private storage key (JPEG)
    overlay_file = models.CharField(max_length=200, blank=True)  # with the print lines
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    contrast = models.FloatField(null=True, blank=True)
    busyness = models.FloatField(null=True, blank=True)
    legibility = models.CharField(max_length=10, blank=True)
    legibility_reasons = models.CharField(max_length=60, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("guide", "entry", "key"), name="mockup_once_per_key")
        ]
        indexes = [models.Index(fields=("state", "updated_at"), name="mockup_state")]

    def __str__(self) -> str:
        return f"{self.guide_id}/{self.entry_id} {self.state}"


class Pick(models.Model):
    """One cover of a guide: the entry allocated to one of its slots."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="picks")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="cover_picks")
    slot = models.PositiveSmallIntegerField(default=0)
    # Chosen by a person rather than the suggestion: the suggestion keeps it.
    pinned = models.BooleanField(default=False)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    picked_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("guide", "slot")
        constraints = [
            models.UniqueConstraint(fields=("guide", "slot"), name="pick_slot_once"),
            models.UniqueConstraint(fields=("guide", "entry"), name="pick_entry_once_per_guide"),
        ]

    def __str__(self) -> str:
        return f"{self.guide_id}#{self.slot} {self.entry_id}"


class PrintPackage(models.Model):
    """The designer's ZIP for one guide, built by the worker on its own queue."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        BUILDING = "building", _("Being built")
        READY = "ready", pgettext_lazy("a print package", "Ready")
        FAILED = "failed", _("Failed")

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="packages")
    # Hash of the picks, their crops and the guide: a new key after any change.
    key = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=80, blank=True)
    file = models.CharField(max_length=200, blank=True)  # private storage key
    bytes = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("guide", "key"), name="package_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.guide_id} {self.state}"


class CreditProof(models.Model):
    """A winner's proof: their cover and credit line, confirmed or corrected by them."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="credit_proofs")
    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="credit_proof")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    credit_line = models.CharField(_("credit line"), max_length=80)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    corrected = models.BooleanField(_("corrected by the winner"), default=False)

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.credit_line}"


class CoverEvent(models.Model):
    """The covers' audit log: every human decision, by whom, when, what and why."""

    class Action(models.TextChoices):
        GUIDE = "guide", _("Guide saved")
        GUIDE_DELETE = "guide_delete", _("Guide deleted")
        SETTINGS = "settings", _("Settings changed")
        CROP = "crop", _("Crop changed")
        CROP_RESET = "crop_reset", _("Crop reset to the suggestion")
        SUGGEST = "suggest", _("Allocation suggested")
        PICK = "pick", _("Cover picked")
        UNPICK = "unpick", _("Cover removed")
        LOCK = "lock", _("Allocation locked")
        UNLOCK = "unlock", _("Allocation unlocked")
        PACKAGE = "package", _("Print package requested")
        PROOF = "proof", _("Credit proof sent")
        CONFIRM = "confirm", _("Credit confirmed by the winner")
        PUBLISH = "publish", _("Results published")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="cover_events")
    guide = models.ForeignKey(
        Guide, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    entry = models.ForeignKey(
        Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="cover_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=14, choices=Action.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("cover event")
        verbose_name_plural = _("cover events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.contest_id} {self.action}"
