"""A contest's branding images, made safe and light for phones (pure: no ORM).

Staff upload the operator's logo and a header image once; riders on a cheap phone download
them on every page, so both are decoded by Pillow (PNG, JPEG or WebP only: an SVG could carry
script), turned upright, stripped of metadata and scaled down before they are stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from photos.imaging.colour import flatten
from photos.imaging.decoding import open_image
from photos.imaging.encoding import encode_jpeg

FORMATS = ("PNG", "JPEG", "WEBP")
MAX_PIXELS = 40_000_000  # decoded size cap: a bomb is refused before it is decoded
# The logo sits in the header at up to 48 px high (96 on a 2x screen); room for wide logos.
LOGO_BOX = (480, 96)
# The header image spans the page: 1600 px for desktops, 800 for phones (srcset).
HEADER_WIDTHS = (1600, 800)
HEADER_MAX_HEIGHT_RATIO = 0.5  # at most 2:1 tall; a taller picture is cut around its middle


class BrandingImageError(ValueError):
    """The upload cannot serve as a logo or header; the message is for staff."""


@dataclass(frozen=True)
class HeaderImage:
    large: bytes
    small: bytes
    width: int
    height: int


def _open(data: bytes) -> Image.Image:
    head = data[:1024].lstrip()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        raise BrandingImageError(
            _(
                "Send a PNG, JPEG or WebP image (export the SVG as a PNG with a transparent "
                "background)."
            )
        )
    try:
        im = open_image(io.BytesIO(data), FORMATS)
        if im.width * im.height > MAX_PIXELS:
            raise BrandingImageError(_("This image is too large (over 40 megapixels)."))
        im.load()
        return ImageOps.exif_transpose(im)
    except BrandingImageError:
        raise
    except Exception as exc:  # Pillow's many faults for a file that is not an image
        raise BrandingImageError(
            _("This file is not a PNG, JPEG or WebP image we can read.")
        ) from exc


def prepare_logo(data: bytes) -> bytes:
    """The logo as a PNG that fits LOGO_BOX, transparency kept, no metadata."""
    logo = _open(data).convert("RGBA")
    logo.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    logo.save(out, "PNG", optimize=True)
    return out.getvalue()


def prepare_header(data: bytes) -> HeaderImage:
    """The header image as JPEGs HEADER_WIDTHS wide (never enlarged), at most 2:1 tall."""
    im = flatten(_open(data))
    if im.mode != "RGB":
        im = im.convert("RGB")
    max_height = round(im.width * HEADER_MAX_HEIGHT_RATIO)
    if im.height > max_height:
        top = (im.height - max_height) // 2
        im = im.crop((0, top, im.width, top + max_height))
    sized: list[Image.Image] = []
    for width in HEADER_WIDTHS:
        width = min(width, im.width)
        height = max(1, round(im.height * width / im.width))
        sized.append(im.resize((width, height), Image.Resampling.LANCZOS))
    large, small = sized
    return HeaderImage(
        large=encode_jpeg(large), small=encode_jpeg(small), width=large.width, height=large.height
    )
