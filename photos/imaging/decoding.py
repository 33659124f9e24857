"""Opening a photo: the accepted decoders only, the bytes copied to memory, decoder faults
turned into ImageDecodeError. Shared by the upload checks, the renditions and whatever else
decodes an original (cover mock-ups, print exports).
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, BinaryIO, Protocol, cast

from PIL import Image, ImageFile, UnidentifiedImageError

CHUNK = 1024 * 1024
"""How much of a file is read at a time."""

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
