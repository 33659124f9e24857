"""A transit network's lines and stops, as its GTFS feed gives them, and the imports."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.translation import gettext_lazy as _


def feeds_storage() -> Storage:
    # The private storage of the riders' originals: a feed is not for the public either.
    return storages["originals"]


class Network(models.Model):
    """One operator's network: what one feed (with all its agencies) describes."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transit network")
        verbose_name_plural = _("transit networks")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="agencies", verbose_name=_("network")
    )
    gtfs_id = models.CharField(_("GTFS id"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255)
    url = models.CharField(_("website"), max_length=255, blank=True)
    timezone = models.CharField(_("time zone"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("transit agency")
        verbose_name_plural = _("transit agencies")
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("network", "gtfs_id"), name="agency_gtfs_id")
        ]

    def __str__(self) -> str:
        return self.name


class Line(models.Model):
    """A GTFS route. Kept, inactive, when a later feed drops it: entries keep their tag."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="lines", verbose_name=_("network")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="lines", verbose_name=_("agency")
    )
    gtfs_id = models.CharField(_("GTFS id"), max_length=255)
    short_name = models.CharField(_("number"), max_length=255, blank=True)
    long_name = models.CharField(_("name"), max_length=255, blank=True)
    # GTFS route_type: 0 tram, 1 metro, 2 train, 3 bus, 4 ferry... (and extended 100-1799).
    route_type = models.PositiveSmallIntegerField(_("type"))
    colour = models.CharField(_("colour"), max_length=7)  # "#rrggbb"
    text_colour = models.CharField(_("text colour"), max_length=7)
    active = models.BooleanField(_("in the latest feed"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    search_key = models.CharField(max_length=511, blank=True, editable=False)

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ("network", "sort_order", "short_name")
        constraints = [models.UniqueConstraint(fields=("network", "gtfs_id"), name="line_gtfs_id")]

    def __str__(self) -> str:
        return " – ".join(part for part in (self.short_name, self.long_name) if part)


class Stop(models.Model):
    """A GTFS stop: a boarding point, or a station that groups its boarding points."""

    class LocationType(models.IntegerChoices):
        STOP = 0, _("Stop or platform")
        STATION = 1, _("Station")
        ENTRANCE = 2, _("Entrance or exit")
        NODE = 3, _("Generic node")
        BOARDING_AREA = 4, _("Boarding area")

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="stops", verbose_name=_("network")
    )
    gtfs_id = models.CharField(_("GTFS id"), max_length=255)
    name = models.CharField(_("name"), max_length=255, blank=True)
    # search_key() of the name: "Gare Sud" finds "Gare-Sud", "gare sud" finds "Gare Süd".
    search_key = models.CharField(max_length=255, blank=True, editable=False)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    location_type = models.PositiveSmallIntegerField(
        _("kind"), choices=LocationType.choices, default=LocationType.STOP
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("station"),
    )
    active = models.BooleanField(_("in the latest feed"), default=True)
    lines: models.ManyToManyField[Line, LineStop] = models.ManyToManyField(
        Line, through="LineStop", related_name="stops", verbose_name=_("lines")
    )

    class Meta:
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        ordering = ("network", "name", "gtfs_id")
        constraints = [models.UniqueConstraint(fields=("network", "gtfs_id"), name="stop_gtfs_id")]
        indexes = [models.Index(fields=("network", "search_key"), name="stop_search")]

    def __str__(self) -> str:
        return self.name or self.gtfs_id


class LineStop(models.Model):
    """A line serves this stop: some trip of the line calls there (from stop_times.txt)."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="line_stops")
    stop = models.ForeignKey(Stop, on_delete=models.CASCADE, related_name="line_stops")

    class Meta:
        verbose_name = _("stop served")
        verbose_name_plural = _("stops served")
        constraints = [models.UniqueConstraint(fields=("line", "stop"), name="line_stop")]

    def __str__(self) -> str:
        return f"{self.line} → {self.stop}"


class ImportRun(models.Model):
    """One import of a feed: what the worker is doing, how far it is, and how it ended."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the worker")
        READING = "reading", _("Checking the feed")
        SAVING = "saving", _("Saving")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="imports", verbose_name=_("network")
    )
    upload = models.FileField(
        _("feed"), storage=feeds_storage, upload_to="gtfs/", max_length=255, blank=True
    )
    source_name = models.CharField(_("file"), max_length=255, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # {"lines": {"created": n, "updated": n, "deactivated": n}, "stops": {...}, ...}
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    error_file = models.CharField(_("file in error"), max_length=255, blank=True)
    error_line = models.PositiveIntegerField(_("line in error"), null=True, blank=True)
    error_column = models.CharField(_("column in error"), max_length=255, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("GTFS import")
        verbose_name_plural = _("GTFS imports")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.network} · {self.created_at:%Y-%m-%d %H:%M}"
