"""Drawing a guide's cover from a candidate's original: the glue between the stored files
and the pure modules (source, mockup, legibility). Reads storage; writes nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings as django_settings
from PIL import Image

from contest.models import Entry
from covers import geometry, legibility, mockup
from covers.models import CoverSettings, Crop, Guide
from covers.selectors import LineLook, crop_box, guide_format, guide_title_zone
from covers.source import open_upright
from photos.imaging import ImageDecodeError
from photos.models import Rendition
from photos.services import originals_storage


class DrawingError(Exception):
    """The original cannot be decoded: a final failure, not a retry."""


@dataclass(frozen=True)
class Drawn:
    jpeg: bytes
    overlay_jpeg: bytes
    size: tuple[int, int]
    legibility: legibility.Legibility


def hex_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def logo_of(cover_settings: CoverSettings | None) -> Image.Image | None:
    if cover_settings is None or not cover_settings.logo:
        return None
    with (
        originals_storage().open(cover_settings.logo, "rb") as fp,
        Image.open(fp, formats=["PNG"]) as im,
    ):
        im.load()
        return im.convert("RGBA")


def design_of(
    guide: Guide, cover_settings: CoverSettings | None, look: LineLook | None = None
) -> mockup.CoverDesign:
    """The cover's design; a guide for exactly one line (`look`, selectors.guide_line_look)
    prints that line's number in its colours, as the operator's other printed matter does."""
    return mockup.CoverDesign(
        fmt=guide_format(guide),
        title=guide.name,
        line_label=look.number if look else guide.line_label,
        title_zone=guide_title_zone(guide),
        band_rgb=hex_rgb(look.band_colour if look else guide.band_colour),
        band_opacity=guide.band_opacity / 100,
        text_rgb=hex_rgb(look.text_colour if look else guide.text_colour),
        logo=logo_of(cover_settings),
    )


def open_original(
    entry: Entry, *, min_size: tuple[int, int] | None, crop: geometry.FracBox | None = None
) -> tuple[Image.Image, tuple[int, int]]:
    """The entry's original, upright and in sRGB (see covers.source.open_upright)."""
    photo = entry.photo
    try:
        with originals_storage().open(photo.original, "rb") as fp:
            return open_upright(
                fp,
                formats=django_settings.PHOTO_ALLOWED_FORMATS,
                max_bytes=django_settings.PHOTO_MAX_BYTES,
                max_pixels=django_settings.PHOTO_MAX_PIXELS,
                rotation=photo.rotation,
                min_size=min_size,
                crop=crop,
            )
    except ImageDecodeError as exc:
        raise DrawingError(str(exc)) from exc


def _jpeg(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def draw_mockup(
    *,
    guide: Guide,
    entry: Entry,
    crop: Crop,
    settings: CoverSettings | None,
    look: LineLook | None = None,
    width: int = 900,
) -> Drawn:
    """The cover as printed (JPEG), the same with the print lines, and the title's legibility."""
    frac = crop_box(crop)
    # Decoded only as large as the crop must be for `width` pixels: a 12 MP JPEG is read
    # at a quarter or an eighth of its size.
    need = max(1, round(width / max(frac.width, 1e-3)))
    whole, _shown = open_original(entry, min_size=(need, 1), crop=None)
    box = frac.to_box(whole.size)
    design = design_of(guide, settings, look)
    cover = mockup.render_mockup(whole, box, design, width_px=width)
    lines = mockup.render_mockup(whole, box, design, width_px=width, overlay=True)
    zone = geometry.zone_box(design.title_zone, design.fmt, box)
    region = whole.crop(zone.rounded())
    assessed = legibility.measure_legibility(
        region, text_rgb=design.text_rgb, band_rgb=design.band_rgb, band_opacity=design.band_opacity
    )
    return Drawn(jpeg=_jpeg(cover), overlay_jpeg=_jpeg(lines), size=cover.size, legibility=assessed)


@dataclass(frozen=True)
class TitleLook:
    """What the editor needs to measure the title's legibility: the colours the cover is
    drawn in (a single line's own colours, else the guide's) and the zone."""

    text_rgb: legibility.RGB
    band_rgb: legibility.RGB
    band_opacity: float
    zone: geometry.Rect
    fmt: geometry.PrintFormat


def title_look(guide: Guide, look: LineLook | None) -> TitleLook:
    return TitleLook(
        text_rgb=hex_rgb(look.text_colour if look else guide.text_colour),
        band_rgb=hex_rgb(look.band_colour if look else guide.band_colour),
        band_opacity=guide.band_opacity / 100,
        zone=guide_title_zone(guide),
        fmt=guide_format(guide),
    )


def title_legibility(
    rendition: Rendition | None, frac: geometry.FracBox, title: TitleLook
) -> legibility.Legibility | None:
    """The title's legibility for the crop `frac`, measured on the display rendition: the
    picture the crop editor shows and covers-legibility.js measures live, so the page's
    figure and this one are the same. None when the rendition cannot be read."""
    if rendition is None:
        return None
    try:
        with rendition.file.open("rb") as fp, Image.open(fp, formats=["JPEG", "WEBP"]) as im:
            im.load()
            whole = im.convert("RGB")
    except (OSError, ValueError):  # a missing or broken rendition: the page says nothing
        return None
    zone = geometry.zone_box(title.zone, title.fmt, frac.to_box(whole.size))
    return legibility.measure_legibility(
        whole.crop(zone.rounded()),
        text_rgb=title.text_rgb,
        band_rgb=title.band_rgb,
        band_opacity=title.band_opacity,
    )
