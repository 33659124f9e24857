"""Writes of the public side: votes, the community manager's social kits, and the
contest's share image."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import secrets
import time
import uuid
import zipfile
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from contest.models import Contest, Enrollment, Entry
from core.colour import parse_hex
from core.errors import ApplicationError
from core.network import network_hash
from core.ratelimit import Limit, RateLimited, address_key, person_key, rate_limit
from gallery import discover, selectors, share_card
from gallery.models import Share, Vote
from photos import imaging
from photos.imaging.encoding import encode_jpeg
from photos.models import Rendition
from photos.services import originals_storage, upload_policy

logger = logging.getLogger(__name__)


class VoteRefused(ApplicationError):
    """Votes are closed."""


class VoteRateLimited(RateLimited):
    """Too many votes from this voter (VOTES_PER_HOUR) or address (..._PER_ADDRESS)."""

    reason = gettext_lazy("Too many votes in a short time.")


def vote_cast(*, entry: Entry, user: User, ip_address: str | None) -> bool:
    """Records a "coup de cœur"; True if it is new. A repeated vote changes nothing.

    The unique constraint decides between simultaneous identical votes, and the count only
    moves for the one insert that succeeded.
    """
    if not entry.contest.votes_open:
        raise VoteRefused(_("Votes are closed."))
    rate_limit(
        Limit(person_key("vote", user.pk), settings.VOTES_PER_HOUR),
        Limit(address_key("vote", ip_address), settings.VOTES_PER_HOUR_PER_ADDRESS),
        error=VoteRateLimited,
    )
    ip_hash = network_hash(ip_address=ip_address)
    try:
        with transaction.atomic():
            Vote.objects.create(entry=entry, user=user, ip_hash=ip_hash)
            Entry.objects.filter(pk=entry.pk).update(vote_count=F("vote_count") + 1)
    except IntegrityError:
        return False
    return True


def share_record(*, entry: Entry, network: str, ip_address: str | None) -> None:
    """Counts a tap on a share button, once per visitor's network, photo, social network and
    day: a reload or a double tap counts once, and a visitor without an address not at all."""
    visitor = network_hash(ip_address=ip_address)
    if not visitor:
        return
    Share.objects.bulk_create(
        [Share(entry=entry, network=network, visitor=visitor, day=timezone.localdate())],
        ignore_conflicts=True,
    )


# --- the community manager's social kit --------------------------------------------------


class SocialKitUnavailable(ApplicationError):
    """The participant did not allow social media, or the original cannot be read."""


def social_hashtag(slug: str) -> str:
    """The contest's hashtag: "couvertures-2027" gives "#Couvertures2027".

    Hyphens go, since a hashtag ends at the first one; capitals keep the words readable.
    """
    words = [word for word in re.split(r"[^0-9A-Za-z]+", slug) if word]
    tag = "".join(word[:1].upper() + word[1:] for word in words)
    # The networks do not link a tag made of digits only.
    return f"#{tag}" if tag and not tag.isdigit() else ""


def social_place(entry: Entry) -> str:
    """ "Ligne 2 · Commerce": where the photo was taken, in French like the caption."""
    parts = []
    if entry.line is not None:
        number = entry.line.short_name or entry.line.long_name or entry.line.gtfs_id
        parts.append(f"Ligne {number}")
    if entry.stop is not None and entry.stop.name:
        parts.append(entry.stop.name)
    return " · ".join(parts)


def social_caption(
    *,
    title: str,
    caption: str,
    credit: str,
    contest_title: str,
    url: str,
    slug: str,
    place: str = "",
) -> str:
    """The ready-to-post text of the social kit.

    In French whatever the staff member's language: it is written for the operator's
    French-speaking audience, not for the person who downloads it. `place` is the line and
    stop (social_place), the first thing a rider of that line looks for.
    """
    lines = [title, caption, *([place] if place else []), ""]
    if credit:
        lines.append(f"Photo : {credit}")
    lines += [contest_title, url]
    hashtag = social_hashtag(slug)
    if hashtag:
        lines += ["", hashtag]
    return "\n".join(lines) + "\n"


def social_kit_stem(*, slug: str, public_id: uuid.UUID) -> str:
    """The start of the kit's file names: chosen here, never from what the rider sent."""
    return f"{slug}-{public_id.hex[:8]}"


def photo_social_kit(*, entry: Entry, base_url: str) -> bytes:
    """A zip of the photo cut for the social networks (square, portrait, story) and its
    caption, for an entry the caller found public. The caption links to the photo's page
    on `base_url`, the site as the community manager reached it.

    The crops are made from the original: a 1080x1920 story cut from the 1600 px display
    rendition of a landscape photo would be upscaled. Like every rendition they are new
    images, so no EXIF or GPS data of the original goes with them. Raises
    SocialKitUnavailable unless the participant allowed social media for this contest.
    """
    allowed = Enrollment.objects.filter(
        contest_id=entry.contest_id, participant_id=entry.participant_id, allows_social=True
    ).exists()
    if not allowed:
        raise SocialKitUnavailable("the participant did not allow social media")
    photo = entry.photo
    if not photo.original:  # purged by the retention period (contest.retention)
        raise SocialKitUnavailable("the original is no longer kept")
    try:
        with originals_storage().open(photo.original, "rb") as original:
            result = imaging.process_image(
                original,
                specs=imaging.SOCIAL_SPECS,
                policy=upload_policy(),
                rotation=photo.rotation,
            )
    except FileNotFoundError as exc:
        raise SocialKitUnavailable("the original is missing") from exc
    except imaging.ImageDecodeError as exc:
        raise SocialKitUnavailable(str(exc)) from exc

    stem = social_kit_stem(slug=entry.contest.slug, public_id=photo.public_id)
    text = social_caption(
        title=entry.title,
        caption=entry.caption,
        credit=entry.participant.credit_name,
        contest_title=entry.contest.title,
        url=base_url.rstrip("/") + reverse("gallery:photo", args=[photo.public_id]),
        slug=entry.contest.slug,
        place=social_place(entry),
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rendered in result.files:
            # JPEG data does not shrink further: stored as is, so unzipping costs nothing.
            archive.writestr(
                f"{stem}-{rendered.spec}.jpg", rendered.data, compress_type=zipfile.ZIP_STORED
            )
        archive.writestr("legende.txt", text.encode(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- the contest's share image -----------------------------------------------------------

SHARE_IMAGE_DIR = "renditions/campagne"
"""Under renditions/: public like the photos' renditions (and served by the dev run)."""
SHARE_IMAGE_CACHE_SECONDS = 7 * 86400
COLLAGE_PHOTOS = 4


@dataclass(frozen=True)
class ShareImage:
    url: str  # the storage's URL: relative on local disk, absolute on S3 or a CDN
    width: int
    height: int
    alt: str


def contest_share_image(*, contest: Contest) -> ShareImage | None:
    """The image the networks show for the contest's pages (1200x630 JPEG), or None.

    Four photos (the most voted, see selectors.campaign_entries) make a 2x2 collage; one to
    three: the first one's own share rendition, already cut to 1.91:1; none yet, as at the
    launch, when the operator posts the contest page: the contest's title on the brand
    colour. A new image is made on the first request that needs it, once: its file name
    holds a hash of what it is made of, so a new selection (or title) gets a new URL that the
    networks' caches have never seen, and a cache entry saves later requests even the
    storage's existence check. None when there is no photo and no font to write the title.
    """
    chosen: list[tuple[Entry, Rendition]] = []
    for entry in selectors.campaign_entries(contest_id=contest.pk, count=COLLAGE_PHOTOS):
        share = selectors.renditions_by_spec(entry.photo).get("share", {}).get("jpeg")
        if share is not None:
            chosen.append((entry, share))
    if 0 < len(chosen) < COLLAGE_PHOTOS:
        entry, share = chosen[0]
        credit = _("Photo: %(name)s") % {"name": entry.participant.credit_name}
        return ShareImage(share.file.url, share.width, share.height, f"{entry.title} — {credit}")
    if chosen:
        names = sorted({e.participant.credit_name for e, _r in chosen if e.participant.credit_name})
        alt = _("Photos: %(names)s") % {"names": ", ".join(names)} if names else contest.title
        parts = [share.file.name for _e, share in chosen]
    else:
        if share_card.find_font() is None:
            return None
        alt = contest.title
        parts = ["title", contest.title, contest.brand_name]
    colours = contest.brand_colours
    parts += colours  # a new brand colour is a new image under a new URL
    digest = hashlib.sha256("\n".join([share_card.VERSION, *parts]).encode()).hexdigest()
    name = f"{SHARE_IMAGE_DIR}/{contest.slug}-{digest[:20]}.jpg"
    key = f"share-image:{name}"
    stored = cache.get(key)
    if stored is None:
        try:
            stored = _share_image_store(
                name, shares=[r for _e, r in chosen], contest=contest, colours=colours
            )
        except (OSError, BotoCoreError, ClientError):
            # The page goes out without an image rather than with an error; the next
            # request tries again.
            logger.warning("share image %s could not be made", name, exc_info=True)
            return None
        cache.set(key, stored, SHARE_IMAGE_CACHE_SECONDS)
    width, height = share_card.SIZE
    return ShareImage(default_storage.url(stored), width, height, alt)


def _share_image_store(
    name: str, *, shares: list[Rendition], contest: Contest, colours: tuple[str, str]
) -> str:
    """Makes and stores the image unless it is there already; returns its storage name."""
    if default_storage.exists(name):
        return name
    background, ink = (parse_hex(colour) for colour in colours)
    if shares:
        photos = []
        for share in shares:
            with default_storage.open(share.file.name, "rb") as file, Image.open(file) as im:
                photos.append(im.convert("RGB"))  # decoded while the file is open
        card = share_card.collage(photos, background=background)
    else:
        card = share_card.title_card(
            contest.title,
            font_path=share_card.find_font() or "",
            background=background,
            ink=ink,
            signature=contest.brand_name,
        )
    # Two first requests at once both make it; storage keeps one (or a suffixed twin on
    # local disk), and either URL shows the same image.
    return default_storage.save(name, ContentFile(encode_jpeg(card)))


# The count of a contest's new "discover" visitors, in the shared cache: one atomic INCR
# across workers. And its whole-page starts, read again now and then: approvals between two
# reads put a few photos in pages already counted, which only blurs the turns a little.
DISCOVER_VISITORS_KEY = "gallery:discover-visitors"
DISCOVER_STARTS_KEY = "gallery:discover-page-starts"
# How long a reading of the starts is used before it is read again (~100 ms of index scan
# at 250,000 photos), and how long the shared cache keeps it: past its time, the visitors
# keep being handed starts from it while one process reads the new one.
DISCOVER_STARTS_SECONDS = 600
DISCOVER_STARTS_KEPT_SECONDS = 7 * 86400
# The lock of that one process: longer than any reading, short enough that a process
# killed mid-reading holds nobody up for long.
DISCOVER_STARTS_LOCK_SECONDS = 30
# Each process keeps the starts it read this long (5,200 keys at 250,000 photos, ~26 KB in
# the shared cache), so that a new visitor costs the INCR alone (and the lookup of a start
# mid-page), not a read of the whole list from the shared cache.
DISCOVER_STARTS_LOCAL_SECONDS = 5.0


@dataclass(frozen=True)
class _StartsRead:
    """The starts as the shared cache holds them: when they are due to be read again."""

    due: float  # time.time()
    starts: selectors.DiscoverStarts


# key -> (time.monotonic() until which it is used, the starts)
_local_starts: dict[str, tuple[float, selectors.DiscoverStarts]] = {}


def discover_visitor_start(*, contest_id: int) -> int:
    """Where the next new "discover" visitor of the contest starts: at the photo following
    the previous new visitor's first page (gallery.discover.round_robin_rank), so that
    consecutive visitors' first pages show the whole gallery in turn, and the same starts
    come back lap after lap (their pages shared in the page cache). Without the shared
    cache, or while the contest's starts are being read for the first time, a random
    start: as fair on average, only less even, and never an error or a wait."""
    size = selectors.PAGE_SIZE
    counter = f"{DISCOVER_VISITORS_KEY}:{contest_id}"
    try:
        cache.add(counter, 0, timeout=None)
        number = cache.incr(counter)
    except Exception:  # the cache is down (or the key was evicted between add and incr)
        logger.warning("cache unavailable for the discover visitor count", exc_info=True)
        return _random_start()
    starts = _discover_starts(contest_id=contest_id, size=size)
    if starts is None:
        return _random_start()
    if not starts.starts:
        return 0
    page, within = divmod(discover.round_robin_rank(number, starts.count, size), size)
    base = starts.starts[min(page, len(starts.starts) - 1)]
    if not within:
        return base
    # A lap that does not end on a whole page: the next one takes up mid-page, one short
    # range scan of the index.
    found = selectors.discover_key_at(contest_id=contest_id, low=base, offset=within)
    return base if found is None else found


def _random_start() -> int:
    return discover.bucket_start(secrets.randbelow(discover.KEY_SPACE))


def _discover_starts(*, contest_id: int, size: int) -> selectors.DiscoverStarts | None:
    """The contest's whole-page starts: this process's copy if recent, else the shared
    cache's, read again from the database by one process at a time when due; None when
    there are none yet and another process is reading them."""
    key = f"{DISCOVER_STARTS_KEY}:{contest_id}:{size}"
    now = time.monotonic()
    local = _local_starts.get(key)
    if local is not None and now < local[0]:
        return local[1]
    try:
        held = cache.get(key)
    except Exception:
        logger.warning("cache unavailable for the discover starts", exc_info=True)
        return None
    kept = held if isinstance(held, _StartsRead) else None
    if kept is not None and time.time() < kept.due:
        starts: selectors.DiscoverStarts | None = kept.starts
    else:
        starts = _discover_starts_read(contest_id=contest_id, size=size, key=key)
        if starts is None and kept is not None:
            starts = kept.starts  # another process is reading them: the last reading
    if starts is not None:
        _local_starts[key] = (now + DISCOVER_STARTS_LOCAL_SECONDS, starts)
    return starts


def _discover_starts_read(
    *, contest_id: int, size: int, key: str
) -> selectors.DiscoverStarts | None:
    """Reads the starts from the database and shares them, unless another process is at it
    (None): a lock taken with an atomic add, so that when they fall due, the visitors
    arriving at that moment do not all run the same ~100 ms scan at once."""
    lock = f"{key}:lock"
    try:
        if not cache.add(lock, 1, timeout=DISCOVER_STARTS_LOCK_SECONDS):
            return None
    except Exception:
        logger.warning("cache unavailable for the discover starts", exc_info=True)
        return None
    try:
        starts = selectors.discover_page_starts(contest_id=contest_id, size=size)
        read = _StartsRead(due=time.time() + DISCOVER_STARTS_SECONDS, starts=starts)
        try:
            cache.set(key, read, DISCOVER_STARTS_KEPT_SECONDS)
        except Exception:
            logger.warning("cache unavailable for the discover starts", exc_info=True)
    finally:  # even when the database failed: the next visitor tries again
        try:
            cache.delete(lock)
        except Exception:
            logger.warning("cache unavailable for the discover starts lock", exc_info=True)
    return starts
