"""Upload checks, metadata and renditions for contest photos: pure Pillow, no Django.

Two entry points. `inspect_upload` runs in the request: cheap checks that refuse a bad file
before anything is stored. `process_image` runs in the worker: one decode, then every
rendition and the metadata. Renditions are new images made from decoded pixels, so nothing
from the original (EXIF, GPS, XMP, IPTC, ICC, comments, text chunks, trailing bytes) leaks
into a public file.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, BinaryIO, Protocol, TypeVar, cast

import imagehash
import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

# HEIC/HEIF comes from pillow-heif. AVIF is decoded by Pillow itself (its wheels bundle
# libavif since 11.3); pillow-heif 1.x no longer reads AVIF.
pillow_heif.register_heif_opener()

_N = TypeVar("_N", int, float)

ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")

_EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "HEIF": "heic",
    "AVIF": "avif",
}
_CHUNK = 1024 * 1024
_MIB = 1024 * 1024

# Encoder settings, measured on 1600 px renditions of the real phone photos (Pillow 13,
# libwebp 1.6, libjpeg-turbo 3.2). WebP method 2 instead of libwebp's default 4: 2.3-2.8x
# faster to encode for 4-6 % more bytes at the same quality setting (PSNR within 0.4 dB);
# method 3 costs as much as 4, methods 0-1 cost up to 60 % more bytes. JPEG is only the
# fallback for browsers without WebP: baseline with optimised Huffman tables, because
# progressive costs 5x the encoding time (22 ms at 1600 px) to save about 4 %.
JPEG_QUALITY = 82
WEBP_QUALITY = 80
WEBP_METHOD = 2
ENCODER_THREADS = 2
# Pillow's reducing_gap: a cheap integer reduce() first, then LANCZOS over at least 3x the
# output, which its docs call very close to a full LANCZOS pass.
_REDUCING_GAP = 3.0
_HASH_SIDE = 256

_LANCZOS = Image.Resampling.LANCZOS
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# What decoders raise for bytes they cannot make sense of. UnidentifiedImageError is an
# OSError, and Pillow reports a truncated file as a plain OSError too.
_FILE_FAULTS = (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError)
_EXIF_FAULTS = (*_FILE_FAULTS, KeyError, TypeError)


class Readable(Protocol):
    """A binary file: an open file, a BytesIO, or a Django File / UploadedFile."""

    def read(self, *args: Any) -> Any: ...

    def seek(self, *args: Any) -> Any: ...

    def tell(self) -> int: ...


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 50_000_000
    min_short_side: int = 320
    formats: tuple[str, ...] = ALLOWED_FORMATS


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


@dataclass(frozen=True)
class RenditionSpec:
    name: str
    width: int
    height: int
    fit: str
    formats: tuple[str, ...]


RENDITION_SPECS: tuple[RenditionSpec, ...] = (
    RenditionSpec("thumb", 480, 480, "contain", ("webp", "jpeg")),
    RenditionSpec("display", 1600, 1600, "contain", ("webp", "jpeg")),
    RenditionSpec("share", 1200, 630, "cover", ("jpeg",)),  # Open Graph image
)

# The community manager's social kit, made on demand from the original and never stored:
# the square feed post, the 4:5 portrait feed post and the 9:16 story.
SOCIAL_SPECS: tuple[RenditionSpec, ...] = (
    RenditionSpec("carre", 1080, 1080, "cover", ("jpeg",)),
    RenditionSpec("portrait", 1080, 1350, "cover", ("jpeg",)),
    RenditionSpec("story", 1080, 1920, "cover", ("jpeg",)),
)


@dataclass(frozen=True)
class PhotoMetadata:
    width: int
    height: int
    orientation: int
    taken_at: datetime | None
    sha256: str
    phash: str
    had_gps: bool
    format: str


@dataclass(frozen=True)
class RenderedFile:
    spec: str
    format: str
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class ProcessResult:
    metadata: PhotoMetadata
    files: tuple[RenderedFile, ...]


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


def sha256_of(fp: Readable) -> str:
    """Hex SHA-256 of the whole file, read in chunks; leaves fp at position 0."""
    fp.seek(0)
    digest = hashlib.sha256()
    while chunk := fp.read(_CHUNK):
        digest.update(chunk)
    fp.seek(0)
    return digest.hexdigest()


def inspect_upload(fp: Readable, *, size: int, policy: UploadPolicy = UploadPolicy()) -> UploadInfo:
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
        im = _open(fp, policy.formats)
    except Image.DecompressionBombError as exc:
        raise ImageRejected(
            "too_many_pixels",
            megapixels=_megapixels(_pixels_in_message(exc)),
            max_megapixels=_megapixels(policy.max_pixels),
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("unsupported_format") from exc
    except _FILE_FAULTS as exc:
        # A plugin recognised the header, then choked: an accepted format, but damaged.
        raise ImageRejected("corrupt") from exc
    with im:
        fmt = im.format or ""
        width, height = im.size
        if width * height > policy.max_pixels:
            raise ImageRejected(
                "too_many_pixels",
                megapixels=_megapixels(width * height),
                max_megapixels=_megapixels(policy.max_pixels),
            )
        # PNG: only the chunks before the pixel data; getexif() would decode the image.
        exif = _header_exif(im) if fmt == "PNG" else _exif_of(im)
        orientation = _applied_orientation(fmt, _orientation_tag(exif))
        shown_w, shown_h = _shown_size((width, height), orientation)
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
            else:
                im.load()
        except Image.DecompressionBombError as exc:
            raise ImageRejected(
                "too_many_pixels",
                megapixels=_megapixels(width * height),
                max_megapixels=_megapixels(policy.max_pixels),
            ) from exc
        except _FILE_FAULTS as exc:
            raise ImageRejected("corrupt") from exc
    return UploadInfo(
        format=fmt,
        extension=_EXTENSIONS.get(fmt, fmt.lower()),
        width=shown_w,
        height=shown_h,
    )


def process_image(
    fp: Readable,
    *,
    specs: Sequence[RenditionSpec] = RENDITION_SPECS,
    wanted: Collection[tuple[str, str]] | None = None,
    policy: UploadPolicy = UploadPolicy(),
    rotation: int = 0,
) -> ProcessResult:
    """Decodes the photo once and makes the wanted renditions plus its metadata.

    `rotation` (0, 90, 180, 270 degrees clockwise) turns the photo further than its own
    orientation says, as a moderator asked; width and height are then the turned ones.

    `wanted` holds (spec name, format) pairs to encode; None means all of them. The metadata
    (including phash) does not depend on `wanted`, so a re-run gives the same values.
    Raises ImageDecodeError for anything that is the file's fault. Errors reading fp itself
    propagate unchanged: they happen before Pillow sees the bytes.
    """
    for spec in specs:
        if spec.fit not in ("contain", "cover"):
            raise ValueError(f"unknown fit {spec.fit!r} in spec {spec.name!r}")
        for fmt in spec.formats:
            if fmt not in _ENCODERS:
                raise ValueError(f"unknown output format {fmt!r} in spec {spec.name!r}")
    source, sha256 = _read_capped(fp, policy.max_bytes)

    with _decode_errors():
        im = _open(source, policy.formats)
    with im:
        source_format = im.format or ""
        stored = im.size
        if stored[0] * stored[1] > policy.max_pixels:
            raise ImageDecodeError("too_many_pixels", f"{stored[0]}x{stored[1]}")
        with _decode_errors():
            if source_format == "PNG":
                # An eXIf chunk may follow the pixel data, and getexif() decodes to find it;
                # PNG has no scaled decode, so nothing is lost by decoding first.
                im.load()
            exif = _exif_of(im)
            tag = _orientation_tag(exif)
            orientation = _with_rotation(_applied_orientation(source_format, tag), rotation)
            shown = _shown_size(stored, orientation)
            icc = im.info.get("icc_profile")
            had_gps = _had_gps(exif, im.info)
            taken_at = _taken_at(exif)
            scale = _decode_scale(shown, specs)
            if scale < 1:
                # JPEG: DCT scaling decodes at 1/2, 1/4 or 1/8 of the size directly; HEIF: a
                # big enough embedded thumbnail; other formats ignore it. Never below need.
                im.draft("RGB", _stored_size(_scaled(shown, scale), orientation))
            im.load()
            work = _flatten(im)
        if work is not im:
            im.close()  # free the decoded pixels: only one full-size image per job

    to_srgb = _srgb_converter(icc, work.mode)
    todo = {
        (spec.name, fmt)
        for spec in specs
        for fmt in spec.formats
        if wanted is None or (spec.name, fmt) in wanted
    }
    made: list[Image.Image] = []  # finished contain renditions, for the cascade
    encoded: list[tuple[str, str, tuple[int, int], Future[bytes]]] = []
    # One encoder thread works beside the resizing: encoding is half the job and Pillow's
    # encoders release the GIL, so the largest WebP is written while the smaller sizes are
    # cut. A job never uses more than two threads.
    # ENCODER_THREADS = 0 encodes in the calling thread (the benchmark's single-core figure).
    with ThreadPoolExecutor(max_workers=max(1, ENCODER_THREADS)) as encoder:
        for spec in _largest_first(specs, shown):
            formats = [fmt for fmt in spec.formats if (spec.name, fmt) in todo]
            if not formats:
                continue
            if spec.fit == "cover":
                rendition = _cover(
                    work, made, shown, orientation, (spec.width, spec.height), to_srgb
                )
            else:
                size = _contain_size(shown, (spec.width, spec.height))
                rendition = _contain(work, made, size, orientation, to_srgb)
                made.append(rendition)
            for fmt in formats:
                if ENCODER_THREADS:
                    job = encoder.submit(_ENCODERS[fmt], rendition)
                else:
                    job = Future()
                    job.set_result(_ENCODERS[fmt](rendition))
                encoded.append((spec.name, fmt, rendition.size, job))
        # The phash needs no encoder: it is made while the encoder finishes.
        small = _finish(work.reduce(max(1, max(work.size) // _HASH_SIDE)), orientation, to_srgb)
        phash = str(imagehash.phash(small))
        files = [
            RenderedFile(spec=name, format=fmt, width=size[0], height=size[1], data=job.result())
            for name, fmt, size, job in encoded
        ]

    metadata = PhotoMetadata(
        width=shown[0],
        height=shown[1],
        orientation=tag,
        taken_at=taken_at,
        sha256=sha256,
        phash=phash,
        had_gps=had_gps,
        format=source_format,
    )
    order = {(spec.name, fmt): i for i, (spec, fmt) in enumerate(_pairs(specs))}
    files.sort(key=lambda f: order[(f.spec, f.format)])
    return ProcessResult(metadata=metadata, files=tuple(files))


# --- reading -----------------------------------------------------------------------------


def _open(fp: Readable, formats: Sequence[str]) -> ImageFile.ImageFile:
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


def _read_capped(fp: Readable, limit: int) -> tuple[io.BytesIO, str]:
    """Copies fp to memory while hashing it, so Pillow never touches fp itself."""
    fp.seek(0)
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    while chunk := fp.read(_CHUNK):
        if buffer.tell() + len(chunk) > limit:
            raise ImageDecodeError("too_large", f"over {limit} bytes")
        digest.update(chunk)
        buffer.write(chunk)
    buffer.seek(0)
    return buffer, digest.hexdigest()


@contextmanager
def _decode_errors() -> Iterator[None]:
    try:
        yield
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError("too_many_pixels", str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("unsupported_format", str(exc)) from exc
    except _FILE_FAULTS as exc:
        raise ImageDecodeError("corrupt", f"{type(exc).__name__}: {exc}") from exc


def _exif_of(im: Image.Image) -> Image.Exif:
    # Broken metadata must not sink a photo whose pixels are fine.
    try:
        return im.getexif()
    except _EXIF_FAULTS:
        return Image.Exif()


def _header_exif(im: Image.Image) -> Image.Exif:
    exif = Image.Exif()
    raw = im.info.get("exif")
    if isinstance(raw, bytes):
        try:
            exif.load(raw)
        except _EXIF_FAULTS:
            return Image.Exif()
    return exif


def _orientation_tag(exif: Image.Exif) -> int:
    try:
        value = int(exif.get(ExifTags.Base.Orientation, 1))
    except _EXIF_FAULTS:
        return 1
    return value if 1 <= value <= 8 else 1


def _with_rotation(orientation: int, rotation: int) -> int:
    """The EXIF orientation equal to `orientation` followed by a clockwise turn."""
    if rotation % 360 not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be a multiple of 90, not {rotation}")
    return _ROTATED[(orientation if orientation in _TRANSPOSE else 1, rotation % 360)]


def _rotation_table() -> dict[tuple[int, int], int]:
    # Found by experiment on a 3x2 image whose pixels are all different: composing the
    # dihedral transforms by hand is where off-by-one-turn bugs hide.
    probe = Image.new("L", (3, 2))
    probe.putdata(list(range(6)))

    def apply(orientation: int) -> bytes:
        im = probe.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else probe
        return im.tobytes() + bytes(im.size)

    turns = {
        0: None,
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    outcomes = {apply(o): o for o in range(1, 9)}
    table = {}
    for orientation in range(1, 9):
        shown = probe.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else probe
        for degrees, turn in turns.items():
            turned = shown.transpose(turn) if turn is not None else shown
            table[(orientation, degrees)] = outcomes[turned.tobytes() + bytes(turned.size)]
    return table


def _applied_orientation(fmt: str, tag: int) -> int:
    # libheif has already applied the HEIF irot/imir boxes (pillow-heif then reports 1), and
    # the HEIF spec makes those, not EXIF, authoritative: never rotate a HEIF a second time.
    # Pillow's AVIF plugin does the opposite: it turns irot/imir into the EXIF tag.
    return 1 if fmt == "HEIF" else tag


def _had_gps(exif: Image.Exif, info: dict[str | tuple[int, int], object]) -> bool:
    try:
        if exif.get_ifd(ExifTags.IFD.GPSInfo):
            return True
    except _EXIF_FAULTS:
        pass
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    return isinstance(xmp, bytes) and b"GPSLatitude" in xmp


_EXIF_DATETIME = re.compile(r"\s*(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_EXIF_OFFSET = re.compile(r"\s*([+-])(\d\d):?(\d\d)\s*$")


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal (else DateTime), aware only when the file states its UTC offset."""
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        candidates = (
            (sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)),
            (exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime)),
        )
    except _EXIF_FAULTS:
        return None
    for value, offset in candidates:
        moment = _parse_exif_datetime(value)
        if moment is not None:
            zone = _parse_exif_offset(offset)
            return moment.replace(tzinfo=zone) if zone else moment
    return None


def _exif_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


def _parse_exif_datetime(value: object) -> datetime | None:
    match = _EXIF_DATETIME.match(_exif_text(value))
    if not match:
        return None
    try:
        # EXIF times are the camera's wall clock with no zone: naive on purpose.
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError:  # "0000:00:00 00:00:00" and other impossible dates
        return None


def _parse_exif_offset(value: object) -> timezone | None:
    match = _EXIF_OFFSET.match(_exif_text(value))
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta >= timedelta(hours=24):
        return None
    return timezone(-delta if sign == "-" else delta)


# --- pixels ------------------------------------------------------------------------------


def _flatten(im: Image.Image) -> Image.Image:
    """The image as 8-bit "L", "RGB" or "CMYK", transparency composited on white."""
    mode = im.mode
    if mode in ("L", "RGB", "CMYK"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode == "I" or mode.startswith("I;16"):
        # convert("L") would clip 16-bit values at 255 (mid grey turns white); scale instead.
        wide = im if mode == "I" else im.convert("I")
        return wide.point(_sixteen_to_eight(), "L")
    if mode == "F":
        return im.convert("L")
    if mode == "P":
        if not im.has_transparency_data:
            return im.convert("RGB")
        im = im.convert("RGBA")
    elif mode == "PA" or mode == "RGBa":
        im = im.convert("RGBA")
    elif mode == "La":
        im = im.convert("LA")
    if im.mode == "LA":
        white = Image.new("L", im.size, 255)
        white.paste(im.getchannel("L"), mask=im.getchannel("A"))
        return white
    if im.mode == "RGBA":
        white = Image.new("RGB", im.size, (255, 255, 255))
        white.paste(im, mask=im.getchannel("A"))
        return white
    return im.convert("RGB")


@cache
def _sixteen_to_eight() -> list[int]:
    return [(value * 255 + 32767) // 65535 for value in range(65536)]


def _srgb_converter(icc: object, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform from the embedded profile to sRGB, or None to convert plainly."""
    if not isinstance(icc, bytes) or not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return None
        return ImageCms.buildTransform(
            profile, _srgb_profile(), mode, "RGB", ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # An unreadable or mismatched profile (e.g. a grey one on an RGB image): keep the
        # pixels as they are rather than refuse the photo.
        return None


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _finish(
    im: Image.Image, orientation: int, to_srgb: ImageCms.ImageCmsTransform | None
) -> Image.Image:
    """Colour to 8-bit sRGB, then orientation, on an already small image."""
    converted: Image.Image | None = None
    if to_srgb is not None:
        try:
            converted = to_srgb.apply(im)
        except (ImageCms.PyCMSError, ValueError):
            converted = None
    if converted is None:
        converted = im.convert("RGB") if im.mode != "RGB" else im
    if orientation in _TRANSPOSE:
        converted = converted.transpose(_TRANSPOSE[orientation])
    # Pillow copies `info` along every operation, and its JPEG writer reuses the original's
    # comment from there: a rendition starts with none.
    converted.info = {}
    return converted


def _contain(
    work: Image.Image,
    made: Sequence[Image.Image],
    size: tuple[int, int],
    orientation: int,
    to_srgb: ImageCms.ImageCmsTransform | None,
) -> Image.Image:
    # Cascade: the thumb comes from the display rendition, not from the decoded photo.
    bigger = [im for im in made if im.width >= size[0] and im.height >= size[1]]
    if bigger:
        source = min(bigger, key=lambda im: im.width * im.height)
        out = source.resize(size, _LANCZOS, reducing_gap=_REDUCING_GAP)
        out.info = {}
        return out
    stored = _stored_size(size, orientation)
    # A mild reduction (under 2x: a phone photo decoded at half size going to 1600 px) looks
    # the same with BICUBIC's narrower kernel, which costs a third less than LANCZOS.
    mild = work.width < 2 * stored[0] and work.height < 2 * stored[1]
    resample = Image.Resampling.BICUBIC if mild else _LANCZOS
    resized = work.resize(stored, resample, reducing_gap=_REDUCING_GAP)
    return _finish(resized, orientation, to_srgb)


def _cover(
    work: Image.Image,
    made: Sequence[Image.Image],
    shown: tuple[int, int],
    orientation: int,
    size: tuple[int, int],
    to_srgb: ImageCms.ImageCmsTransform | None,
) -> Image.Image:
    """Exactly `size`: the centred crop of the right shape, scaled (up if the photo is small)."""
    # Cascade: cut from a finished rendition when its crop is still at least `size`.
    for source in sorted(made, key=lambda im: im.width * im.height):
        crop_w, crop_h = _cover_crop(source.size, size)
        if crop_w >= size[0] and crop_h >= size[1]:
            left, top = (source.width - crop_w) / 2, (source.height - crop_h) / 2
            box = (left, top, left + crop_w, top + crop_h)
            out = source.resize(size, _LANCZOS, box=box, reducing_gap=_REDUCING_GAP)
            out.info = {}
            return out
    crop_w, crop_h = _cover_crop(shown, size)
    # A centred box stays centred under any flip or rotation: only the axes swap.
    crop_w, crop_h = _stored_size((crop_w, crop_h), orientation)
    stored_w, stored_h = _stored_size(shown, orientation)
    fx, fy = work.width / stored_w, work.height / stored_h
    left, top = (stored_w - crop_w) / 2 * fx, (stored_h - crop_h) / 2 * fy
    box = (left, top, left + crop_w * fx, top + crop_h * fy)
    resized = work.resize(
        _stored_size(size, orientation), _LANCZOS, box=box, reducing_gap=_REDUCING_GAP
    )
    return _finish(resized, orientation, to_srgb)


def _encode_jpeg(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=b"")
    return out.getvalue()


def _encode_webp(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, exif=b"", xmp=b"")
    return out.getvalue()


_ENCODERS = {"jpeg": _encode_jpeg, "webp": _encode_webp}


# --- geometry ----------------------------------------------------------------------------


def _shown_size(stored: tuple[_N, _N], orientation: int) -> tuple[_N, _N]:
    return (stored[1], stored[0]) if orientation >= 5 else stored


def _stored_size(shown: tuple[_N, _N], orientation: int) -> tuple[_N, _N]:
    return (shown[1], shown[0]) if orientation >= 5 else shown


def _contain_size(shown: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """Fits inside box keeping the aspect ratio; never upscales."""
    width, height = shown
    box_w, box_h = box
    if width <= box_w and height <= box_h:
        return shown
    if width * box_h >= height * box_w:
        return box_w, max(1, round(height * box_w / width))
    return max(1, round(width * box_h / height)), box_h


def _cover_crop(shown: tuple[int, int], size: tuple[int, int]) -> tuple[float, float]:
    width, height = shown
    out_w, out_h = size
    if width * out_h > height * out_w:
        return height * out_w / out_h, float(height)
    return float(width), width * out_h / out_w


def _decode_scale(shown: tuple[int, int], specs: Sequence[RenditionSpec]) -> float:
    """The smallest scale of the photo from which every spec can still be made.

    Computed from all specs, not only the wanted ones, so the decode (and the phash made
    from it) is the same on every run.
    """
    width, height = shown
    need = _HASH_SIDE / max(width, height)
    for spec in specs:
        if spec.fit == "cover":
            need = max(need, spec.width / width, spec.height / height)
        else:
            out_w, out_h = _contain_size(shown, (spec.width, spec.height))
            need = max(need, out_w / width, out_h / height)
    return min(1.0, need)


def _scaled(shown: tuple[int, int], scale: float) -> tuple[int, int]:
    # The epsilon keeps 3200 * 0.5 from becoming 1601 through rounding noise, which would
    # cost a whole DCT scaling step.
    return (
        max(1, min(shown[0], math.ceil(shown[0] * scale - 1e-6))),
        max(1, min(shown[1], math.ceil(shown[1] * scale - 1e-6))),
    )


def _largest_first(specs: Sequence[RenditionSpec], shown: tuple[int, int]) -> list[RenditionSpec]:
    def area(spec: RenditionSpec) -> int:
        if spec.fit == "cover":
            return spec.width * spec.height
        out_w, out_h = _contain_size(shown, (spec.width, spec.height))
        return out_w * out_h

    return sorted(specs, key=area, reverse=True)


def _pairs(specs: Sequence[RenditionSpec]) -> Iterator[tuple[RenditionSpec, str]]:
    for spec in specs:
        for fmt in spec.formats:
            yield spec, fmt


def _megabytes(size: int) -> float:
    value = size / _MIB
    return int(value) if value.is_integer() else round(value, 1)


def _megapixels(pixels: int) -> float:
    value = pixels / 1_000_000
    return int(value) if value.is_integer() else round(value, 1)


def _pixels_in_message(exc: Exception) -> int:
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return int(match.group(1)) if match else 0


_ROTATED = _rotation_table()


BROWSER_FORMATS = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}


def full_size_jpeg(fp: Readable, *, policy: UploadPolicy = UploadPolicy()) -> bytes:
    """The whole photo as a JPEG without metadata, for formats browsers cannot show (HEIC).

    A full-size decode: only for a moderator's occasional look, never in a batch.
    """
    source, _sha = _read_capped(fp, policy.max_bytes)
    with _decode_errors():
        im = _open(source, policy.formats)
        if im.width * im.height > policy.max_pixels:
            raise ImageDecodeError("too_many_pixels", f"{im.width}x{im.height}")
        orientation = _applied_orientation(im.format or "", _orientation_tag(_exif_of(im)))
        im.load()
        finished = _finish(_flatten(im), orientation, None)
    out = io.BytesIO()
    finished.save(out, "JPEG", quality=90, exif=b"")
    return out.getvalue()
