"""Renditions and metadata, run in the worker: one decode, then every rendition and the
metadata.

Renditions are new images made from decoded pixels, so nothing from the original (EXIF,
GPS, XMP, IPTC, ICC, comments, text chunks, trailing bytes) leaks into a public file.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageCms

from photos.imaging import encoding
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
    had_gps,
    orientation_of,
    read_exif,
    taken_at,
    upright,
    with_rotation,
)
from photos.imaging.geometry import (
    contain_size,
    cover_crop,
    cover_size,
    decode_scale,
    scaled_size,
    shown_size,
    stored_size,
)
from photos.imaging.inspection import UploadPolicy
from photos.imaging.phash import HASH_SIDE, perceptual_hash

# Pillow's reducing_gap: a cheap integer reduce() first, then LANCZOS over at least 3x the
# output, which its docs call very close to a full LANCZOS pass.
_REDUCING_GAP = 3.0
# The thumb cut from the display rendition (1600 to 480 px: 3.3x) with a gap of 3 gets no
# integer reduce at all, and a full LANCZOS pass costs 18 ms; a gap of 1.5 halves it first
# (7.5 ms) for a thumb within 50 dB PSNR of the full pass (bench/renditions.py's photo):
# the same picture to the eye. 10 ms of the 12 MP JPEG's ~240 ms of CPU (issue 16's floor).
_CASCADE_REDUCING_GAP = 1.5
_LANCZOS = Image.Resampling.LANCZOS


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


@dataclass(frozen=True)
class _Decoded:
    """The photo decoded once, with what its header said."""

    work: Image.Image  # flattened, at the decode scale, not yet turned
    shown: tuple[int, int]  # the full size, as shown
    orientation: int  # still to apply to `work`, the moderator's rotation included
    tag: int  # the file's own EXIF orientation
    format: str
    icc: object
    had_gps: bool
    taken_at: datetime | None


def process_image(
    fp: Readable,
    *,
    policy: UploadPolicy,
    specs: Sequence[RenditionSpec] = RENDITION_SPECS,
    wanted: Collection[tuple[str, str]] | None = None,
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
    _check_specs(specs)
    source, sha256 = read_capped(fp, policy.max_bytes)
    photo = _decode(source, policy, specs, rotation)
    transform = srgb_transform(photo.icc, photo.work.mode)
    todo = {
        (spec.name, fmt)
        for spec in specs
        for fmt in spec.formats
        if wanted is None or (spec.name, fmt) in wanted
    }
    files, phash = _render(photo, specs, todo, transform)
    metadata = PhotoMetadata(
        width=photo.shown[0],
        height=photo.shown[1],
        orientation=photo.tag,
        taken_at=photo.taken_at,
        sha256=sha256,
        phash=phash,
        had_gps=photo.had_gps,
        format=photo.format,
    )
    order = {(spec.name, fmt): i for i, (spec, fmt) in enumerate(_pairs(specs))}
    files.sort(key=lambda f: order[(f.spec, f.format)])
    return ProcessResult(metadata=metadata, files=tuple(files))


def _check_specs(specs: Sequence[RenditionSpec]) -> None:
    for spec in specs:
        if spec.fit not in ("contain", "cover"):
            raise ValueError(f"unknown fit {spec.fit!r} in spec {spec.name!r}")
        for fmt in spec.formats:
            if fmt not in encoding.ENCODERS:
                raise ValueError(f"unknown output format {fmt!r} in spec {spec.name!r}")


def _decode(
    source: io.BytesIO, policy: UploadPolicy, specs: Sequence[RenditionSpec], rotation: int
) -> _Decoded:
    with decode_errors():
        im = open_image(source, policy.formats)
    with im:
        source_format = im.format or ""
        stored = im.size
        if stored[0] * stored[1] > policy.pixel_cap(source_format):
            raise ImageDecodeError("too_many_pixels", f"{stored[0]}x{stored[1]}")
        with decode_errors():
            if source_format == "PNG":
                # An eXIf chunk may follow the pixel data, and getexif() decodes to find it;
                # PNG has no scaled decode, so nothing is lost by decoding first.
                im.load()
            exif = read_exif(im)
            tag = orientation_of(exif)
            orientation = with_rotation(applied_orientation(source_format, tag), rotation)
            shown = shown_size(stored, orientation)
            icc = im.info.get("icc_profile")
            gps = had_gps(exif, im.info)
            taken = taken_at(exif)
            scale = _decode_scale(shown, specs)
            need = stored_size(scaled_size(shown, scale), orientation)
            if scale < 1:
                # JPEG: DCT scaling decodes at 1/2, 1/4 or 1/8 of the size directly; HEIF: a
                # big enough embedded thumbnail; other formats ignore it. Never below need.
                im.draft("RGB", need)
            # HEIF without such a thumbnail: reduced by 2, 4 or 8 as libheif's output is
            # read, never whole in Pillow (decoding.load_heif); None for other formats.
            pixels = (
                None if im.size != stored else load_heif(im, factor=reduce_factor(stored, need))
            )
            if pixels is None:
                im.load()
                pixels = im
            work = flatten(pixels)
        if work is not im:
            im.close()  # free the decoded pixels: only one full-size image per job
    return _Decoded(
        work=work,
        shown=shown,
        orientation=orientation,
        tag=tag,
        format=source_format,
        icc=icc,
        had_gps=gps,
        taken_at=taken,
    )


def _render(
    photo: _Decoded,
    specs: Sequence[RenditionSpec],
    todo: Collection[tuple[str, str]],
    transform: ImageCms.ImageCmsTransform | None,
) -> tuple[list[RenderedFile], str]:
    """The files in `todo`, largest first, and the phash."""
    made: list[Image.Image] = []  # finished contain renditions, for the cascade
    encoded: list[tuple[str, str, tuple[int, int], Future[bytes]]] = []
    threads = encoding.ENCODER_THREADS  # read at each call: the benchmark changes it
    # One encoder thread works beside the resizing: encoding is half the job and Pillow's
    # encoders release the GIL, so the largest WebP is written while the smaller sizes are
    # cut. A job never uses more than two threads.
    # ENCODER_THREADS = 0 encodes in the calling thread (the benchmark's single-core figure).
    with ThreadPoolExecutor(max_workers=max(1, threads)) as encoder:
        for spec in _largest_first(specs, photo.shown):
            formats = [fmt for fmt in spec.formats if (spec.name, fmt) in todo]
            if not formats:
                continue
            rendition = _rendition(photo, made, spec, transform)
            for index, fmt in enumerate(formats):
                # Image.save keeps its options on the image object (encoderinfo): two
                # formats saved from one object at once would read each other's quality.
                source = rendition if index == 0 else rendition.copy()
                job = _encode(encoder if threads else None, fmt, source)
                encoded.append((spec.name, fmt, rendition.size, job))
        # The phash needs no encoder: it is made while the encoder finishes.
        phash = perceptual_hash(photo.work, photo.orientation, transform)
        files = [
            RenderedFile(spec=name, format=fmt, width=size[0], height=size[1], data=job.result())
            for name, fmt, size, job in encoded
        ]
    return files, phash


def _rendition(
    photo: _Decoded,
    made: list[Image.Image],
    spec: RenditionSpec,
    transform: ImageCms.ImageCmsTransform | None,
) -> Image.Image:
    """One finished rendition; a contain one is added to `made`, for the cascade."""
    if spec.fit == "cover":
        return _cover(
            photo.work, made, photo.shown, photo.orientation, (spec.width, spec.height), transform
        )
    size = contain_size(photo.shown, (spec.width, spec.height))
    rendition = _contain(photo.work, made, size, photo.orientation, transform)
    made.append(rendition)
    return rendition


def _encode(encoder: Executor | None, fmt: str, im: Image.Image) -> Future[bytes]:
    """Encodes on `encoder`, or right now in this thread when there is none."""
    if encoder is not None:
        return encoder.submit(encoding.ENCODERS[fmt], im)
    job: Future[bytes] = Future()
    job.set_result(encoding.ENCODERS[fmt](im))
    return job


def _finish(
    im: Image.Image, orientation: int, transform: ImageCms.ImageCmsTransform | None
) -> Image.Image:
    """Colour to 8-bit sRGB, then orientation, on an already small image."""
    converted = upright(to_srgb(im, transform), orientation)
    # Pillow copies `info` along every operation, and its JPEG writer reuses the original's
    # comment from there: a rendition starts with none.
    converted.info = {}
    return converted


def _contain(
    work: Image.Image,
    made: Sequence[Image.Image],
    size: tuple[int, int],
    orientation: int,
    transform: ImageCms.ImageCmsTransform | None,
) -> Image.Image:
    # Cascade: the thumb comes from the display rendition, not from the decoded photo.
    bigger = [im for im in made if im.width >= size[0] and im.height >= size[1]]
    if bigger:
        source = min(bigger, key=lambda im: im.width * im.height)
        out = source.resize(size, _LANCZOS, reducing_gap=_CASCADE_REDUCING_GAP)
        out.info = {}
        return out
    stored = stored_size(size, orientation)
    # A mild reduction (under 2x: a phone photo decoded at half size going to 1600 px) looks
    # the same with BICUBIC's narrower kernel, which costs a third less than LANCZOS.
    mild = work.width < 2 * stored[0] and work.height < 2 * stored[1]
    resample = Image.Resampling.BICUBIC if mild else _LANCZOS
    resized = work.resize(stored, resample, reducing_gap=_REDUCING_GAP)
    return _finish(resized, orientation, transform)


def _cover(
    work: Image.Image,
    made: Sequence[Image.Image],
    shown: tuple[int, int],
    orientation: int,
    size: tuple[int, int],
    transform: ImageCms.ImageCmsTransform | None,
) -> Image.Image:
    """Exactly `size`: the centred crop of the right shape, scaled (up if the photo is small)."""
    # Cascade: cut from a finished rendition when its crop is still at least `size`.
    for source in sorted(made, key=lambda im: im.width * im.height):
        crop_w, crop_h = cover_size(source.size, size)
        if crop_w >= size[0] and crop_h >= size[1]:
            box = cover_crop(source.size, size)
            out = source.resize(size, _LANCZOS, box=box, reducing_gap=_REDUCING_GAP)
            out.info = {}
            return out
    crop_w, crop_h = cover_size(shown, size)
    # A centred box stays centred under any flip or rotation: only the axes swap.
    crop_w, crop_h = stored_size((crop_w, crop_h), orientation)
    stored_w, stored_h = stored_size(shown, orientation)
    fx, fy = work.width / stored_w, work.height / stored_h
    left, top = (stored_w - crop_w) / 2 * fx, (stored_h - crop_h) / 2 * fy
    box = (left, top, left + crop_w * fx, top + crop_h * fy)
    resized = work.resize(
        stored_size(size, orientation), _LANCZOS, box=box, reducing_gap=_REDUCING_GAP
    )
    return _finish(resized, orientation, transform)


def _output_size(spec: RenditionSpec, shown: tuple[int, int]) -> tuple[int, int]:
    """The size of the spec's rendition of a photo shown at `shown`."""
    if spec.fit == "cover":
        return spec.width, spec.height
    return contain_size(shown, (spec.width, spec.height))


def _decode_scale(shown: tuple[int, int], specs: Iterable[RenditionSpec]) -> float:
    """The smallest scale of the photo from which every spec (and the phash) can be made.

    Computed from all specs, not only the wanted ones, so the decode (and the phash made
    from it) is the same on every run.
    """
    outputs = (_output_size(spec, shown) for spec in specs)
    return decode_scale(shown, outputs, min_long_side=HASH_SIDE)


def _largest_first(specs: Sequence[RenditionSpec], shown: tuple[int, int]) -> list[RenditionSpec]:
    def area(spec: RenditionSpec) -> int:
        out_w, out_h = _output_size(spec, shown)
        return out_w * out_h

    return sorted(specs, key=area, reverse=True)


def _pairs(specs: Sequence[RenditionSpec]) -> Iterator[tuple[RenditionSpec, str]]:
    for spec in specs:
        for fmt in spec.formats:
            yield spec, fmt


BROWSER_FORMATS = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}


def full_size_jpeg(fp: Readable, *, policy: UploadPolicy) -> bytes:
    """The whole photo as a JPEG without metadata, for formats browsers cannot show (HEIC).

    A full-size decode: only for a moderator's occasional look, never in a batch.
    """
    source, _sha = read_capped(fp, policy.max_bytes)
    with decode_errors():
        im = open_image(source, policy.formats)
        if im.width * im.height > policy.max_pixels:
            raise ImageDecodeError("too_many_pixels", f"{im.width}x{im.height}")
        orientation = applied_orientation(im.format or "", orientation_of(read_exif(im)))
        pixels = load_heif(im)  # a HEIC never twice in memory (None for other formats)
        if pixels is None:
            im.load()
            pixels = im
        finished = _finish(flatten(pixels), orientation, None)
    out = io.BytesIO()
    finished.save(out, "JPEG", quality=90, exif=b"")
    return out.getvalue()
