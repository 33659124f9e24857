"""Opening a photo: the accepted decoders only, the bytes copied to memory, decoder faults
turned into ImageDecodeError. Shared by the upload checks, the renditions and whatever else
decodes an original (cover mock-ups, print exports).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import math
import mmap
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, BinaryIO, Protocol, cast

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

CHUNK = 1024 * 1024
"""How much of a file is read at a time."""

HEIF_BAND_BYTES = 4 * 1024 * 1024
"""How much of libheif's decoded output is turned into a Pillow image at a time."""

Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in whole pixels, the order Pillow takes."""

# What decoders raise for bytes they cannot make sense of. UnidentifiedImageError is an
# OSError, and Pillow reports a truncated file as a plain OSError too.
FILE_FAULTS = (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError)


class Readable(Protocol):
    """A binary file: an open file, a BytesIO, or a Django File / UploadedFile."""

    def read(self, *args: Any) -> Any: ...

    def seek(self, *args: Any) -> Any: ...

    def tell(self) -> int: ...


class ImageDecodeError(Exception):
    """Final failure: the bytes passed the header check but cannot be decoded.

    `code` is "corrupt", "too_many_pixels", "unsupported_format" or "too_large".
    """

    def __init__(self, code: str = "corrupt", detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code


def open_image(fp: Readable, formats: Sequence[str]) -> ImageFile.ImageFile:
    """Image.open restricted to `formats` (Pillow format names); nothing is decoded yet.

    A format no installed plugin provides is left out rather than an error.
    """
    names = [name.upper() for name in formats]
    if any(name not in Image.OPEN for name in names):
        Image.init()
    # Image.open raises KeyError for a format no plugin provides (e.g. AVIF on a build
    # without libavif): such a format is simply not accepted.
    usable = [name for name in names if name in Image.OPEN]
    # Pillow's AVIF plugin and pillow-heif both claim the generic "mif1" brand; only libavif
    # decodes AV1, and it declines HEVC files, so it goes first.
    if "AVIF" in usable and "HEIF" in usable:
        usable.remove("AVIF")
        usable.insert(usable.index("HEIF"), "AVIF")
    return Image.open(cast(BinaryIO, fp), formats=usable)


def read_capped(fp: Readable, limit: int) -> tuple[io.BytesIO, str]:
    """Copies fp to memory while hashing it, so Pillow never touches fp itself.

    Returns the copy (at position 0) and its hex SHA-256; raises ImageDecodeError
    "too_large" past `limit` bytes.
    """
    fp.seek(0)
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    while chunk := fp.read(CHUNK):
        if buffer.tell() + len(chunk) > limit:
            raise ImageDecodeError("too_large", f"over {limit} bytes")
        digest.update(chunk)
        buffer.write(chunk)
    buffer.seek(0)
    return buffer, digest.hexdigest()


@contextmanager
def decode_errors() -> Iterator[None]:
    """Turns what decoders raise for a bad file into ImageDecodeError."""
    try:
        yield
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError("too_many_pixels", str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("unsupported_format", str(exc)) from exc
    except FILE_FAULTS as exc:
        raise ImageDecodeError("corrupt", f"{type(exc).__name__}: {exc}") from exc


def reduce_factor(size: tuple[int, int], at_least: tuple[int, int]) -> int:
    """The largest of 1, 2, 4 and 8 that keeps `size`, divided by it, at least `at_least`.

    The choice Pillow's JPEG `draft` makes for its DCT-scaled decode, so a HEIC is decoded
    at the size a JPEG of the same dimensions would be.
    """
    factor = 1
    while factor < 8 and all(
        side // max(need, 1) >= 2 * factor for side, need in zip(size, at_least, strict=True)
    ):
        factor *= 2
    return factor


def load_heif(
    im: ImageFile.ImageFile, *, factor: int = 1, box: Box | None = None
) -> Image.Image | None:
    """A HEIC's pixels in `box` (stored pixels; the whole image by default), reduced by
    `factor` (Image.reduce's box average), without a full-size copy in Pillow.

    Pillow's HEIF plugin copies libheif's whole decoded image into Pillow's own (RGB at 4
    bytes a pixel), then a reduce makes a third image: a 48 MP HEIC peaked 340 MB above
    imports. Here libheif's output is read in bands of rows, each band cut and reduced at
    once, so Pillow never holds more than a band at full size, and libheif's image is freed
    on return. The pixels are those of the plugin's `load()` followed by `crop(box)` and
    `reduce(factor)`, byte for byte (bands start at multiples of `factor` from the top).

    Returns None when `im` is not an unloaded pillow-heif image at its full size (another
    format, an embedded thumbnail chosen by `draft`): the caller then uses `im.load()`.
    Otherwise `im` is spent (its decoder state is dropped): use the image returned.
    """
    # The plugin's own parsed file (pillow-heif 1.x keeps it until load()): no second parse
    # nor copy of the bytes. Without it (another version) the plugin simply decodes.
    heif = getattr(im, "_heif_file", None) if im.format == "HEIF" else None
    if heif is None:
        return None
    frame = heif[im.tell()]
    if frame.size != im.size or frame.mode != im.mode:  # draft chose a thumbnail
        return None
    left, top, right, bottom = box or (0, 0, *im.size)
    if not (0 <= left < right <= im.width and 0 <= top < bottom <= im.height):
        raise ValueError(f"box {box} is not inside {im.size}")
    data = memoryview(frame.data)  # libheif's own buffer: no copy
    if frame.size != im.size:  # the decode changed it: the plugin knows how to cope
        del data
        return None
    stride, mode = frame.stride, frame.mode
    size = (math.ceil((right - left) / factor), math.ceil((bottom - top) / factor))
    out = Image.new(mode, size, None)  # no fill: pages are touched only as bands arrive
    rows = factor * max(1, HEIF_BAND_BYTES // (stride * factor))
    spent = _PageReleaser(data)
    for y in range(top, bottom, rows):
        height = min(rows, bottom - y)
        band = Image.frombuffer(
            mode, (im.width, height), data[y * stride : (y + height) * stride],
            "raw", mode, stride, 1,
        )  # fmt: skip
        if (left, right) != (0, im.width):
            band = band.crop((left, 0, right, height))
        if factor > 1:
            band = band.reduce(factor)
        out.paste(band, (0, (y - top) // factor))
        del band
        # Rows already in `out` are never read again: their pages go back to the system
        # now, so libheif's image shrinks as fast as Pillow's grows.
        spent.release(y * stride, (y + height) * stride)
    # libheif's decoded image goes now, not when `im` does; `im` has no pixels left to load.
    del data, spent, frame, heif
    im._heif_file = None  # type: ignore[attr-defined]
    out.info = dict(im.info)
    return out


class _PageReleaser:
    """Gives back to the system the pages of a buffer this process will not read again
    (madvise MADV_DONTNEED: they would read as zeros), whole pages strictly inside the range
    only, so that an allocator's bookkeeping at either end of the block is never touched.
    Does nothing where madvise is missing (not Linux)."""

    def __init__(self, data: memoryview) -> None:
        self._madvise = _libc_function("madvise")
        self._address = int(np.frombuffer(data, np.uint8).ctypes.data) if len(data) else 0
        self._page = mmap.PAGESIZE

    def release(self, start: int, end: int) -> None:
        if self._madvise is None or not self._address:
            return
        first = -(-(self._address + start) // self._page) * self._page  # rounded up
        last = (self._address + end) // self._page * self._page  # rounded down
        if last > first:
            self._madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), _MADV_DONTNEED)


_MADV_DONTNEED = 4  # Linux's sys/mman.h


def _libc_function(name: str) -> Any:
    """A function of the C library, None when there is none by that name."""
    path = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(path) if path else None
    except OSError:
        return None
    return getattr(libc, name, None) if libc is not None else None


MMAP_THRESHOLD = 1024 * 1024
"""Allocations from this size up get their own pages from the system, given back on free."""

_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def map_big_allocations() -> bool:
    """Makes glibc give every big block (decoded images, libheif's planes) its own mapping,
    returned to the system when freed, for the life of the process.

    glibc's default raises this threshold to 32 MB after the first big free, so that the
    next images (Pillow's 16 MB blocks, libheif's chroma planes) come from the heap, where
    freed blocks stay counted in the RSS and every thread's arena keeps its own: a process
    making the renditions of 20 HEIC photos (12 to 48 MP) stayed at 309 MB between photos
    and peaked at 480 MB, against 76 MB and 309 MB with this (bench/renditions.py
    --heic-megapixels). The same as the environment variable
    MALLOC_MMAP_THRESHOLD_=1048576. Returns False where the C library is not glibc
    (nothing changed).
    """
    mallopt = _libc_function("mallopt")
    if mallopt is None or _libc_function("malloc_trim") is None:  # glibc has both
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
