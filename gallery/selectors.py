"""Reads for the public pages and the community manager's relay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.db.models import (
    Count,
    Exists,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import JSONObject, TruncHour
from django.urls import reverse

from contest.models import Enrollment, Entry
from contest.selectors import entries_public
from gallery import discover
from gallery.models import Vote
from photos.models import Rendition
from photos.selectors import renditions_by_spec
from transit.models import Line, Stop

__all__ = [
    "ORDERS",
    "PAGE_SIZE",
    "DiscoverStarts",
    "Tile",
    "discover_key_at",
    "discover_page_starts",
    "gallery_page",
    "gallery_tiles",
    "parse_cursor",
    "public_entry",
    "renditions_by_spec",
]

# --- the public gallery ------------------------------------------------------------------

ORDERS = ("recent", "votes", "discover")
PAGE_SIZE = 48


def public_entry(*, public_id: UUID) -> Entry | None:
    """One public photo with what its page shows, or None."""
    return (
        entries_public()
        .filter(photo__public_id=public_id)
        .select_related("photo", "participant", "theme", "contest", "line", "stop")
        .prefetch_related("photo__renditions")
        .first()
    )


@dataclass(frozen=True)
class GalleryPage:
    entries: Sequence[Entry]
    next_cursor: str


def gallery_page(
    *,
    contest_id: int,
    theme_id: int | None = None,
    line_id: int | None = None,
    order: str = "recent",
    cursor: str = "",
    start: int = 0,
    size: int | None = None,
    grid: bool = False,
) -> GalleryPage:
    """One page of the gallery after `cursor` (keyset: as fast on page 5,000 as on page 1).

    `start` is where a "discover" visitor starts (gallery.discover) when there is no cursor;
    `size` is PAGE_SIZE unless given. `grid`: only what the gallery grid shows (gallery_tiles),
    the photo, its credit, its line and its thumb, not its theme, stop or display size.
    """
    size = size or PAGE_SIZE
    entries = entries_public(contest_id=contest_id)
    if theme_id:
        entries = entries.filter(theme_id=theme_id)
    if line_id:
        entries = entries.filter(line_id=line_id)
    if order == "discover":
        position = discover.parse_cursor(cursor) or discover.Position(start % discover.KEY_SPACE)
        return _discover_page(entries, position, size, grid=grid)
    after = parse_cursor(cursor)
    if order == "votes":
        entries = entries.order_by("-vote_count", "-id")
        if after:
            votes, last_id = after
            # The redundant bound lets PostgreSQL start the index scan at the cursor
            # instead of filtering every row before it: deep pages cost what page 1 costs.
            entries = entries.filter(vote_count__lte=votes).filter(
                Q(vote_count__lt=votes) | Q(vote_count=votes, id__lt=last_id)
            )
    else:
        entries = entries.order_by("-decided_at", "-id")
        if after:
            stamp, last_id = after
            moment = datetime.fromtimestamp(stamp / 1_000_000, tz=UTC)
            entries = entries.filter(decided_at__lte=moment).filter(
                Q(decided_at__lt=moment) | Q(decided_at=moment, id__lt=last_id)
            )
    if grid:
        entries = _with_thumbs(entries.select_related(*_DISCOVER_RELATED).only(*_GRID_FIELDS))
    else:
        entries = entries.select_related(*_GRID_RELATED)
    page = list(entries[: size + 1])
    more = len(page) > size
    page = page[:size]
    if not grid:
        _attach_renditions(page)
    next_cursor = _cursor_of(page[-1], order) if more and page else ""
    return GalleryPage(entries=page, next_cursor=next_cursor)


_GRID_RELATED = ("photo", "participant", "theme", "line", "stop")
# What the grid shows of a "discover" page (the photo, its credit, its line's badge) and no
# more: every other join multiplies PostgreSQL's planning time (~1.4 ms with these three,
# ~15 ms with theme and stop as well, at 250,000 photos), which is most of a page's cost.
_DISCOVER_RELATED = ("photo", "participant", "line")
# And only the columns the grid's tiles show (gallery_tiles) and its cursors read: a
# quarter of the columns, most of the ORM's time to build 48 entries with their relations.
_GRID_FIELDS = (
    "shuffle_key",
    "title",
    "caption",
    "vote_count",
    "decided_at",
    "photo__public_id",
    "participant__credit_name",
    "line__short_name",
    "line__long_name",
    "line__gtfs_id",
)


def _thumb(image_format: str) -> Subquery:
    """The photo's thumb in `image_format`, as {"file", "width", "height"}, or None."""
    return Subquery(
        Rendition.objects.filter(
            photo_id=OuterRef("photo_id"), spec="thumb", format=image_format
        ).values(thumb=JSONObject(file="file", width="width", height="height"))[:1],
        output_field=JSONField(),
    )


def _with_thumbs(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    """A grid page's entries with their thumbs (`thumb_jpeg`, `thumb_webp`, read by
    gallery_tiles) in the page's own query: two small subqueries on the rendition_unique
    index, rather than a second query and 96 Rendition objects built by a prefetch through
    the photos: ~0.8 ms less for a "discover" page cold at 250,000 photos (bench/discover.py,
    the selector and tiles, 9.6 ms instead of 10.3)."""
    return entries.annotate(thumb_jpeg=_thumb("jpeg"), thumb_webp=_thumb("webp"))


def _attach_renditions(page: Sequence[Entry]) -> None:
    """The page's thumbs and display sizes, in one query, as each photo's
    `public_renditions` (photos.selectors.renditions_by_spec): what a
    Prefetch("photo__renditions") gives, without Django's prefetch machinery walking
    through the photos."""
    photos = {entry.photo_id: entry.photo for entry in page}  # one photo, one entry
    if not photos:
        return
    renditions = Rendition.objects.filter(spec__in=("thumb", "display"))
    grouped: dict[int, list[Rendition]] = {photo_id: [] for photo_id in photos}
    cache_photo = Rendition.photo.field.set_cached_value
    for rendition in renditions.filter(photo_id__in=photos):
        cache_photo(rendition, photos[rendition.photo_id])
        grouped[rendition.photo_id].append(rendition)
    for entry in page:
        entry.photo.public_renditions = grouped[entry.photo_id]  # type: ignore[attr-defined]


def _discover_page(
    entries: QuerySet[Entry], position: discover.Position, size: int, *, grid: bool = False
) -> GalleryPage:
    """The page of the "discover" order after `position`: each key range it spans is one
    range scan of the entry_discover index (contest.models), so page 1 and page 5,000 cost
    the same; the one page of a scroll that wraps past the top of the key space reads a
    second range, one query more."""
    page: list[Entry] = []
    if grid:
        entries = _with_thumbs(entries.only(*_GRID_FIELDS))
    for segment in discover.segments(position):
        # One more than the page: whether there is a next page, without a COUNT.
        page += (
            entries.filter(shuffle_key__gte=segment.low, shuffle_key__lt=segment.high)
            .select_related(*_DISCOVER_RELATED)
            .order_by("shuffle_key")[: size + 1 - len(page)]
        )
        if len(page) > size:
            break
    more = len(page) > size
    page = page[:size]
    if not grid:
        _attach_renditions(page)
    last = page[-1].shuffle_key if page else None
    next_cursor = discover.cursor_of(position, last) if more and last is not None else ""
    return GalleryPage(entries=page, next_cursor=next_cursor)


@dataclass(frozen=True)
class DiscoverStarts:
    """Where whole "discover" pages start: how many public photos, and the keys at ranks
    0, size, 2 * size... in key order (gallery.discover.page_starts)."""

    count: int
    starts: Sequence[int]


def discover_page_starts(*, contest_id: int, size: int = PAGE_SIZE) -> DiscoverStarts:
    """The contest's whole-page starts (gallery.discover.page_starts), from its keys read in
    order from the entry_discover index alone (~100 ms at 250,000 photos, made once in a
    while and cached by the caller, gallery.services; a window function numbering the rows
    in SQL is slower on PostgreSQL). The index's condition rather than entries_public's
    joins: the few approved photos that are not public (a consent taken back, a rendition
    being remade) count as photos, and a start on one of them starts at the next public
    photo, which only blurs the turns."""
    keys: list[int] = list(
        _discover_indexed(contest_id)
        .filter(shuffle_key__isnull=False)
        .order_by("shuffle_key")
        .values_list("shuffle_key", flat=True)  # type: ignore[arg-type]  # not null, above
    )
    return DiscoverStarts(count=len(keys), starts=discover.page_starts(keys, size))


def _discover_indexed(contest_id: int) -> QuerySet[Entry]:
    """The contest's entries the entry_discover index holds (its condition, contest.models)."""
    return Entry.objects.filter(
        contest_id=contest_id,
        moderation=Entry.Moderation.APPROVED,
        hidden=False,
        withdrawn_at=None,
    )


def discover_key_at(*, contest_id: int, low: int, offset: int) -> int | None:
    """The key `offset` places after the first key >= `low` of discover_page_starts'
    photos, or None (one range scan of the entry_discover index)."""
    return (
        _discover_indexed(contest_id)
        .filter(shuffle_key__gte=low)
        .order_by("shuffle_key")
        .values_list("shuffle_key", flat=True)[offset : offset + 1]
        .first()
    )


@dataclass(frozen=True)
class Tile:
    """What the gallery grid shows of one photo, as plain values: the grid renders 48 at a
    time, and a template reading them costs a fraction of one following relations, storage
    URLs and includes per tile."""

    url: str
    title: str
    caption: str
    credit_name: str
    vote_count: int
    line_id: int | None
    line_label: str
    jpeg_url: str  # empty when the photo has no thumb: no picture
    jpeg_width: int
    jpeg_height: int
    webp_url: str
    webp_width: int


def gallery_tiles(entries: Sequence[Entry]) -> list[Tile]:
    """The tiles of a page of `gallery_page(..., grid=True)` (its thumbs: _with_thumbs)."""
    # One reverse() for the page: the photo URLs differ by their public id alone.
    blank = str(UUID(int=0))
    pattern = reverse("gallery:photo", args=[blank])
    url = Rendition._meta.get_field("file").storage.url  # what FieldFile.url calls
    tiles = []
    for entry in entries:
        jpeg, webp = entry.thumb_jpeg, entry.thumb_webp  # type: ignore[attr-defined]
        line = entry.line
        tiles.append(
            Tile(
                url=pattern.replace(blank, str(entry.photo.public_id)),
                title=entry.title,
                caption=entry.caption,
                credit_name=entry.participant.credit_name,
                vote_count=entry.vote_count,
                line_id=line.pk if line else None,
                line_label=(line.short_name or line.long_name or line.gtfs_id) if line else "",
                jpeg_url=url(jpeg["file"]) if jpeg else "",
                jpeg_width=jpeg["width"] if jpeg else 0,
                jpeg_height=jpeg["height"] if jpeg else 0,
                webp_url=url(webp["file"]) if jpeg and webp else "",
                webp_width=webp["width"] if jpeg and webp else 0,
            )
        )
    return tiles


def _cursor_of(entry: Entry, order: str) -> str:
    if order == "votes":
        return f"{entry.vote_count}_{entry.pk}"
    stamp = round(entry.decided_at.timestamp() * 1_000_000) if entry.decided_at else 0
    return f"{stamp}_{entry.pk}"


def parse_cursor(cursor: str) -> tuple[int, int] | None:
    """(value, id) of a "load more" cursor, or None when it is not one of ours."""
    value, sep, last_id = cursor.partition("_")
    if not sep or len(cursor) > 40 or not value.lstrip("-").isdigit() or not last_id.isdigit():
        return None
    return int(value), int(last_id)


def vote_exists(*, entry_id: int, user_id: int) -> bool:
    return Vote.objects.filter(entry_id=entry_id, user_id=user_id).exists()


def latest_public(*, contest_id: int, count: int = 6) -> Sequence[Entry]:
    return gallery_page(contest_id=contest_id, size=count).entries


def _allows_social() -> Exists:
    """Whether the entry's participant allowed social media for its contest."""
    return Exists(
        Enrollment.objects.filter(
            contest_id=OuterRef("contest_id"),
            participant_id=OuterRef("participant_id"),
            allows_social=True,
        )
    )


def campaign_entries(*, contest_id: int, count: int) -> Sequence[Entry]:
    """The photos for the contest's share image: the most voted public photos (the newest
    first among equals) whose authors allowed social media, since the image is what the
    networks show under the operator's posts. Each with only its share rendition."""
    return list(
        entries_public(contest_id=contest_id)
        .filter(_allows_social())
        .select_related("photo", "participant")
        .prefetch_related(
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec="share", format="jpeg"),
                to_attr="public_renditions",
            )
        )
        .order_by("-vote_count", "-decided_at", "-id")[:count]
    )


# --- lines: badges, the gallery's line filter and the line pages -------------------------


@dataclass(frozen=True)
class LineColours:
    network_slug: str  # empty when the network has no line
    rows: Sequence[tuple[int, str, str]]  # (id, colour, text colour), by id


def network_line_colours(*, network_id: int | None = None, network_slug: str = "") -> LineColours:
    """The colours of every line of the network, and its slug, in one query: what its
    stylesheet draws and what the stylesheet's version is made of."""
    lines = Line.objects.all()
    if network_id is not None:
        lines = lines.filter(network_id=network_id)
    else:
        lines = lines.filter(network__slug=network_slug)
    rows = list(lines.order_by("pk").values_list("pk", "colour", "text_colour", "network__slug"))
    return LineColours(
        network_slug=rows[0][3] if rows else network_slug,
        rows=[(pk, colour, text) for pk, colour, text, _slug in rows],
    )


def lines_with_photos(*, contest_id: int) -> list[Line]:
    """The lines that have at least one public photo of the contest, in the network's order:
    the choices of the gallery's line filter."""
    return list(
        Line.objects.filter(
            pk__in=entries_public(contest_id=contest_id)
            .filter(line__isnull=False)
            .values("line_id")
        ).order_by("sort_order", "short_name", "pk")
    )


def contest_line(*, network_id: int | None, line_id: int) -> Line | None:
    """A line of the contest's network (active or not: old photos keep their tag), or None."""
    if network_id is None:
        return None
    return Line.objects.filter(network_id=network_id, pk=line_id).first()


def line_stops_with_photos(*, contest_id: int, line_id: int) -> list[Stop]:
    """The stops where public photos of the line were taken, each with `photo_count`, the
    busiest first, in one query."""
    public = entries_public(contest_id=contest_id).filter(line_id=line_id)
    return list(
        Stop.objects.filter(pk__in=public.filter(stop__isnull=False).values("stop_id"))
        .annotate(
            photo_count=Count("entries", filter=Q(entries__in=public.values("pk")), distinct=True)
        )
        .order_by("-photo_count", "name", "pk")
    )


@dataclass(frozen=True)
class LineStats:
    line: Line
    entries: int  # every entry of the contest tagged with the line, whatever its state
    approved: int
    votes: int  # on its approved photos


@dataclass(frozen=True)
class LinesReport:
    rows: Sequence[LineStats]  # the lines with entries, the most entries first
    without_photos: Sequence[Line]  # the network's current lines with no entry yet


def line_stats(*, contest_id: int, network_id: int | None) -> LinesReport:
    """Entries, approved photos and votes per line, and the lines with no photo yet: where
    the community manager should push. One query, whatever the lines and entries."""
    if network_id is None:
        return LinesReport(rows=[], without_photos=[])
    here = Q(entries__contest_id=contest_id)
    approved = here & Q(entries__moderation=Entry.Moderation.APPROVED)
    lines = (
        Line.objects.filter(network_id=network_id)
        .annotate(
            n_entries=Count("entries", filter=here),
            n_approved=Count("entries", filter=approved),
            n_votes=Sum("entries__vote_count", filter=approved),
        )
        .filter(Q(active=True) | Q(n_entries__gt=0))
        .order_by("sort_order", "short_name", "pk")
    )
    rows, without = [], []
    for line in lines:
        if line.n_entries:  # type: ignore[attr-defined]
            rows.append(
                LineStats(
                    line=line,
                    entries=line.n_entries,  # type: ignore[attr-defined]
                    approved=line.n_approved,  # type: ignore[attr-defined]
                    votes=line.n_votes or 0,  # type: ignore[attr-defined]
                )
            )
        else:
            without.append(line)
    rows.sort(key=lambda r: (-r.entries, -r.approved))
    return LinesReport(rows=rows, without_photos=without)


# --- the social relay (the community manager's pages) ------------------------------------

BURST_HOURS = 72
BURST_TOP = 20


def relay_entries(*, contest_id: int) -> QuerySet[Entry]:
    """The public photos, newest first, each with `allows_social`: whether its participant
    allowed social media for this contest, read in the same query as the photo."""
    return (
        entries_public(contest_id=contest_id)
        .annotate(allows_social=_allows_social())
        .select_related("photo", "participant")
        .prefetch_related(
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec="thumb"),
                to_attr="public_renditions",
            )
        )
        .order_by("-decided_at", "-id")
    )


@dataclass(frozen=True)
class HourVotes:
    hour: datetime  # the start of the hour, in UTC
    votes: int


@dataclass(frozen=True)
class NetworkVotes:
    network: str  # the start of the address's keyed hash: enough to tell networks apart
    votes: int
    photos: int
    voters: int


@dataclass(frozen=True)
class PhotoVotes:
    title: str
    public_id: UUID | None
    votes: int
    networks: int
    total: int


@dataclass(frozen=True)
class VoteBursts:
    since: datetime
    hours: Sequence[HourVotes]  # newest first, every hour present, zeros included
    peak: int
    networks: Sequence[NetworkVotes]
    photos: Sequence[PhotoVotes]


def vote_bursts(*, contest_id: int, now: datetime) -> VoteBursts:
    """Votes per hour over the last 72 hours, the busiest networks, and the photos most
    voted for in the last hour: enough to spot a burst. Three queries, whatever the votes."""
    # Hours are cut in UTC so the buckets made here match the database's, DST or not.
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    since = current - timedelta(hours=BURST_HOURS - 1)
    votes = Vote.objects.filter(entry__contest_id=contest_id, created_at__gte=since)
    per_hour = dict(
        votes.annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    hours = [
        HourVotes(hour=hour, votes=per_hour.get(hour, 0))
        for hour in (current - timedelta(hours=n) for n in range(BURST_HOURS))
    ]
    networks = [
        NetworkVotes(
            network=row["ip_hash"][:10],
            votes=row["votes"],
            photos=row["photos"],
            voters=row["voters"],
        )
        for row in votes.exclude(ip_hash="")
        .values("ip_hash")
        .annotate(
            votes=Count("id"),
            photos=Count("entry_id", distinct=True),
            voters=Count("user_id", distinct=True),
        )
        .order_by("-votes", "ip_hash")[:BURST_TOP]
    ]
    photos = [
        PhotoVotes(
            title=row["entry__title"],
            public_id=row["entry__photo__public_id"],
            votes=row["votes"],
            networks=row["networks"],
            total=row["entry__vote_count"],
        )
        for row in Vote.objects.filter(
            entry__contest_id=contest_id, created_at__gte=now - timedelta(hours=1)
        )
        .values("entry_id", "entry__title", "entry__photo__public_id", "entry__vote_count")
        .annotate(
            votes=Count("id"), networks=Count("ip_hash", distinct=True, filter=~Q(ip_hash=""))
        )
        .order_by("-votes", "entry_id")[:BURST_TOP]
    ]
    return VoteBursts(
        since=since,
        hours=hours,
        peak=max((h.votes for h in hours), default=0),
        networks=networks,
        photos=photos,
    )
