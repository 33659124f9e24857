"""Importing a GTFS feed into a network: checked first, then written in one transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from transit import gtfs
from transit.models import Agency, ImportRun, Line, LineStop, Network, Stop
from transit.tasks import import_feed

logger = logging.getLogger(__name__)

# Rows per INSERT / UPDATE statement: few statements, each well under SQLite's and
# PostgreSQL's limits on parameters.
BATCH = 500
# A run still "reading" or "saving" after this lost its worker: a redelivered task may take
# it again (the import is idempotent). Longer than the task's time limit.
STALE_AFTER = timedelta(hours=2)

# step ("reading" or "saving"), fraction done of that step.
ImportProgress = Callable[[str, float], None]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0


@dataclass
class ImportSummary:
    agencies: Counts = field(default_factory=Counts)
    lines: Counts = field(default_factory=Counts)
    stops: Counts = field(default_factory=Counts)
    # Stops served by a line: "deactivated" counts the links removed (they are derived data).
    links: Counts = field(default_factory=Counts)
    links_known: bool = False  # whether the feed had trips.txt and stop_times.txt
    stop_times_rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def changed(self) -> bool:
        return any(
            counts.created or counts.updated or counts.deactivated
            for counts in (self.agencies, self.lines, self.stops, self.links)
        )


def network_get_or_create(*, name: str) -> Network:
    name = " ".join(name.split())
    slug = slugify(name)[:120]
    if not slug:
        raise ApplicationError(_("A network needs a name with letters or digits."))
    network, _created = Network.objects.get_or_create(slug=slug, defaults={"name": name[:120]})
    return network


def feed_import(
    *,
    source: str | Path | BinaryIO,
    network: Network,
    progress: ImportProgress | None = None,
) -> ImportSummary:
    """Reads and checks the whole feed, then creates or updates the network's rows in place.

    Idempotent: the same feed again changes nothing. Lines and stops missing from the feed
    are kept, inactive (entries point at them). Raises gtfs.GtfsError before writing anything.
    """
    feed = gtfs.read_feed(source, progress=(lambda f: progress("reading", f)) if progress else None)
    if progress:
        # Before the transaction: its own writes would stay invisible until it commits.
        progress("saving", 0.0)
    summary = ImportSummary(
        links_known=feed.links is not None, stop_times_rows=feed.stop_times_rows
    )
    with transaction.atomic():
        # One import of a network at a time: a second waits, then finds nothing to do.
        Network.objects.select_for_update().get(pk=network.pk)
        agencies = _save_agencies(network, feed.agencies, summary.agencies)
        lines = _save_lines(network, feed.routes, agencies, summary.lines)
        stops = _save_stops(network, feed.stops, summary.stops)
        if feed.links is not None:
            in_feed = [lines[route.gtfs_id] for route in feed.routes]
            _save_links(network, feed.links, in_feed, lines, stops, summary.links)
    return summary


Existing = dict[str, tuple[int, tuple[Any, ...]]]


def _existing(model: type[models.Model], network: Network, fields: Iterable[str]) -> Existing:
    """gtfs_id → (pk, values of `fields`) of the network's rows, read in one query."""
    rows = model._default_manager.filter(network=network).values_list("gtfs_id", "pk", *fields)
    return {gtfs_id: (pk, tuple(values)) for gtfs_id, pk, *values in rows.iterator(2000)}


def _ids(model: type[models.Model], network: Network) -> dict[str, int]:
    rows = model._default_manager.filter(network=network).values_list("gtfs_id", "pk")
    return dict(rows.iterator(2000))


def _apply(
    model: type[models.Model],
    network: Network,
    fields: tuple[str, ...],
    existing: Existing,
    wanted: dict[str, tuple[Any, ...]],
    counts: Counts,
) -> set[str]:
    """Creates the rows that are new, updates those that differ; the updated gtfs ids."""
    new: list[models.Model] = []
    changed: list[models.Model] = []
    updated: set[str] = set()
    for gtfs_id, values in wanted.items():
        current = existing.get(gtfs_id)
        if current is None:
            new.append(
                model(network=network, gtfs_id=gtfs_id, **dict(zip(fields, values, strict=True)))
            )
        elif current[1] != values:
            changed.append(model(pk=current[0], **dict(zip(fields, values, strict=True))))
            updated.add(gtfs_id)
    model._default_manager.bulk_create(new, batch_size=BATCH)
    model._default_manager.bulk_update(changed, fields, batch_size=BATCH)
    counts.created += len(new)
    counts.updated += len(changed)
    return updated


def _deactivate(
    model: type[models.Model], existing: Existing, wanted: dict[str, Any], counts: Counts
) -> None:
    """Marks inactive the active rows the feed no longer has ("active" is their last value)."""
    gone = [
        pk for gtfs_id, (pk, values) in existing.items() if gtfs_id not in wanted and values[-1]
    ]
    for start in range(0, len(gone), BATCH):
        model._default_manager.filter(pk__in=gone[start : start + BATCH]).update(active=False)
    counts.deactivated += len(gone)


def _save_agencies(network: Network, agencies: list[gtfs.Agency], counts: Counts) -> dict[str, int]:
    fields = ("name", "url", "timezone")
    wanted = {a.gtfs_id: (a.name, a.url, a.timezone) for a in agencies}
    _apply(Agency, network, fields, _existing(Agency, network, fields), wanted, counts)
    # Agencies are few and nothing points at them from outside: kept as they are.
    return _ids(Agency, network)


def _save_lines(
    network: Network, routes: list[gtfs.Route], agencies: dict[str, int], counts: Counts
) -> dict[str, int]:
    fields = (
        "agency_id",
        "short_name",
        "long_name",
        "route_type",
        "colour",
        "text_colour",
        "sort_order",
        "search_key",
        "active",
    )
    wanted = {
        r.gtfs_id: (
            agencies[r.agency_id],
            r.short_name,
            r.long_name,
            r.route_type,
            r.colour,
            r.text_colour,
            r.sort_order,
            gtfs.search_key(f"{r.short_name} {r.long_name}")[:511],
            True,
        )
        for r in routes
    }
    existing = _existing(Line, network, fields)
    _apply(Line, network, fields, existing, wanted, counts)
    _deactivate(Line, existing, wanted, counts)
    return _ids(Line, network)


def _save_stops(network: Network, stops: list[gtfs.Stop], counts: Counts) -> dict[str, int]:
    fields = ("name", "search_key", "latitude", "longitude", "location_type", "active")
    wanted = {
        s.gtfs_id: (
            s.name,
            gtfs.search_key(s.name)[:255],
            s.latitude,
            s.longitude,
            s.location_type,
            True,
        )
        for s in stops
    }
    existing = _existing(Stop, network, fields)
    updated = _apply(Stop, network, fields, existing, wanted, counts)
    _deactivate(Stop, existing, wanted, counts)
    ids = _ids(Stop, network)
    # Parents second: a new station has its id only now. Parents are the stops' own ids.
    current_parents = dict(
        Stop.objects.filter(network=network, parent__isnull=False)
        .values_list("pk", "parent_id")
        .iterator(2000)
    )
    moved: list[Stop] = []
    for stop in stops:
        pk = ids[stop.gtfs_id]
        parent_pk = ids[stop.parent_id] if stop.parent_id else None
        if current_parents.get(pk) != parent_pk:
            moved.append(Stop(pk=pk, parent_id=parent_pk))
            if stop.gtfs_id in existing and stop.gtfs_id not in updated:
                counts.updated += 1
    Stop.objects.bulk_update(moved, ["parent"], batch_size=BATCH)
    return ids


def _save_links(
    network: Network,
    links: set[tuple[str, str]],
    routes_in_feed: Iterable[int],
    lines: dict[str, int],
    stops: dict[str, int],
    counts: Counts,
) -> None:
    """The feed's stops for each of its lines; a dropped line keeps its last known stops."""
    wanted = {(lines[route_id], stops[stop_id]) for route_id, stop_id in links}
    fed_lines = {lines[route_id] for route_id, _stop in links} | set(routes_in_feed)
    existing = {
        (line, stop)
        for line, stop in LineStop.objects.filter(line__network=network)
        .values_list("line_id", "stop_id")
        .iterator(2000)
        if line in fed_lines
    }
    LineStop.objects.bulk_create(
        [LineStop(line_id=line, stop_id=stop) for line, stop in wanted - existing],
        batch_size=BATCH,
    )
    gone: dict[int, list[int]] = {}
    for line, stop in existing - wanted:
        gone.setdefault(line, []).append(stop)
    for line, stop_pks in gone.items():
        for start in range(0, len(stop_pks), BATCH):
            LineStop.objects.filter(
                line_id=line, stop_id__in=stop_pks[start : start + BATCH]
            ).delete()
    counts.created += len(wanted - existing)
    counts.deactivated += len(existing - wanted)


def import_run_start(*, network_name: str, upload: UploadedFile, started_by: Any) -> ImportRun:
    """Stores an uploaded feed (.zip) and asks the worker to import it."""
    with transaction.atomic():
        network = network_get_or_create(name=network_name)
        run = ImportRun(
            network=network, source_name=(upload.name or "")[:255], started_by=started_by
        )
        # Our own name: the uploaded one is only shown (source_name), never used as a path.
        run.upload.save(f"{uuid.uuid4().hex}.zip", upload, save=False)
        run.save()
        import_feed.delay_on_commit(run.pk)
    return run


def import_run_execute(*, run_id: int) -> bool:
    """Runs a waiting import (False if it is gone, running elsewhere, or over)."""
    now = timezone.now()
    claimed = (
        ImportRun.objects.filter(pk=run_id)
        .filter(
            Q(state=ImportRun.State.PENDING)
            | Q(
                state__in=(ImportRun.State.READING, ImportRun.State.SAVING),
                started_at__lt=now - STALE_AFTER,
            )
        )
        .update(state=ImportRun.State.READING, started_at=now, progress=0, error="")
    )
    if not claimed:
        return False
    run = ImportRun.objects.select_related("network").get(pk=run_id)
    shown = {"percent": -1}

    def progress(step: str, fraction: float) -> None:
        # Reading is most of the time (stop_times.txt); saving is one transaction whose own
        # progress nobody could see before it commits.
        percent = int(fraction * 90) if step == ImportRun.State.READING else 90
        if percent >= shown["percent"] + 5 or step == ImportRun.State.SAVING:
            shown["percent"] = percent
            ImportRun.objects.filter(pk=run_id).update(state=step, progress=percent)

    try:
        with run.upload.open("rb") as upload:
            summary = feed_import(source=upload, network=run.network, progress=progress)
    except gtfs.GtfsError as error:
        _finish(run_id, error=error)
        return True
    except FileNotFoundError as error:
        _finish(run_id, error=ApplicationError(_("The uploaded file is gone: send it again.")))
        logger.warning("GTFS import %s: %s", run_id, error)
        return True
    except Exception:
        # Recorded, so the page does not say "checking" forever; the worker logs the rest.
        _finish(run_id, error=ApplicationError(_("The import stopped on an unexpected error.")))
        raise
    ImportRun.objects.filter(pk=run_id).update(
        state=ImportRun.State.DONE,
        progress=100,
        summary=summary.as_dict(),
        finished_at=timezone.now(),
    )
    return True


def _finish(run_id: int, *, error: ApplicationError) -> None:
    where = {}
    if isinstance(error, gtfs.GtfsError):
        where = {
            "error_file": error.file[:255],
            "error_line": error.line,
            "error_column": (error.column or "")[:255],
        }
    ImportRun.objects.filter(pk=run_id).update(
        state=ImportRun.State.FAILED, error=error.message, finished_at=timezone.now(), **where
    )


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The summary of an import (ImportSummary.as_dict()) as sentences for staff."""
    if not summary:
        return []
    lines, stops, links = summary["lines"], summary["stops"], summary["links"]
    text = [
        _("Lines: %(created)s created, %(updated)s updated, %(deactivated)s marked inactive.")
        % lines,
        _("Stops: %(created)s created, %(updated)s updated, %(deactivated)s marked inactive.")
        % stops,
        _("Agencies: %(created)s created, %(updated)s updated.") % summary["agencies"],
    ]
    if summary["links_known"]:
        text.append(
            _(
                "Stops served by each line: %(created)s added, %(removed)s removed "
                "(from %(rows)s stop_times rows)."
            )
            % {
                "created": links["created"],
                "removed": links["deactivated"],
                "rows": summary["stop_times_rows"],
            }
        )
    else:
        text.append(
            _(
                "Stops served by each line: not in this feed (no trips.txt and "
                "stop_times.txt); those already known are kept."
            )
        )
    return text
