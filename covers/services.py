"""Writes of the covers: guides, crops, mock-ups, the allocation and its lock, print
packages, the winners' credit proofs and the published results.

Every human decision writes a CoverEvent. The allocation changes only while it is not
locked; the lock and the publication are conditional UPDATEs, so two people acting at once
get exactly one outcome.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image

from contest.models import Contest, Entry, Release
from contest.selectors import contest_title_in
from core.errors import ApplicationError
from core.mail import Attachment
from covers import allocation, geometry, tasks
from covers.models import (
    CoverEvent,
    CoverSettings,
    CreditProof,
    Crop,
    Guide,
    Mockup,
    Pick,
    PrintPackage,
)
from covers.packaging import PackagingError, write_package
from covers.selectors import (
    LineLook,
    allocation_candidates,
    candidates,
    default_credit,
    guide_candidates,
    guide_format,
    guide_line_look,
    guides_line_looks,
    guides_of,
    ineligibility,
    proof_mockup,
)
from notifications.services import message_queue
from photos.models import Photo
from photos.services import originals_storage
from transit.models import Line

logger = logging.getLogger(__name__)


class CoverError(ApplicationError):
    """A covers rule said no."""


def _event(
    contest: Contest,
    action: str,
    *,
    actor: User | None = None,
    guide: Guide | None = None,
    entry: Entry | None = None,
    detail: str = "",
) -> None:
    CoverEvent.objects.create(
        contest=contest, action=action, actor=actor, guide=guide, entry=entry, detail=detail
    )


def _settings_for_update(contest: Contest) -> CoverSettings:
    CoverSettings.objects.get_or_create(contest=contest)
    return CoverSettings.objects.select_for_update().get(contest=contest)


def _unlocked(contest: Contest) -> CoverSettings:
    """The contest's settings row, locked for this transaction; refuses a locked allocation."""
    cover_settings = _settings_for_update(contest)
    if cover_settings.locked_at is not None:
        raise CoverError(_("The allocation is locked: the chair must unlock it first."))
    return cover_settings


# --- guides and settings ---------------------------------------------------------------------


def _check_guide(guide: Guide) -> None:
    if guide.trim_width_mm <= 0 or guide.trim_height_mm <= 0:
        raise CoverError(_("The trim size must be positive."))
    if guide.bleed_mm < 0 or guide.safe_mm < 0:
        raise CoverError(_("The bleed and the safe margin cannot be negative."))
    if guide.needs < 1:
        raise CoverError(_("A guide needs at least one photo."))
    zone = (guide.title_x_mm, guide.title_y_mm, guide.title_width_mm, guide.title_height_mm)
    if (
        min(zone) < 0
        or guide.title_width_mm <= 0
        or guide.title_height_mm <= 0
        or guide.title_x_mm + guide.title_width_mm > guide.trim_width_mm + 1e-6
        or guide.title_y_mm + guide.title_height_mm > guide.trim_height_mm + 1e-6
    ):
        raise CoverError(_("The title zone must lie inside the trim."))


def guide_save(
    *, contest: Contest, guide: Guide, actor: User, lines: Iterable[Line] | None = None
) -> Guide:
    """Creates or updates a guide (from a validated form's instance); mock-ups follow.

    `lines`, when given, become the guide's transit lines: lines of the contest's network.
    """
    if guide.format in geometry.PRESETS:
        guide.trim_width_mm, guide.trim_height_mm = geometry.PRESETS[guide.format]
    _check_guide(guide)
    chosen = list(lines) if lines is not None else None
    if chosen and any(line.network_id != contest.network_id for line in chosen):
        raise CoverError(_("Choose lines of the contest's transit network."))
    with transaction.atomic():
        _unlocked(contest)
        guide.contest = contest
        if guide.pk:
            guide.version = F("version") + 1
        guide.save()
        guide.refresh_from_db()
        if chosen is not None:
            guide.transit_lines.set(chosen)
        _event(contest, CoverEvent.Action.GUIDE, actor=actor, guide=guide, detail=guide.name)
        covers_prepare(contest=contest, guides=[guide])
    return guide


def guide_delete(*, guide: Guide, actor: User) -> None:
    contest = guide.contest
    with transaction.atomic():
        _unlocked(contest)
        _event(contest, CoverEvent.Action.GUIDE_DELETE, actor=actor, detail=guide.name)
        files = list(Mockup.objects.filter(guide=guide).values_list("file", "overlay_file"))
        guide.delete()
    transaction.on_commit(lambda: _delete_files(name for pair in files for name in pair))


def _delete_files(names: Iterable[str]) -> None:
    storage = originals_storage()
    for name in names:
        if name:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete %s", name)


def _rasterise_logo(data: bytes) -> bytes:
    """The logo as a PNG no larger than 1200 px: PNG (or JPEG/WebP) only, decoded by Pillow.

    An SVG is refused: rasterising one safely needs a renderer that fetches nothing and runs
    no script, and the stack has none; the operator exports a PNG from it instead.
    """
    if data.lstrip()[:5] in (b"<?xml", b"<svg ") or b"<svg" in data[:1024]:
        raise CoverError(
            _("Send the logo as a PNG (export it from the SVG with a transparent background).")
        )
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG", "WEBP"]) as im:
            if im.width * im.height > 25_000_000:
                raise CoverError(_("This logo is too large."))
            im.load()
            logo = im.convert("RGBA")
    except CoverError:
        raise
    except Exception as exc:  # Pillow's many faults for a file that is not an image
        raise CoverError(_("This file is not a PNG image we can read.")) from exc
    logo.thumbnail((1200, 1200))
    out = io.BytesIO()
    logo.save(out, "PNG")
    return out.getvalue()


def settings_update(
    *,
    contest: Contest,
    actor: User,
    one_cover_per_participant: bool,
    logo: bytes | None = None,
) -> CoverSettings:
    """Changes the allocation rule and, when given, the logo (mock-ups are drawn again)."""
    png = _rasterise_logo(logo) if logo is not None else None
    with transaction.atomic():
        cover_settings = _unlocked(contest)
        old_logo = cover_settings.logo
        cover_settings.one_cover_per_participant = one_cover_per_participant
        if png is not None:
            cover_settings.logo = originals_storage().save(
                f"covers/logos/{contest.pk}.png", ContentFile(png)
            )
            cover_settings.logo_version += 1
        cover_settings.save()
        _event(
            contest,
            CoverEvent.Action.SETTINGS,
            actor=actor,
            detail=f"one_cover_per_participant={one_cover_per_participant}"
            + (" logo" if png is not None else ""),
        )
        if png is not None:
            if old_logo:
                transaction.on_commit(lambda: _delete_files([old_logo]))
            covers_prepare(contest=contest, guides=guides_of(contest=contest))
    return cover_settings


def upload_print_advice(contest_id: int, size: tuple[int, int]) -> str | None:
    """Registered with the upload page: a photo too small for every one of the contest's
    guides at 200 ppi is accepted, and its rider told so, while they still have the original."""
    guides = list(Guide.objects.filter(contest_id=contest_id))
    if not guides or min(size) < 1:
        return None
    best = max(guides, key=lambda g: geometry.best_ppi(size, guide_format(g)))
    ppi = geometry.best_ppi(size, guide_format(best))
    if ppi >= geometry.PPI_MIN:
        return None
    return _(
        "this photo is too small to be printed on a cover (%(ppi)d ppi on the “%(guide)s” "
        "guide, %(min)d needed). It stays in the contest; if your phone has the original, "
        "send that one rather than a copy from a messaging app."
    ) % {"ppi": round(ppi), "guide": best.name, "min": geometry.PPI_MIN}


# --- crops and mock-ups ----------------------------------------------------------------------


def mockup_key(
    guide: Guide, crop: Crop | None, photo: Photo, logo_version: int, look: LineLook | None = None
) -> str:
    """Names what a mock-up is drawn from: a change to any of it draws a new one, the
    guide's line's number or colours from a newer feed included."""
    parts = [
        look,
        guide.pk,
        guide.version,
        crop.version if crop else 0,
        (crop.left, crop.top, crop.width, crop.height) if crop else None,
        photo.renditions_hash,
        photo.rotation,
        logo_version,
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


MOCKUP_STALE = timedelta(minutes=5)
"""Longer than prepare_cover's time limit (2 minutes) plus its wait in the queue."""
MOCKUP_MAX_ATTEMPTS = 3


def covers_prepare(*, contest: Contest, guides: list[Guide] | None = None) -> int:
    """Enqueues the crop suggestion and the mock-up of every candidate that lacks one.

    Idempotent: the worker makes only what is missing, so a page or a sweep may call it
    as often as it likes. Returns how many jobs were enqueued.
    """
    guides = guides_of(contest=contest) if guides is None else guides
    found = candidates(contest=contest)
    if not guides or not found:
        return 0
    logo_version = (
        CoverSettings.objects.filter(contest=contest).values_list("logo_version", flat=True).first()
        or 0
    )
    crops = {(c.guide_id, c.entry_id): c for c in Crop.objects.filter(guide__in=guides)}
    looks = guides_line_looks(guides=guides)
    # Settled: drawn, given up on, or being drawn by a job still in time. A mock-up pending
    # for longer than a job may take lost its job (worker gone, broker down): sent again.
    fresh = timezone.now() - MOCKUP_STALE
    ready = set(
        Mockup.objects.filter(guide__in=guides)
        .filter(
            Q(state=Mockup.State.READY)
            | Q(attempts__gte=MOCKUP_MAX_ATTEMPTS)
            | Q(state=Mockup.State.PENDING, updated_at__gte=fresh)
        )
        .values_list("guide_id", "entry_id", "key")
    )
    enqueued = 0
    for guide in guides:
        for candidate in found:
            photo = candidate.entry.photo
            if photo.status != Photo.Status.READY:
                continue
            crop = crops.get((guide.pk, candidate.entry.pk))
            if crop is not None and crop.photo_hash == photo.renditions_hash:
                key = mockup_key(guide, crop, photo, logo_version, looks[guide.pk])
                if (guide.pk, candidate.entry.pk, key) in ready:
                    continue
            tasks.prepare_cover.delay_on_commit(guide.pk, candidate.entry.pk)
            enqueued += 1
    return enqueued


def _display_image(photo: Photo) -> Image.Image:
    """The photo's display rendition (upright, sRGB, up to 1600 px): the suggestion's input."""
    rendition = photo.renditions.filter(spec="display", format="jpeg").first()
    if rendition is None:
        raise CoverError("no display rendition")
    with rendition.file.open("rb") as fp, Image.open(fp) as im:
        im.load()
        return im.convert("RGB")


def crop_suggest(*, guide: Guide, entry: Entry) -> Crop:
    """The crop for (guide, entry): made from the suggestion when missing or when the photo
    changed since (a quarter turn); a person's crop on the same photo is kept."""
    from covers.crop import suggest_crop

    photo = entry.photo
    crop = Crop.objects.filter(guide=guide, entry=entry).first()
    if crop is not None and crop.photo_hash == photo.renditions_hash:
        return crop
    small = _display_image(photo)
    box = suggest_crop(small, guide_format(guide).aspect)
    frac = box.to_fractions(small.size)
    values = {
        "left": frac.left,
        "top": frac.top,
        "width": frac.width,
        "height": frac.height,
        "photo_hash": photo.renditions_hash,
        "suggested": True,
        "changed_by": None,
    }
    if crop is None:
        try:
            with transaction.atomic():
                return Crop.objects.create(guide=guide, entry=entry, **values)
        except IntegrityError:  # another job made it first
            return Crop.objects.get(guide=guide, entry=entry)
    Crop.objects.filter(pk=crop.pk).update(version=F("version") + 1, **values)
    crop.refresh_from_db()
    return crop


def crop_update(
    *, guide: Guide, entry: Entry, actor: User, box: geometry.FracBox, reset: bool = False
) -> Crop:
    """A person moves or resizes the crop; it is made valid (aspect, inside the photo)."""
    photo = entry.photo
    if not photo.width or not photo.height:
        raise CoverError(_("The photo is not ready."))
    size = (photo.width, photo.height)
    fmt = guide_format(guide)
    with transaction.atomic():
        _unlocked(guide.contest)
        crop = Crop.objects.select_for_update().filter(guide=guide, entry=entry).first()
        if reset:
            if crop is not None:
                crop.delete()
            _event(
                guide.contest, CoverEvent.Action.CROP_RESET, actor=actor, guide=guide, entry=entry
            )
            tasks.prepare_cover.delay_on_commit(guide.pk, entry.pk)
            return Crop(
                guide=guide,
                entry=entry,
                **geometry.largest_box(size, fmt.aspect).to_fractions(size).as_dict(),
            )
        fitted = geometry.fit_box(box.to_box(size), size, fmt.aspect).to_fractions(size)
        values = {
            **fitted.as_dict(),
            "suggested": False,
            "changed_by": actor,
            "photo_hash": photo.renditions_hash,
        }
        if crop is None:
            crop = Crop.objects.create(guide=guide, entry=entry, **values)
        else:
            for name, value in values.items():
                setattr(crop, name, value)
            crop.version += 1
            crop.save()
        ppi = geometry.effective_ppi(fitted.width * size[0], fmt)
        _event(
            guide.contest,
            CoverEvent.Action.CROP,
            actor=actor,
            guide=guide,
            entry=entry,
            detail=json.dumps({**fitted.as_dict(), "ppi": round(ppi)}),
        )
        tasks.prepare_cover.delay_on_commit(guide.pk, entry.pk)
    return crop


MOCKUP_WIDTH = 900
"""Mock-ups are drawn this wide (a DL cover 1,851 px high): sharp on a phone and a desk."""


def _claim_mockup(mockup: Mockup) -> bool:
    return bool(
        Mockup.objects.filter(pk=mockup.pk, state=Mockup.State.PENDING).update(
            attempts=F("attempts") + 1
        )
    )


def cover_prepare(*, guide_id: int, entry_id: int) -> Mockup | None:
    """Makes what is missing for (guide, entry): the crop suggestion, then the mock-up for
    the current guide, crop, logo and photo. A repeated job finds it made and does nothing."""
    guide = Guide.objects.filter(pk=guide_id).select_related("contest").first()
    entry = Entry.objects.filter(pk=entry_id).select_related("photo", "participant").first()
    if guide is None or entry is None or entry.photo.status != Photo.Status.READY:
        return None
    if not entry.photo.original:  # purged by the retention period: nothing to draw from
        return None
    try:
        crop = crop_suggest(guide=guide, entry=entry)
    except (CoverError, OSError) as exc:
        # The display rendition is missing or unreadable: the photo worker remakes what is
        # missing, and the sweep comes back then. Raising would only repeat a traceback at
        # every sweep (nothing a retry of this job can mend).
        logger.warning("no crop for guide %s, entry %s yet: %s", guide_id, entry_id, exc)
        return None
    cover_settings = CoverSettings.objects.filter(contest=guide.contest).first()
    logo_version = cover_settings.logo_version if cover_settings else 0
    look = guide_line_look(guide=guide)
    key = mockup_key(guide, crop, entry.photo, logo_version, look)
    mockup, _created = Mockup.objects.get_or_create(guide=guide, entry=entry, key=key)
    if mockup.state == Mockup.State.READY or mockup.attempts >= MOCKUP_MAX_ATTEMPTS:
        return mockup
    if mockup.state == Mockup.State.FAILED:
        Mockup.objects.filter(pk=mockup.pk).update(state=Mockup.State.PENDING)
    if not _claim_mockup(mockup):
        return mockup
    from covers import drawing

    try:
        drawn = drawing.draw_mockup(
            guide=guide, entry=entry, crop=crop, settings=cover_settings, look=look
        )
    except drawing.DrawingError as exc:
        logger.warning("mock-up %s failed: %s", mockup.pk, exc)
        Mockup.objects.filter(pk=mockup.pk).update(state=Mockup.State.FAILED)
        return mockup
    storage = originals_storage()
    name = storage.save(f"covers/mockups/{guide.pk}-{entry.pk}.jpg", ContentFile(drawn.jpeg))
    overlay = storage.save(
        f"covers/mockups/{guide.pk}-{entry.pk}-lines.jpg", ContentFile(drawn.overlay_jpeg)
    )
    updated = (
        Mockup.objects.filter(pk=mockup.pk)
        .exclude(state=Mockup.State.READY)
        .update(
            state=Mockup.State.READY,
            file=name,
            overlay_file=overlay,
            width=drawn.size[0],
            height=drawn.size[1],
            contrast=drawn.legibility.contrast,
            busyness=drawn.legibility.busyness,
            legibility=str(drawn.legibility.level),
            legibility_reasons=",".join(drawn.legibility.reasons),
        )
    )
    if not updated:  # another worker finished first: ours are extra files
        _delete_files([name, overlay])
    # Older mock-ups of the pair are never shown again.
    stale = Mockup.objects.filter(guide=guide, entry=entry).exclude(key=key)
    old_files = [n for pair in stale.values_list("file", "overlay_file") for n in pair]
    stale.delete()
    _delete_files(old_files)
    mockup.refresh_from_db()
    return mockup


def mockups_requeue() -> int:
    """The beat sweep: mock-ups and crops nobody made (a lost job) for contests being judged."""
    total = 0
    for contest in Contest.objects.filter(guides__isnull=False).distinct():
        settings_row = CoverSettings.objects.filter(contest=contest).first()
        if settings_row is not None and settings_row.published_at is not None:
            continue
        total += covers_prepare(contest=contest)
    return total + packages_requeue()


def mockup_image(*, mockup: Mockup, lines: bool = False) -> bytes:
    name = mockup.overlay_file if lines else mockup.file
    with originals_storage().open(name, "rb") as fp:
        return fp.read()


# --- allocation ------------------------------------------------------------------------------


def _pick_detail(entry: Entry, guide: Guide, slot: int, extra: str = "") -> str:
    return f"{guide.name} #{slot + 1}: {entry.title} (entry {entry.pk}){extra}"


def _check_pick(
    *,
    contest: Contest,
    cover_settings: CoverSettings,
    guide: Guide,
    entry: Entry,
    ignore_slot: tuple[int, int] | None = None,
) -> None:
    """Refuses a pick that breaks a rule: not a candidate, not eligible, used twice."""
    found = {c.entry.pk: c for c in candidates(contest=contest)}
    candidate = found.get(entry.pk)
    if candidate is None:
        raise CoverError(_("This photo is not on the jury's shortlist."))
    crop = Crop.objects.filter(guide=guide, entry=entry).first()
    _ppi, reasons = ineligibility(candidate, guide, crop)
    if reasons:
        raise CoverError(reasons[0])
    picks = Pick.objects.filter(guide__contest=contest).select_related("entry")
    if ignore_slot is not None:
        picks = picks.exclude(guide_id=ignore_slot[0], slot=ignore_slot[1])
    others = list(picks)
    # A person's choice wins over the suggestion: a suggested pick in its way gives way.
    clashes = [
        p
        for p in others
        if not p.pinned
        and (
            p.entry_id == entry.pk
            or (
                cover_settings.one_cover_per_participant
                and p.entry.participant_id == entry.participant_id
            )
        )
    ]
    Pick.objects.filter(pk__in=[p.pk for p in clashes]).delete()
    others = [p for p in others if p not in clashes]
    if any(p.entry_id == entry.pk for p in others):
        raise CoverError(_("This photo is already on another cover."))
    if cover_settings.one_cover_per_participant and any(
        p.entry.participant_id == entry.participant_id for p in others
    ):
        raise CoverError(_("This participant already has a cover (one cover per participant)."))


def pick_set(*, guide: Guide, slot: int, entry: Entry, actor: User) -> Pick:
    """A person puts `entry` on `slot` of `guide`: pinned, so the suggestion keeps it."""
    contest = guide.contest
    if not 0 <= slot < guide.needs:
        raise CoverError(_("This guide has no such place."))
    with transaction.atomic():
        cover_settings = _unlocked(contest)
        _check_pick(
            contest=contest,
            cover_settings=cover_settings,
            guide=guide,
            entry=entry,
            ignore_slot=(guide.pk, slot),
        )
        Pick.objects.filter(guide=guide, slot=slot).delete()
        pick = Pick.objects.create(
            guide=guide, slot=slot, entry=entry, pinned=True, picked_by=actor
        )
        _event(
            contest,
            CoverEvent.Action.PICK,
            actor=actor,
            guide=guide,
            entry=entry,
            detail=_pick_detail(entry, guide, slot, " (chosen by hand)"),
        )
    return pick


def pick_remove(*, guide: Guide, slot: int, actor: User) -> None:
    contest = guide.contest
    with transaction.atomic():
        _unlocked(contest)
        pick = Pick.objects.filter(guide=guide, slot=slot).select_related("entry").first()
        if pick is None:
            return
        pick.delete()
        _event(
            contest,
            CoverEvent.Action.UNPICK,
            actor=actor,
            guide=guide,
            entry=pick.entry,
            detail=_pick_detail(pick.entry, guide, slot),
        )


def _unfilled(guides: list[Guide], picks: list[Pick]) -> list[Guide]:
    filled: dict[int, int] = {}
    for pick in picks:
        filled[pick.guide_id] = filled.get(pick.guide_id, 0) + 1
    return [guide for guide in guides if filled.get(guide.pk, 0) < guide.needs]


def allocation_lock(*, contest: Contest, actor: User, base_url: str) -> CoverSettings:
    """The chair locks the allocation: every guide has its covers and each is eligible.

    Then each winner is sent their proof and each guide's print package is built.
    """
    with transaction.atomic():
        cover_settings = _settings_for_update(contest)
        if cover_settings.locked_at is not None:
            raise CoverError(_("The allocation is already locked."))
        guides = guides_of(contest=contest)
        picks = list(Pick.objects.filter(guide__in=guides).select_related("entry", "guide"))
        if not guides:
            raise CoverError(_("There is no guide to illustrate yet."))
        missing = _unfilled(guides, picks)
        if missing:
            raise CoverError(
                _("Each guide needs its covers first: %(names)s.")
                % {"names": ", ".join(g.name for g in missing)}
            )
        rows = guide_candidates(contest=contest, guides=guides)
        for pick in picks:
            row = next((r for r in rows[pick.guide_id] if r.entry.pk == pick.entry_id), None)
            if row is None or not row.eligible:
                reason = row.reasons[0] if row else _("This photo is not on the jury's shortlist.")
                raise CoverError(f"{pick.guide.name}: {pick.entry.title}: {reason}")
        locked = CoverSettings.objects.filter(pk=cover_settings.pk, locked_at__isnull=True).update(
            locked_at=timezone.now(), locked_by=actor
        )
        if not locked:  # pragma: no cover - the row lock above serialises lockers
            raise CoverError(_("The allocation is already locked."))
        _event(
            contest,
            CoverEvent.Action.LOCK,
            actor=actor,
            detail="; ".join(_pick_detail(p.entry, p.guide, p.slot) for p in picks),
        )
        proofs_send(contest=contest, base_url=base_url)
        for guide in guides:
            package_request(guide=guide, actor=actor)
    cover_settings.refresh_from_db()
    return cover_settings


def allocation_unlock(*, contest: Contest, actor: User, reason: str) -> CoverSettings:
    if not reason.strip():
        raise CoverError(_("Say why the allocation is unlocked."))
    with transaction.atomic():
        cover_settings = _settings_for_update(contest)
        if cover_settings.published_at is not None:
            raise CoverError(_("The results are published: the allocation stays locked."))
        if cover_settings.locked_at is None:
            raise CoverError(_("The allocation is not locked."))
        CoverSettings.objects.filter(pk=cover_settings.pk).update(locked_at=None, locked_by=None)
        _event(contest, CoverEvent.Action.UNLOCK, actor=actor, detail=reason.strip())
    cover_settings.refresh_from_db()
    return cover_settings


# --- credit proofs ---------------------------------------------------------------------------


def proofs_send(*, contest: Contest, base_url: str) -> int:
    """Sends each winner (once) their cover and a link to confirm or correct their credit."""
    sent = 0
    picks = Pick.objects.filter(guide__contest=contest).select_related(
        "guide", "entry__participant__user"
    )
    for pick in picks:
        entry = pick.entry
        proof, _created = CreditProof.objects.get_or_create(
            entry=entry, defaults={"contest": contest, "credit_line": default_credit(entry)}
        )
        if proof.sent_at is not None:
            continue
        participant = entry.participant
        message_queue(
            key=f"cover-proof:{proof.pk}",
            to=participant.email,
            template="covers/email/proof",
            context={
                "contest": contest_title_in(contest=contest, language=participant.language),
                "guide": pick.guide.name,
                "title": entry.title,
                "credit": proof.credit_line,
                "url": base_url.rstrip("/") + reverse("covers:proof", args=[proof.token]),
                "proof": proof.pk,  # its cover mock-ups are attached (proof_attachments)
            },
            language=participant.language,
            brand=contest,
        )
        CreditProof.objects.filter(pk=proof.pk).update(sent_at=timezone.now())
        _event(
            contest,
            CoverEvent.Action.PROOF,
            guide=pick.guide,
            entry=entry,
            detail=proof.credit_line,
        )
        sent += 1
    return sent


def proof_attachments(context: dict[str, Any]) -> list[Attachment]:
    """The winner's cover mock-ups, one JPEG per guide their photo is on, read when the
    proof e-mail goes (registered with the outbox at start-up); none if not rendered yet, as
    the e-mail's link shows them too."""
    proof_id = context.get("proof")
    if not isinstance(proof_id, int):  # a proof queued before mock-ups were attached
        return []
    proof = CreditProof.objects.filter(pk=proof_id).select_related("entry").first()
    if proof is None:
        return []
    attachments = []
    for pick in Pick.objects.filter(entry=proof.entry).select_related("guide"):
        mockup = proof_mockup(proof=proof, guide_id=pick.guide_id)
        if mockup is not None:
            name = slugify(pick.guide.name) or str(pick.guide_id)
            attachments.append(
                Attachment(f"couverture-{name}.jpg", mockup_image(mockup=mockup), "image/jpeg")
            )
    return attachments


def proof_confirm(*, proof: CreditProof, credit_line: str) -> CreditProof:
    """The winner confirms their credit line, or corrects it (until the results are out)."""
    credit_line = " ".join(credit_line.split())
    if not credit_line:
        raise CoverError(_("Write the credit line as it should be printed."))
    if len(credit_line) > 80:
        raise CoverError(_("The credit line is too long (80 characters at most)."))
    with transaction.atomic():
        proof = CreditProof.objects.select_for_update().get(pk=proof.pk)
        corrected = credit_line != proof.credit_line
        proof.corrected = proof.corrected or corrected
        proof.credit_line = credit_line
        proof.confirmed_at = timezone.now()
        proof.save()
        _event(
            proof.contest,
            CoverEvent.Action.CONFIRM,
            actor=proof.entry.participant.user,
            entry=proof.entry,
            detail=("corrected: " if corrected else "confirmed: ") + credit_line,
        )
    return proof


# --- publication -----------------------------------------------------------------------------


def results_publish(*, contest: Contest, actor: User, base_url: str) -> CoverSettings:
    """Fills the winners page, tells every other participant, and closes the contest."""
    with transaction.atomic():
        cover_settings = _settings_for_update(contest)
        if cover_settings.locked_at is None:
            raise CoverError(_("Lock the allocation before publishing the results."))
        published = CoverSettings.objects.filter(
            pk=cover_settings.pk, published_at__isnull=True
        ).update(published_at=timezone.now())
        if not published:
            raise CoverError(_("The results are already published."))
        Contest.objects.filter(pk=contest.pk).update(status=Contest.Status.RESULTS)
        _event(contest, CoverEvent.Action.PUBLISH, actor=actor)
        winners = set(
            Pick.objects.filter(guide__contest=contest).values_list(
                "entry__participant_id", flat=True
            )
        )
        url = base_url.rstrip("/") + reverse("covers:winners", args=[contest.slug])
        others = _one_per_participant(contest, winners)
        for entry in others:
            participant = entry.participant
            message_queue(
                key=f"results:{contest.pk}:{participant.pk}",
                to=participant.email,
                template="covers/email/results",
                context={
                    "contest": contest_title_in(contest=contest, language=participant.language),
                    "url": url,
                },
                language=participant.language,
                brand=contest,
            )
    cover_settings.refresh_from_db()
    return cover_settings


def _one_per_participant(contest: Contest, winners: set[int]) -> list[Entry]:
    seen: dict[int, Entry] = {}
    for entry in (
        Entry.objects.filter(contest=contest)
        .exclude(participant_id__in=winners)
        .select_related("participant__user")
    ):
        seen.setdefault(entry.participant_id, entry)
    return list(seen.values())


def allocation_suggest(*, contest: Contest, actor: User) -> allocation.Allocation:
    """Replaces every unpinned pick by the allocation that maximises the jury's total score
    under the rules (eligible photos only, distinct photos, one cover per participant when
    the contest says so), keeping the pinned ones."""
    with transaction.atomic():
        cover_settings = _unlocked(contest)
        guides = guides_of(contest=contest)
        if not guides:
            raise CoverError(_("There is no guide to illustrate yet."))
        rows = guide_candidates(contest=contest, guides=guides)
        pinned = list(Pick.objects.filter(guide__in=guides, pinned=True))
        pins: dict[int, list[int]] = {}
        for pick in pinned:
            pins.setdefault(pick.guide_id, []).append(pick.entry_id)
        try:
            result = allocation.allocate(
                [allocation.GuideSlot(guide.pk, guide.needs) for guide in guides],
                allocation_candidates(rows=rows),
                pins=pins,
                one_per_participant=cover_settings.one_cover_per_participant,
            )
        except ValueError as exc:
            raise CoverError(
                _("The photos chosen by hand break a rule: %(why)s") % {"why": exc}
            ) from exc
        Pick.objects.filter(guide__in=guides, pinned=False).delete()
        pinned_slots = {(p.guide_id, p.entry_id): p.slot for p in pinned}
        lines = []
        for guide in guides:
            used = {p.slot for p in pinned if p.guide_id == guide.pk}
            free = (slot for slot in range(guide.needs) if slot not in used)
            for picked in result.picks.get(guide.pk, ()):
                if (guide.pk, picked.entry_id) in pinned_slots:
                    continue
                slot = next(free)
                Pick.objects.create(
                    guide=guide, slot=slot, entry_id=picked.entry_id, picked_by=actor
                )
                lines.append(
                    f"{guide.name} #{slot + 1}: entry {picked.entry_id} ({picked.score:g})"
                )
        _event(
            contest,
            CoverEvent.Action.SUGGEST,
            actor=actor,
            detail="; ".join(lines) + f"; total {result.total_score:g}",
        )
    return result


# --- print packages --------------------------------------------------------------------------

# A package whose worker vanished (its job comes back through acks_late) is built again
# once it has not moved for longer than the task's time limit.
PACKAGE_STALE = timedelta(minutes=16)
PACKAGE_MAX_ATTEMPTS = 3


def package_key(guide: Guide) -> str:
    """Names what a package holds: the guide, its picks, their crops and credit lines."""
    picks = list(Pick.objects.filter(guide=guide).order_by("slot"))
    crops = {
        c.entry_id: c
        for c in Crop.objects.filter(guide=guide, entry__in=[p.entry_id for p in picks])
    }
    proofs = {
        p.entry_id: p.credit_line
        for p in CreditProof.objects.filter(entry__in=[p.entry_id for p in picks])
    }
    # A release confirmed (or a mark added) after the last package makes a new one.
    releases = dict(
        Release.objects.filter(entry__in=[p.entry_id for p in picks]).values_list(
            "entry_id", "answered_at"
        )
    )
    parts = [
        guide.pk,
        guide.version,
        guide_line_look(guide=guide),
        [
            (
                p.slot,
                p.entry_id,
                crops[p.entry_id].version if p.entry_id in crops else None,
                proofs.get(p.entry_id),
                releases.get(p.entry_id, "none"),
            )
            for p in picks
        ],
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def package_request(*, guide: Guide, actor: User | None) -> PrintPackage:
    """Asks the worker for this guide's package as it stands (once per distinct content)."""
    cover_settings = CoverSettings.objects.filter(contest=guide.contest).first()
    if cover_settings is None or cover_settings.locked_at is None:
        raise CoverError(_("Lock the allocation before making the print packages."))
    if Pick.objects.filter(guide=guide).count() < guide.needs:
        raise CoverError(_("This guide does not have all its covers."))
    key = package_key(guide)
    package, created = PrintPackage.objects.get_or_create(
        guide=guide, key=key, defaults={"requested_by": actor}
    )
    if package.state == PrintPackage.State.FAILED:
        PrintPackage.objects.filter(pk=package.pk).update(
            state=PrintPackage.State.PENDING, attempts=0, error="", progress=0
        )
    if created or package.state != PrintPackage.State.READY:
        tasks.build_package.delay_on_commit(package.pk)
    if created:
        _event(guide.contest, CoverEvent.Action.PACKAGE, actor=actor, guide=guide, detail=key[:12])
    package.refresh_from_db()
    return package


def _claim_package(package_id: int) -> bool:
    stale = timezone.now() - PACKAGE_STALE
    return bool(
        PrintPackage.objects.filter(pk=package_id, attempts__lt=PACKAGE_MAX_ATTEMPTS)
        .filter(
            Q(state=PrintPackage.State.PENDING)
            | Q(state=PrintPackage.State.BUILDING, updated_at__lt=stale)
        )
        .update(state=PrintPackage.State.BUILDING, attempts=F("attempts") + 1, progress=0)
    )


def package_build(*, package_id: int) -> PrintPackage | None:
    """Builds the package if nobody has (idempotent); progress is written as it goes."""
    if not _claim_package(package_id):
        return PrintPackage.objects.filter(pk=package_id).first()
    package = PrintPackage.objects.select_related("guide__contest").get(pk=package_id)

    def progress(percent: int, step: str) -> None:
        PrintPackage.objects.filter(pk=package_id).update(progress=percent, step=step[:80])

    try:
        with tempfile.TemporaryFile() as spool:
            write_package(spool, guide=package.guide, progress=progress)
            size = spool.tell()
            spool.seek(0)
            name = originals_storage().save(
                f"covers/packages/{package.guide_id}-{package.key[:12]}.zip", File(spool)
            )
    except PackagingError as exc:
        PrintPackage.objects.filter(pk=package_id).update(
            state=PrintPackage.State.FAILED, error=str(exc)[:300]
        )
        return PrintPackage.objects.get(pk=package_id)
    except BaseException:
        # Storage trouble and the like: let the task retry, from the start.
        PrintPackage.objects.filter(pk=package_id).update(state=PrintPackage.State.PENDING)
        raise
    PrintPackage.objects.filter(pk=package_id).update(
        state=PrintPackage.State.READY, file=name, bytes=size, progress=100, step=""
    )
    return PrintPackage.objects.get(pk=package_id)


def packages_requeue() -> int:
    """Packages whose job was lost (broker down at the time, worker gone)."""
    stale = timezone.now() - timedelta(minutes=5)
    PrintPackage.objects.filter(
        state__in=(PrintPackage.State.PENDING, PrintPackage.State.BUILDING),
        attempts__gte=PACKAGE_MAX_ATTEMPTS,
    ).update(state=PrintPackage.State.FAILED, error="gave up after repeated failures")
    ids = list(
        PrintPackage.objects.filter(
            Q(state=PrintPackage.State.PENDING, updated_at__lt=stale)
            | Q(state=PrintPackage.State.BUILDING, updated_at__lt=timezone.now() - PACKAGE_STALE)
        ).values_list("pk", flat=True)
    )
    for package_id in ids:
        tasks.build_package.delay(package_id)
    return len(ids)


def package_file(*, package: PrintPackage) -> File:
    return originals_storage().open(package.file, "rb")
