"""Upload checks, run in the request: cheap checks that refuse a bad file before anything is
stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from photos.imaging.decoding import CHUNK, FILE_FAULTS, Readable, load_heif, open_image
from photos.imaging.exif import applied_orientation, header_exif, orientation_of, read_exif
from photos.imaging.geometry import shown_size

_EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "HEIF": "heic",
    "AVIF": "avif",
}
_MIB = 1024 * 1024


@dataclass(frozen=True)
class UploadPolicy:
    """What a photo must be to be accepted; the Django side builds it from the settings.

    `formats` are Pillow format names ("JPEG", "HEIF"...), `min_short_side` is in pixels of
    the photo as shown (after its EXIF orientation).
    """

    max_bytes: int
    max_pixels: int
    min_short_side: int
    formats: tuple[str, ...]
    # Lower caps for formats Pillow can only decode whole (no scaled decode), keyed by format
    # name: a 50 MP WebP takes the covers' worker to 850 MB (bench/covers.py).
    max_pixels_by_format: tuple[tuple[str, int], ...] = ()

    def pixel_cap(self, fmt: str) -> int:
        """The most pixels a photo in `fmt` may have."""
        return min([self.max_pixels, *(n for name, n in self.max_pixels_by_format if name == fmt)])


class ImageRejected(Exception):
    """The upload is refused: nothing must be stored."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value}" for key, value in self.params.items())
        return f"{self.code} ({details})" if details else self.code


@dataclass(frozen=True)
class UploadInfo:
    format: str
    extension: str
    width: int
    height: int


def sha256_of(fp: Readable) -> str:
    """Hex SHA-256 of the whole file, read in chunks; leaves fp at position 0."""
    fp.seek(0)
    digest = hashlib.sha256()
    while chunk := fp.read(CHUNK):
        digest.update(chunk)
    fp.seek(0)
    return digest.hexdigest()


def inspect_upload(fp: Readable, *, size: int, policy: UploadPolicy) -> UploadInfo:
    """Checks an upload cheaply and says what it is, or raises ImageRejected.

    Order: size, format (from the bytes, never the name), pixel count from the header before
    any pixel is decoded, displayed size, then an integrity pass that catches truncated
    files: JPEG decoded at 1/8 scale, PNG chunk CRCs, other formats fully (bounded by the
    pixel check). Bytes no accepted plugin recognises are "unsupported_format"; bytes a
    plugin recognises and then fails on, even in its header, are "corrupt". Leaves fp at
    position 0.
    """
    if size <= 0:
        raise ImageRejected("empty")
    if size > policy.max_bytes:
        raise ImageRejected("too_large", max_mb=_megabytes(policy.max_bytes))
    fp.seek(0)
    try:
        return _inspect(fp, policy)
    finally:
        fp.seek(0)


def _inspect(fp: Readable, policy: UploadPolicy) -> UploadInfo:
    try:
        im = open_image(fp, policy.formats)
    except Image.DecompressionBombError as exc:
        raise ImageRejected(
            "too_many_pixels",
            megapixels=_megapixels(_pixels_in_message(exc)),
            max_megapixels=_megapixels(policy.max_pixels),
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("unsupported_format") from exc
    except FILE_FAULTS as exc:
        # A plugin recognised the header, then choked: an accepted format, but damaged.
        raise ImageRejected("corrupt") from exc
    with im:
        fmt = im.format or ""
        width, height = im.size
        if width * height > policy.pixel_cap(fmt):
            raise ImageRejected(
                "too_many_pixels",
                megapixels=_megapixels(width * height),
                max_megapixels=_megapixels(policy.pixel_cap(fmt)),
            )
        # PNG: only the chunks before the pixel data; getexif() would decode the image.
        exif = header_exif(im) if fmt == "PNG" else read_exif(im)
        orientation = applied_orientation(fmt, orientation_of(exif))
        shown_w, shown_h = shown_size((width, height), orientation)
        if min(shown_w, shown_h) < policy.min_short_side:
            raise ImageRejected(
                "too_small", width=shown_w, height=shown_h, min_side=policy.min_short_side
            )
        try:
            if fmt in ("JPEG", "MPO"):
                # A scaled decode still reads every entropy-coded byte, so truncation shows.
                im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                im.load()
            elif fmt == "PNG":
                im.verify()  # the image is unusable afterwards; we are done with it
            elif load_heif(im, factor=8) is None:  # HEIF: never whole in Pillow
                im.load()
        except Image.DecompressionBombError as exc:
            raise ImageRejected(
                "too_many_pixels",
                megapixels=_megapixels(width * height),
                max_megapixels=_megapixels(policy.max_pixels),
            ) from exc
        except FILE_FAULTS as exc:
            raise ImageRejected("corrupt") from exc
    return UploadInfo(
        format=fmt,
        extension=_EXTENSIONS.get(fmt, fmt.lower()),
        width=shown_w,
        height=shown_h,
    )


def _megabytes(size: int) -> float:
    value = size / _MIB
    return int(value) if value.is_integer() else round(value, 1)


def _megapixels(pixels: int) -> float:
    value = pixels / 1_000_000
    return int(value) if value.is_integer() else round(value, 1)


def _pixels_in_message(exc: Exception) -> int:
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return int(match.group(1)) if match else 0
