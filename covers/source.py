"""Decoding an original photo for print: upright, 8-bit sRGB, no bigger than needed.

A print file needs the whole resolution of the crop, a mock-up or a proof much less: the
caller says how many pixels the crop must keep (`min_size`) and the decode is scaled to
that. The crop is cut from the decoded pixels as stored, before any turn or colour
conversion, so that those run on the crop only: a 50 MP original needs one decoded image
at the JPEG's scaled size, not three full-size copies.

WebP and HEIC have no scaled decode in Pillow (a HEIC's embedded thumbnail serves only small
sizes): the whole photo is decoded first. Measured with bench/covers.py (2026-12): a 12 MP
WebP peaks at 240 MB and a 50 MP WebP at 852 MB for the mock-up and the print file alike,
over a worker's 400 MB (Pillow's WebP decoder holds about three copies). So WebP originals
are capped at PHOTO_MAX_PIXELS_WEBP (16 MP: about 320 MB here) at upload. A HEIC is not
capped: libheif still decodes it whole, but decoding.load_heif hands Pillow only the crop's
rows and columns, reduced like a JPEG would be, so a 48 MP iPhone photo peaks at about 248 MB
above imports for the print file and the mock-up (bench/renditions.py --heic-megapixels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image

from covers.geometry import FracBox
from photos.imaging.colour import flatten, srgb_transform, to_srgb
from photos.imaging.decoding import (
    ImageDecodeError,
    Readable,
    decode_errors,
    load_heif,
    open_image,
    read_capped,
    reduce_factor,
)
from photos.imaging.exif import (
    applied_orientation,
    orientation_of,
    read_exif,
    upright,
    with_rotation,
)
from photos.imaging.geometry import scaled_size, shown_size, stored_size

Edges = tuple[float, float, float, float]
"""(left, top, right, bottom), the order Pillow takes."""

# Rounding noise (0.1 * 3 * 10) must not cost a whole pixel when an edge is rounded outwards.
_EPSILON = 1e-6


def open_upright(
    fp: Readable,
    *,
    formats: Sequence[str],
    max_bytes: int,
    max_pixels: int,
    rotation: int = 0,
    min_size: tuple[int, int] | None = None,
    crop: FracBox | None = None,
) -> tuple[Image.Image, tuple[int, int]]:
    """The photo (or only its `crop`) as an upright 8-bit sRGB "RGB" image, and its full
    shown size.

    Upright means the file's EXIF orientation and then `rotation` (0, 90, 180, 270 degrees
    clockwise) applied; `crop` and `min_size` are in those upright terms. `min_size` is
    what the crop region (the whole photo without `crop`) must still measure once decoded:
    a JPEG is decoded at 1/2, 1/4 or 1/8 of its size when that is enough; None decodes at
    full size. A photo smaller than `min_size` is never scaled up here.

    With `crop`, the image returned is that region only, its edges rounded outwards to
    whole pixels of the decoded scale (so it may be under one pixel larger on each side).
    Raises ImageDecodeError for a file that cannot be decoded, is over `max_bytes`, or
    over `max_pixels`.
    """
    source, _sha256 = read_capped(fp, max_bytes)
    with decode_errors():
        im = open_image(source, formats)
    with im:
        stored = im.size
        if stored[0] * stored[1] > max_pixels:
            raise ImageDecodeError("too_many_pixels", f"{stored[0]}x{stored[1]}")
        fmt = im.format or ""
        if fmt == "PNG":
            # An eXIf chunk may follow the pixel data, and getexif() decodes to find it;
            # PNG has no scaled decode, so nothing is lost by decoding first.
            with decode_errors():
                im.load()
        # Outside decode_errors: a bad `rotation` is the caller's mistake, not the file's.
        tag = orientation_of(read_exif(im))
        orientation = with_rotation(applied_orientation(fmt, tag), rotation)
        shown = shown_size(stored, orientation)
        region = _shown_edges(crop, shown)
        scale = _decode_scale(region, min_size)
        with decode_errors():
            need = stored_size(scaled_size(shown, scale), orientation)
            if scale < 1:
                # JPEG: DCT scaling decodes at 1/2, 1/4 or 1/8 directly, never below the size
                # asked; HEIF: a big enough embedded thumbnail; other formats ignore it.
                im.draft("RGB", need)
            icc = im.info.get("icc_profile")
            edges = to_stored(region, shown, orientation)
            # A HEIC (without such a thumbnail) is read from libheif's output band by band:
            # only the crop's rows and columns reach Pillow, reduced like a JPEG would be.
            box = _outward(edges, stored)
            piece = (
                None
                if im.size != stored
                else load_heif(im, factor=reduce_factor(stored, need), box=box)
            )
            if piece is None:
                im.load()
                work = flatten(_cut(im, edges, stored))
            else:
                left, top, right, bottom = box
                shifted = (edges[0] - left, edges[1] - top, edges[2] - left, edges[3] - top)
                work = flatten(_cut(piece, shifted, (right - left, bottom - top)))
        if work is not im:
            im.close()  # the full decode is no longer needed: only the crop goes on
    finished = upright(to_srgb(work, srgb_transform(icc, work.mode)), orientation)
    # Pillow carries `info` along, and its JPEG writer reuses a comment found there.
    finished.info = {}
    return finished, shown


def _shown_edges(crop: FracBox | None, shown: tuple[int, int]) -> Edges:
    """The crop in upright pixels, the whole photo without one."""
    if crop is None:
        return (0.0, 0.0, float(shown[0]), float(shown[1]))
    return crop.to_box(shown).as_tuple()


def _decode_scale(region: Edges, min_size: tuple[int, int] | None) -> float:
    """The smallest scale at which `region` still measures `min_size`, at most 1."""
    if min_size is None:
        return 1.0
    left, top, right, bottom = region
    width, height = max(right - left, 1.0), max(bottom - top, 1.0)
    return min(1.0, max(min_size[0] / width, min_size[1] / height))


def to_stored(edges: Edges, shown: tuple[int, int], orientation: int) -> Edges:
    """A box on the upright photo, as the same pixels' box in the stored (file) image.

    `orientation` is the EXIF value (1 to 8) that turns the stored pixels upright.
    """
    left, top, right, bottom = edges
    width, height = stored_size(shown, orientation)
    # Each case is the inverse of the transpose exif.upright applies; the tests check every
    # one of them against upright() itself on a picture whose pixels are all different.
    boxes: dict[int, Edges] = {
        2: (width - right, top, width - left, bottom),
        3: (width - right, height - bottom, width - left, height - top),
        4: (left, height - bottom, right, height - top),
        5: (top, left, bottom, right),
        6: (top, height - right, bottom, height - left),
        7: (width - bottom, height - right, width - top, height - left),
        8: (width - bottom, left, width - top, right),
    }
    return boxes.get(orientation, edges)


def _outward(edges: Edges, stored: tuple[int, int]) -> tuple[int, int, int, int]:
    """The whole stored pixels `edges` touches, within the image."""
    left, top, right, bottom = edges
    x0 = min(stored[0] - 1, max(0, math.floor(left + _EPSILON)))
    y0 = min(stored[1] - 1, max(0, math.floor(top + _EPSILON)))
    return (
        x0,
        y0,
        max(x0 + 1, min(stored[0], math.ceil(right - _EPSILON))),
        max(y0 + 1, min(stored[1], math.ceil(bottom - _EPSILON))),
    )


def _cut(im: Image.Image, edges: Edges, stored: tuple[int, int]) -> Image.Image:
    """`edges` (stored pixels at full size) cut from `im`, which may be decoded smaller.

    Returns `im` itself when the box covers all of it.
    """
    fx, fy = im.width / stored[0], im.height / stored[1]
    left, top, right, bottom = edges
    # Outwards, so that the crop keeps at least the pixels the decode scale was chosen for.
    x0 = min(im.width - 1, max(0, math.floor(left * fx + _EPSILON)))
    y0 = min(im.height - 1, max(0, math.floor(top * fy + _EPSILON)))
    box = (
        x0,
        y0,
        max(x0 + 1, min(im.width, math.ceil(right * fx - _EPSILON))),
        max(y0 + 1, min(im.height, math.ceil(bottom * fy - _EPSILON))),
    )
    if box == (0, 0, im.width, im.height):
        return im
    return im.crop(box)
