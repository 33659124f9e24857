"""The print package's files: the clean original, the print JPEG (sRGB or CMYK), a proof PDF
with crop marks, and the crop as JSON.

Nothing private leaves with the package. A JPEG original is cleaned losslessly, segment by
segment (its compressed pixels are copied byte for byte); any other original is decoded and
written again as PNG. Only the ICC profile and the orientation survive, both needed to show
the picture as the rider took it.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageCms
from reportlab import rl_config
from reportlab.lib.colors import CMYKColorSep
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from covers.geometry import (
    MM_PER_INCH,
    Box,
    FracBox,
    PrintFormat,
    effective_ppi,
    readiness,
)
from covers.mockup import find_font
from photos.imaging.colour import flatten, srgb_transform, to_srgb
from photos.imaging.decoding import ImageDecodeError, decode_errors, load_heif, open_image
from photos.imaging.exif import (
    applied_orientation,
    orientation_of,
    read_exif,
    upright,
    with_rotation,
)

PRINT_JPEG_QUALITY = 95
# LANCZOS over at least 3x the output after a cheap integer reduce(): Pillow's docs call it
# very close to a full LANCZOS pass (the same setting as the renditions).
_REDUCING_GAP = 3.0

# --- cleaning an original ---------------------------------------------------------------------

_SOI = b"\xff\xd8"
_EOI = b"\xff\xd9"
_SOS = 0xDA
_APP0 = 0xE0
_APP2 = 0xE2
_APP14 = 0xEE
_COM = 0xFE
# Markers without a length: TEM and the restart markers (which belong inside a scan).
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# Inside entropy-coded data a 0xFF byte is followed by 0x00 (stuffing), a restart marker or
# another 0xFF (fill); anything else is the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JFIF_FIELDS = 14  # "JFIF\0", version, units, densities, thumbnail size: no thumbnail pixels


def strip_jpeg_metadata(data: bytes, *, orientation: int) -> bytes:
    """The JPEG without its metadata, losslessly: the same compressed pixels, byte for byte.

    Kept: the JFIF header (without a thumbnail), the ICC profile, the Adobe segment (it says
    how the colours were transformed), every table, frame and scan of the first image.
    Dropped: EXIF, XMP, IPTC and other APPn, comments, MPF, and everything after the first
    image's end (an MPO's second frame, a gain map, trailing bytes). A new EXIF holding only
    `orientation` (1 to 8) is written, so viewers still show the picture upright; none for 1.
    Raises ImageDecodeError "corrupt" when the segments cannot be walked.
    """
    if not 1 <= orientation <= 8:
        raise ValueError(f"orientation must be 1 to 8, not {orientation}")
    view = memoryview(data)
    jfif = b""
    kept: list[memoryview | bytes] = []
    for marker, segment in _segments(view):
        if marker == _APP0 and not jfif and _payload(segment)[:5] == b"JFIF\x00":
            jfif = _jfif_without_thumbnail(segment)
        elif _keep(marker, segment):
            kept.append(segment)
    exif = _orientation_segment(orientation) if orientation != 1 else b""
    # JFIF wants its segment right after SOI, EXIF wants the same: JFIF first, as most
    # writers (Pillow, libjpeg, phones) do.
    return b"".join([_SOI, jfif, exif, *kept, _EOI])


def _segments(data: memoryview) -> Iterator[tuple[int, memoryview]]:
    """(marker, whole segment) from after SOI to the first EOI; an SOS segment runs on to the
    end of its entropy-coded data. Slices of `data`, so the scans are never copied here."""
    if bytes(data[:2]) != _SOI:
        raise ImageDecodeError("corrupt", "no JPEG start marker")
    pos, size = 2, len(data)
    while True:
        while pos + 1 < size and data[pos] == 0xFF and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes before a marker
        if pos + 1 >= size or data[pos] != 0xFF:
            raise ImageDecodeError("corrupt", f"no marker at byte {pos}")
        marker = data[pos + 1]
        if marker == _EOI[1]:
            return
        if marker in _STANDALONE:
            yield marker, data[pos : pos + 2]
            pos += 2
            continue
        if pos + 4 > size:
            raise ImageDecodeError("corrupt", "truncated segment")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > size:
            raise ImageDecodeError("corrupt", f"segment {marker:#x} overruns the file")
        if marker == _SOS:
            found = _NEXT_MARKER.search(data, end)
            if found is None:
                raise ImageDecodeError("corrupt", "scan without an end")
            end = found.start()
        yield marker, data[pos:end]
        pos = end


def _payload(segment: memoryview) -> bytes:
    return bytes(segment[4:20])  # enough to tell the segments apart


def _keep(marker: int, segment: memoryview) -> bool:
    if marker == _APP2:
        return _payload(segment).startswith(b"ICC_PROFILE\x00")
    if marker == _APP14:
        return _payload(segment).startswith(b"Adobe")
    # Every other APPn (EXIF, XMP, IPTC, MPF, FlashPix, JFXX thumbnails, makers' notes) and
    # comments; a second APP0 is not a JFIF header.
    return not (_APP0 <= marker <= 0xEF or marker == _COM)


def _jfif_without_thumbnail(segment: memoryview) -> bytes:
    """The JFIF segment with its optional thumbnail dropped (a picture of the whole photo)."""
    fields = bytes(segment[4 : 4 + _JFIF_FIELDS])
    if len(fields) < _JFIF_FIELDS:
        return b""  # malformed: decoders do not need it
    fields = fields[:-2] + b"\x00\x00"
    return b"\xff\xe0" + struct.pack(">H", 2 + len(fields)) + fields


def _orientation_segment(orientation: int) -> bytes:
    """An APP1 EXIF with one entry, IFD0 Orientation (SHORT), big-endian."""
    tiff = (
        b"MM\x00\x2a"
        + struct.pack(">I", 8)  # IFD0 follows the header
        + struct.pack(">H", 1)
        + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
        + struct.pack(">I", 0)  # no IFD1: no thumbnail
    )
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", 2 + len(payload)) + payload


def clean_original(
    data: bytes,
    *,
    formats: Sequence[str],
    max_bytes: int,
    max_pixels: int,
    rotation: int = 0,
) -> tuple[bytes, str]:
    """The original without private metadata, and the file extension that suits it.

    A JPEG (or MPO) is cleaned losslessly by strip_jpeg_metadata, its orientation (with
    `rotation` degrees clockwise added) kept as its only EXIF tag: "jpg". Any other format
    is decoded and written again as an 8-bit PNG, the orientation applied to the pixels and
    the ICC profile kept: "png". Raises ImageDecodeError for a file that cannot be decoded
    or is over the limits.
    """
    if len(data) > max_bytes:
        raise ImageDecodeError("too_large", f"over {max_bytes} bytes")
    with decode_errors():
        im = open_image(io.BytesIO(data), formats)
    with im:
        if im.width * im.height > max_pixels:
            raise ImageDecodeError("too_many_pixels", f"{im.width}x{im.height}")
        fmt = im.format or ""
        if fmt == "PNG":
            with decode_errors():
                im.load()  # an eXIf chunk may follow the pixel data
        # Outside decode_errors: a bad `rotation` is the caller's mistake, not the file's.
        tag = orientation_of(read_exif(im))
        if fmt in ("JPEG", "MPO"):
            return strip_jpeg_metadata(data, orientation=with_rotation(tag, rotation)), "jpg"
        orientation = with_rotation(applied_orientation(fmt, tag), rotation)
        icc = im.info.get("icc_profile")
        with decode_errors():
            # A HEIC goes from libheif to Pillow band by band (decoding.load_heif): one
            # full-size copy at a time, not two.
            loaded = load_heif(im)
            if loaded is None:
                im.load()
                loaded = im
            pixels = _png_pixels(loaded)
        if pixels is not im:
            im.close()
    # One full-size image at a time: a 50 MP photo is 150 MB of RGB.
    turned = upright(pixels, orientation)
    if turned is not pixels:
        pixels.close()
    if turned.mode == "CMYK":  # PNG has no CMYK: to sRGB, and the profile is spent
        turned, icc = to_srgb(turned, srgb_transform(icc, "CMYK")), None
    out = io.BytesIO()
    # Level 3: measured on a 12 MP HEIC, 2 % more bytes than the default 6 in a third of the
    # time (0.9 s against 2.6 s); level 1 costs 9 % more bytes.
    params: dict[str, object] = {"compress_level": 3}
    if isinstance(icc, bytes) and icc:
        params["icc_profile"] = icc
    turned.info = {}  # no text chunks, EXIF or XMP come along
    turned.save(out, "PNG", **params)
    return out.getvalue(), "png"


def _png_pixels(im: Image.Image) -> Image.Image:
    """8-bit pixels PNG can hold, alpha kept: `im` itself when they already are."""
    if im.mode in ("L", "LA", "RGB", "RGBA"):
        return im
    if im.mode in ("La", "PA", "RGBa") or (im.mode == "P" and im.has_transparency_data):
        return im.convert("LA" if im.mode == "La" else "RGBA")
    return flatten(im)  # 16-bit to 8-bit, palette to RGB


# --- the print file ---------------------------------------------------------------------------


def print_crop(image: Image.Image, crop: Box, fmt: PrintFormat, *, ppi: int = 300) -> Image.Image:
    """The `crop` of `image` (in its pixels) resampled to exactly fmt.pixels_at(ppi)."""
    left, top, right, bottom = crop.as_tuple()
    # Float noise may put an edge a hair outside the picture, which resize() refuses.
    box = (
        max(0.0, left),
        max(0.0, top),
        min(float(image.width), right),
        min(float(image.height), bottom),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"crop {crop} lies outside the {image.width}x{image.height} image")
    out = image.resize(
        fmt.pixels_at(ppi), Image.Resampling.LANCZOS, box=box, reducing_gap=_REDUCING_GAP
    )
    out.info = {}
    return out


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@cache
def srgb_icc() -> bytes:
    """The sRGB profile embedded in print JPEGs (lcms's built-in sRGB)."""
    return _srgb_profile().tobytes()


def encode_print_jpeg(im: Image.Image, *, ppi: int) -> bytes:
    """A JPEG for print: quality 95, no chroma subsampling, `ppi` set, sRGB profile, no
    other metadata."""
    rgb = im if im.mode == "RGB" else im.convert("RGB")
    out = io.BytesIO()
    rgb.save(
        out,
        "JPEG",
        quality=PRINT_JPEG_QUALITY,
        subsampling="4:4:4",  # thin coloured type and lines on a cover would bleed at 4:2:0
        dpi=(ppi, ppi),
        icc_profile=srgb_icc(),
        exif=b"",
        comment=b"",  # else Pillow writes the comment it finds in im.info
    )
    return out.getvalue()


def to_cmyk_jpeg(im: Image.Image, *, output_profile: bytes, ppi: int) -> bytes:
    """The sRGB image separated to the printer's CMYK `output_profile`, as a JPEG carrying
    that profile and `ppi`.

    Relative colorimetric with black point compensation, the usual choice for photos going
    to press, when the profile supports it; perceptual otherwise. Raises ValueError when
    `output_profile` is not a CMYK ICC profile.
    """
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(output_profile))
    except (ImageCms.PyCMSError, OSError, TypeError) as exc:
        raise ValueError(f"not an ICC profile: {exc}") from exc
    if profile.profile.xcolor_space.strip() != "CMYK":
        raise ValueError(f"not a CMYK profile: {profile.profile.xcolor_space.strip()}")
    relative = ImageCms.Intent.RELATIVE_COLORIMETRIC
    supported = ImageCms.isIntentSupported(profile, relative, ImageCms.Direction.OUTPUT) == 1
    # Built for each call: an lcms transform keeps a one-pixel cache, unsafe to share.
    transform = ImageCms.buildTransform(
        _srgb_profile(),
        profile,
        "RGB",
        "CMYK",
        renderingIntent=relative if supported else ImageCms.Intent.PERCEPTUAL,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    cmyk = transform.apply(im if im.mode == "RGB" else im.convert("RGB"))
    out = io.BytesIO()
    cmyk.save(
        out,
        "JPEG",
        quality=PRINT_JPEG_QUALITY,
        subsampling="4:4:4",
        dpi=(ppi, ppi),
        icc_profile=output_profile,
        exif=b"",
        comment=b"",
    )
    return out.getvalue()


# --- the proof --------------------------------------------------------------------------------

POINTS_PER_MM = 72 / MM_PER_INCH
_MARK_GAP_MM = 2.0
"""Between the bleed box and a crop mark, so that a mark never prints on the picture."""
_MARK_INSET_MM = 1.0
"""Between a crop mark and the page edge, so that viewers which clip the page show it."""
_MARK_LINE_PT = 0.25
_SLUG_FONT = "DejaVuSans-Bold"
_SLUG_SIZES = (6.0, 5.5, 5.0, 4.5, 4.0)


def proof_pdf(
    print_jpeg: bytes,
    fmt: PrintFormat,
    *,
    title: str,
    credit: str,
    marks_mm: float = 10.0,
) -> bytes:
    """A one-page PDF proof: the print JPEG over the bleed box, crop marks, and a slug.

    The page (MediaBox) is the trim plus bleed plus `marks_mm` on every side; TrimBox and
    BleedBox are set. Crop marks are hairlines in registration colour on the trim lines,
    outside the bleed. The slug, one line of small text under the bleed, gives `title` and
    `credit`. The JPEG is embedded as it is (no decoding, no recompression).
    """
    if marks_mm < _MARK_GAP_MM + _MARK_INSET_MM + 1:
        raise ValueError(f"marks_mm must leave room for the crop marks, not {marks_mm}")
    bleed = _Frame(marks_mm, marks_mm, fmt.bleed_width_mm, fmt.bleed_height_mm)
    trim = _Frame(
        marks_mm + fmt.bleed_mm, marks_mm + fmt.bleed_mm, fmt.trim_width_mm, fmt.trim_height_mm
    )
    page = (bleed.width + 2 * marks_mm, bleed.height + 2 * marks_mm)
    out = io.BytesIO()
    # reportlab wraps every stream in ASCII85 unless told otherwise, a global setting read
    # both when the image is added and when the file is written: a quarter more bytes for a
    # binary file nobody reads as text.
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        # invariant: no dates or random file id, so the same inputs give the same bytes.
        # The slug's font from the start, or reportlab lists Helvetica, never embedded.
        canvas = Canvas(
            out,
            pagesize=_pt(*page),
            invariant=True,
            pageCompression=1,
            initialFontName=_slug_font(),
        )
        canvas.setTitle(title)
        canvas.setAuthor(credit)
        canvas.setCreator("Coverline")
        canvas.setTrimBox(_pt(*trim.edges))
        canvas.setBleedBox(_pt(*bleed.edges))
        x, y, width, height = _pt(bleed.x, bleed.y, bleed.width, bleed.height)
        canvas.drawImage(ImageReader(io.BytesIO(print_jpeg)), x, y, width=width, height=height)
        _crop_marks(canvas, trim, bleed, page)
        _slug(canvas, title, credit, trim, marks_mm)
        canvas.showPage()
        canvas.save()
    finally:
        rl_config.useA85 = a85
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class _Frame:
    """A rectangle in millimetres from the page's bottom-left corner (PDF's origin)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def edges(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.width, self.y + self.height)


def _pt(*values_mm: float) -> tuple[float, ...]:
    return tuple(value * POINTS_PER_MM for value in values_mm)


def _registration() -> CMYKColorSep:
    # The PDF Separation named "All" prints on every plate: what crop marks are drawn in.
    return CMYKColorSep(1, 1, 1, 1, spotName="All", density=1)


def _crop_marks(canvas: Canvas, trim: _Frame, bleed: _Frame, page: tuple[float, float]) -> None:
    """Two hairlines at each trim corner, on the trim lines, from outside the bleed to
    near the page edge."""
    left, bottom, right, top = trim.edges
    b_left, b_bottom, b_right, b_top = bleed.edges
    near, far = _MARK_GAP_MM, _MARK_INSET_MM
    lines = []
    for x in (left, right):  # vertical marks, below and above the bleed
        lines.append((x, b_bottom - near, x, far))
        lines.append((x, b_top + near, x, page[1] - far))
    for y in (bottom, top):  # horizontal marks, left and right of the bleed
        lines.append((b_left - near, y, far, y))
        lines.append((b_right + near, y, page[0] - far, y))
    canvas.saveState()
    canvas.setStrokeColor(_registration())
    canvas.setLineWidth(_MARK_LINE_PT)
    canvas.lines([_pt(*line) for line in lines])
    canvas.restoreState()


@cache
def _slug_font() -> str:
    """The mock-up's font, embedded (a subset): titles use arrows (⇄) and other characters
    the PDF standard fonts lack. Raises mockup.FontMissingError, saying what to install."""
    pdfmetrics.registerFont(TTFont(_SLUG_FONT, find_font()))
    return _SLUG_FONT


def _slug(canvas: Canvas, title: str, credit: str, trim: _Frame, marks_mm: float) -> None:
    """One line of text under the bleed, between the bottom crop marks: "title — credit",
    shrunk to fit, then the title cut short (the credit is owed to the photographer)."""
    font = _slug_font()
    room = (trim.width - 2 * _MARK_GAP_MM) * POINTS_PER_MM
    text = f"{title} — {credit}"
    size = next((s for s in _SLUG_SIZES if stringWidth(text, font, s) <= room), _SLUG_SIZES[-1])
    while title and stringWidth(text, font, size) > room:
        title = title[:-1].rstrip()
        text = f"{title}… — {credit}"
    while len(text) > 1 and stringWidth(text, font, size) > room:
        text = text[:-2] + "…"  # a credit too long on its own
    canvas.saveState()
    canvas.setFillColor(_registration())
    canvas.setFont(font, size)
    baseline = (marks_mm - _MARK_GAP_MM) / 2 * POINTS_PER_MM - size / 3
    canvas.drawCentredString((trim.x + trim.width / 2) * POINTS_PER_MM, baseline, text)
    canvas.restoreState()


# --- the crop as data -------------------------------------------------------------------------


def crop_json(
    crop: FracBox, *, shown: tuple[int, int], fmt: PrintFormat, ppi: int = 300
) -> dict[str, object]:
    """The crop for the designer: in pixels of the upright original and as fractions, the
    format, the print size at `ppi` and the resolution the crop really gives."""
    box = crop.to_box(shown)
    ppi_given = effective_ppi(box.width, fmt)
    return {
        "photo": {"width": shown[0], "height": shown[1]},
        "crop_px": {
            "left": round(box.left, 2),
            "top": round(box.top, 2),
            "width": round(box.width, 2),
            "height": round(box.height, 2),
        },
        "crop_fraction": crop.as_dict(),
        "format": {
            "trim_mm": [fmt.trim_width_mm, fmt.trim_height_mm],
            "bleed_mm": fmt.bleed_mm,
            "safe_mm": fmt.safe_mm,
        },
        "print_px": list(fmt.pixels_at(ppi)),
        "print_ppi": ppi,
        "effective_ppi": round(ppi_given, 1),
        "readiness": readiness(ppi_given).value,
    }
