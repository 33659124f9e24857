"""The designer's print package for one guide, written into a ZIP: the glue between the
stored files and covers.printing. Reads the database and storage; writes only the ZIP.

Per cover (a folder each): the original without private metadata (a JPEG losslessly), the
crop at 300 ppi in sRGB (and in CMYK when COVERS_OUTPUT_ICC names an output profile), the
crop box as JSON, the credit line, the consent record, the release of the person in it
when a moderator marked one, the mock-up PNG and a one-page PDF proof with crop marks; plus
the CSV of every cover of the contest and a README.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.text import slugify

from contest.models import Contest, Enrollment, Entry, Release
from contest.releases import release_missing, release_record
from covers import geometry, mockup, printing
from covers.drawing import DrawingError, design_of, open_original
from covers.models import CoverSettings, CreditProof, Crop, Guide, Pick
from covers.selectors import crop_box, default_credit, guide_format, guide_line_look
from photos.imaging import ImageDecodeError
from photos.services import originals_storage

PRINT_PPI = 300
Progress = Callable[[int, str], None]


class PackagingError(Exception):
    """A final failure (an original that cannot be decoded): recorded, not retried."""


def _credit(entry: Entry, proofs: dict[int, CreditProof]) -> str:
    proof = proofs.get(entry.pk)
    if proof is not None:
        return proof.credit_line
    return default_credit(entry)


def _folder(pick: Pick) -> str:
    return f"{pick.slot + 1:02d}-{slugify(pick.entry.title)[:40] or 'photo'}/"


def designer_rows(*, contest: Contest) -> Iterator[list[Any]]:
    """The header, then one row per cover across the contest's guides (the data merge)."""
    yield [
        "guide", "line", "period", "format", "trim_mm", "bleed_mm", "place", "title",
        "credit", "credit_confirmed", "folder", "effective_ppi",
    ]  # fmt: skip
    picks = Pick.objects.filter(guide__contest=contest).select_related(
        "guide", "entry__participant", "entry__photo"
    )
    proofs = {p.entry_id: p for p in CreditProof.objects.filter(contest=contest)}
    crops = {(c.guide_id, c.entry_id): c for c in Crop.objects.filter(guide__contest=contest)}
    for pick in picks.order_by("guide__position", "guide_id", "slot"):
        guide, entry = pick.guide, pick.entry
        fmt = guide_format(guide)
        crop = crops.get((guide.pk, entry.pk))
        ppi = (
            geometry.effective_ppi(crop.width * entry.photo.width, fmt)
            if crop and entry.photo.width
            else None
        )
        proof = proofs.get(entry.pk)
        yield [
            guide.name,
            guide.line_label,
            guide.period,
            guide.format,
            f"{guide.trim_width_mm:g}x{guide.trim_height_mm:g}",
            f"{guide.bleed_mm:g}",
            pick.slot + 1,
            entry.title,
            _credit(entry, proofs),
            "yes" if proof and proof.confirmed_at else "no",
            _folder(pick),
            round(ppi) if ppi is not None else "",
        ]


def _consent(entry: Entry) -> dict[str, object]:
    participant = entry.participant
    enrollment = Enrollment.objects.filter(
        contest=entry.contest_id, participant=participant
    ).first()
    return {
        "contest": entry.contest.title,
        "entry": entry.title,
        "sent_at": entry.created_at.isoformat(),
        "uses_allowed": {
            "gallery": bool(enrollment and enrollment.allows_gallery),
            "social_media": bool(enrollment and enrollment.allows_social),
            "printed_cover": bool(enrollment and enrollment.allows_print),
        },
        "rules_version": enrollment.rules_version if enrollment else None,
        "accepted_at": enrollment.accepted_at.isoformat() if enrollment else None,
        "age_bracket": participant.age_bracket,
        "parental_confirmation_at": participant.parent_confirmed_at.isoformat()
        if participant.parent_confirmed_at
        else None,
    }


def _output_profile() -> bytes | None:
    path = getattr(settings, "COVERS_OUTPUT_ICC", "")
    return Path(path).read_bytes() if path else None


def _cover_files(
    pick: Pick, guide: Guide, cover_settings: CoverSettings | None, credit: str
) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of one cover's files, made one after the other to bound memory."""
    entry, photo = pick.entry, pick.entry.photo
    fmt = guide_format(guide)
    with originals_storage().open(photo.original, "rb") as fp:
        data = fp.read()
    cleaned, extension = printing.clean_original(
        data,
        formats=settings.PHOTO_ALLOWED_FORMATS,
        max_bytes=settings.PHOTO_MAX_BYTES,
        max_pixels=settings.PHOTO_MAX_PIXELS,
        rotation=photo.rotation,
    )
    del data
    yield f"original.{extension}", cleaned
    del cleaned
    crop = Crop.objects.filter(guide=guide, entry=entry).first()
    shown = (photo.width or 1, photo.height or 1)
    frac = crop_box(crop) if crop else geometry.largest_box(shown, fmt.aspect).to_fractions(shown)
    image, shown = open_original(entry, min_size=fmt.pixels_at(PRINT_PPI), crop=frac)
    printed = printing.print_crop(
        image, geometry.Box(0, 0, image.width, image.height), fmt, ppi=PRINT_PPI
    )
    del image
    srgb = printing.encode_print_jpeg(printed, ppi=PRINT_PPI)
    yield "couverture-300ppi-srgb.jpg", srgb
    profile = _output_profile()
    if profile is not None:
        yield (
            "couverture-300ppi-cmjn.jpg",
            printing.to_cmyk_jpeg(printed, output_profile=profile, ppi=PRINT_PPI),
        )
    yield (
        "recadrage.json",
        json.dumps(
            printing.crop_json(frac, shown=shown, fmt=fmt, ppi=PRINT_PPI), indent=2
        ).encode(),
    )
    yield "credit.txt", (credit + "\n").encode()
    yield "consentement.json", json.dumps(_consent(entry), indent=2, ensure_ascii=False).encode()
    release = Release.objects.filter(entry=entry).first()
    if release is not None:
        record = {"entry": entry.title, **release_record(release)}
        yield (
            "autorisation-personne.json",
            json.dumps(record, indent=2, ensure_ascii=False).encode(),
        )
    cover = mockup.render_mockup(
        printed,
        geometry.Box(0, 0, printed.width, printed.height),
        design_of(guide, cover_settings, guide_line_look(guide=guide)),
        width_px=1200,
    )
    png = io.BytesIO()
    cover.save(png, "PNG", optimize=False)
    yield "maquette.png", png.getvalue()
    yield "epreuve.pdf", printing.proof_pdf(srgb, fmt, title=guide.name, credit=credit)


README = """Couverture du guide « {guide} » ({format}, {trim} mm, fond perdu {bleed} mm)

Un dossier par photo :
- original.jpg / original.png : la photo d'origine, sans GPS ni métadonnées personnelles
  (JPEG : données d'image identiques à l'original, sans réencodage) ;
- couverture-300ppi-srgb.jpg : le recadrage au format fini + fond perdu, 300 ppi, sRGB ;
- couverture-300ppi-cmjn.jpg : le même en CMJN (si un profil de sortie est configuré) ;
- recadrage.json : le cadre dans l'original (pixels et fractions) et la résolution réelle ;
- credit.txt : la mention à imprimer (confirmée par l'auteur si credit_confirmed = yes) ;
- consentement.json : les usages autorisés, la version du règlement, la date, l'accord parental ;
- autorisation-personne.json : si une personne est reconnaissable, son autorisation (nom,
  dates, confirmée par elle ou par un parent, usages montrés ; ni adresse ni IP) ;
- maquette.png : la couverture avec le titre ; epreuve.pdf : épreuve avec traits de coupe.
couvertures.csv : toutes les couvertures du concours, pour la fusion de données.
"""


def write_package(fp: IO[bytes], *, guide: Guide, progress: Progress) -> None:
    """Writes the guide's package into `fp` (a ZIP). Raises PackagingError for a bad file."""
    picks = list(
        Pick.objects.filter(guide=guide)
        .select_related("entry__participant", "entry__photo", "entry__contest", "entry__release")
        .order_by("slot")
    )
    contest = guide.contest
    cover_settings = CoverSettings.objects.filter(contest=contest).first()
    proofs = {p.entry_id: p for p in CreditProof.objects.filter(contest=contest)}
    steps = 8 * max(1, len(picks))
    done = 0
    with zipfile.ZipFile(fp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "LISEZMOI.txt",
            README.format(
                guide=guide.name,
                format=guide.format,
                trim=f"{guide.trim_width_mm:g} x {guide.trim_height_mm:g}",
                bleed=f"{guide.bleed_mm:g}",
            ),
        )
        for pick in picks:
            folder = _folder(pick)
            # Marked after the allocation was locked: no print without the person's release.
            if release_missing(pick.entry):
                raise PackagingError(
                    f"{pick.entry.title}: release missing (identifiable person not confirmed)"
                )
            try:
                for name, data in _cover_files(
                    pick, guide, cover_settings, _credit(pick.entry, proofs)
                ):
                    # Pictures are compressed already: stored, not deflated again.
                    kind = (
                        zipfile.ZIP_STORED
                        if name.endswith((".jpg", ".png"))
                        else zipfile.ZIP_DEFLATED
                    )
                    archive.writestr(folder + name, data, compress_type=kind)
                    done += 1
                    progress(min(99, round(100 * done / steps)), f"{pick.entry.title}: {name}")
            except (ImageDecodeError, DrawingError) as exc:
                raise PackagingError(f"{pick.entry.title}: {exc}") from exc
        out = io.StringIO()
        writer = csv.writer(out)
        for row in designer_rows(contest=contest):
            writer.writerow(row)
        archive.writestr("couvertures.csv", out.getvalue())
