"""The print package's files (covers/printing.py): pure image and PDF code, no database.

Pictures are made by the tests; the real phone photos in /work/shared/data/photos (see
SOURCES.md there) are used when present and skipped otherwise. The CMYK tests need a CMYK
ICC profile from Debian's libgs-common package and skip without it.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, ImageStat, JpegImagePlugin
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.pdfbase.pdfmetrics import stringWidth

from covers.geometry import PRESETS, Box, FracBox, PrintFormat
from covers.printing import (
    clean_original,
    crop_json,
    encode_print_jpeg,
    print_crop,
    proof_pdf,
    srgb_icc,
    strip_jpeg_metadata,
    to_cmyk_jpeg,
)
from photos.imaging import ImageDecodeError
from tests.images import SHARED_PHOTOS, gps_exif

FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
LIMITS = {"formats": FORMATS, "max_bytes": 25 * 1024 * 1024, "max_pixels": 50_000_000}
DL = PrintFormat(*PRESETS["DL"])
A6 = PrintFormat(*PRESETS["A6"])

# Debian's libgs-common (Ghostscript's profiles): "Artifex CMYK SWOP Profile".
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)

shared = pytest.mark.skipif(
    not SHARED_PHOTOS.is_dir(), reason=f"the real phone photos are not in {SHARED_PHOTOS}"
)
cmyk_profile = pytest.mark.skipif(
    not CMYK_PROFILE.is_file(),
    reason=f"no CMYK ICC profile at {CMYK_PROFILE} (apt-get install libgs-common)",
)


# --- making and reading files -----------------------------------------------------------------


def quadrants(width: int, height: int) -> Image.Image:
    """Red, green / blue, yellow quadrants over a gradient, so that a JPEG has real detail."""
    gradient = np.linspace(0, 60, width * height, dtype=np.float32).reshape(height, width)
    im = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    im.paste(RED, (0, 0, half_w, half_h))
    im.paste(GREEN, (half_w, 0, width, half_h))
    im.paste(BLUE, (0, half_h, half_w, height))
    im.paste(YELLOW, (half_w, half_h, width, height))
    pixels = np.asarray(im, np.float32) * 0.75 + gradient[..., None]
    return Image.fromarray(pixels.astype(np.uint8))


def encode(im: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def orientation_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", 2 + len(payload)) + payload


def segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the first scan, read by the lengths."""
    assert data[:2] == b"\xff\xd8"
    found, pos = [], 2
    while data[pos + 1] != 0xDA:
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        found.append((data[pos + 1], data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return found


def first_scan_offset(data: bytes) -> int:
    pos = 2
    while data[pos + 1] != 0xDA:
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return pos


def scans(data: bytes) -> bytes:
    """From the first SOS to the first EOI: the scans (and any tables between them)."""
    start = first_scan_offset(data)
    # 0xFF 0xD9 cannot occur inside entropy-coded data (0xFF bytes are stuffed).
    return data[start : data.index(b"\xff\xd9", start) + 2]


def insert_before(data: bytes, marker: int, extra: bytes) -> bytes:
    """`extra` put in front of the first segment with `marker` (0xD8: right after SOI)."""
    if marker == 0xD8:
        return data[:2] + extra + data[2:]
    pos = 2
    while data[pos + 1] != marker:
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return data[:pos] + extra + data[pos:]


def assert_clean(data: bytes, orientation: int) -> None:
    """Only JFIF, the one-tag EXIF, ICC and Adobe segments; the orientation as asked."""
    for marker, payload in segments(data):
        assert marker != 0xFE, "a comment is left"
        if 0xE0 <= marker <= 0xEF:
            kinds = (b"JFIF\x00", b"Exif\x00\x00", b"ICC_PROFILE\x00", b"Adobe")
            assert payload.startswith(kinds), f"APP{marker - 0xE0} {payload[:12]!r} is left"
    exif_segments = [p for m, p in segments(data) if m == 0xE1]
    assert len(exif_segments) == (0 if orientation == 1 else 1)
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        assert dict(exif) == ({} if orientation == 1 else {0x0112: orientation})
        assert not exif.get_ifd(0x8825)  # no GPS
        assert not {"comment", "xmp", "photoshop", "mp", "mpoffset"} & set(im.info)
        assert im.format == "JPEG"
    assert data.endswith(b"\xff\xd9")


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return im.tobytes()


def colour_at(im: Image.Image, fx: float, fy: float) -> tuple[int, ...]:
    x, y = int(im.width * fx), int(im.height * fy)
    return tuple(round(v) for v in ImageStat.Stat(im.crop((x - 3, y - 3, x + 4, y + 4))).mean)


def close_to(colour: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


# --- strip_jpeg_metadata on made files --------------------------------------------------------


def test_a_jpeg_loses_exif_gps_xmp_and_comments_but_not_a_bit_of_its_pixels() -> None:
    exif = gps_exif()
    exif[0x0112] = 6
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>secret-xmp-place</rdf:RDF></x:xmpmeta>'
    original = encode(quadrants(320, 240), exif=exif, comment=b"secret comment", xmp=xmp)

    cleaned = strip_jpeg_metadata(original, orientation=6)

    assert_clean(cleaned, 6)
    for secret in (b"PhoneMaker", b"secret comment", b"secret-xmp-place", b"xmpmeta"):
        assert secret in original
        assert secret not in cleaned
    assert scans(cleaned) == scans(original)
    assert pixels(cleaned) == pixels(original)


def test_iptc_flashpix_jfxx_and_comments_between_the_tables_are_dropped_too() -> None:
    original = encode(quadrants(320, 240), quality=90)
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02Z\x00\x08Budapest"
    original = insert_before(original, 0xD8, segment(0xED, iptc))
    original = insert_before(original, 0xDB, segment(0xFE, b"between the tables"))
    original = insert_before(original, 0xC4, segment(0xE2, b"FPXR\x00secret-flashpix"))
    original = insert_before(original, 0xC4, segment(0xE0, b"JFXX\x00\x10thumb-pixels"))

    cleaned = strip_jpeg_metadata(original, orientation=1)

    assert_clean(cleaned, 1)
    for secret in (b"Budapest", b"between the tables", b"secret-flashpix", b"thumb-pixels"):
        assert secret not in cleaned
    assert pixels(cleaned) == pixels(original)


def test_the_jfif_thumbnail_is_dropped_and_the_jfif_header_comes_first() -> None:
    original = encode(quadrants(64, 48))
    thumbnail = b"JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x02\x01" + b"\xab" * 6  # 2x1 RGB
    original = insert_before(original, 0xD8, segment(0xE0, thumbnail))
    original = insert_before(original, 0xD8, segment(0xE1, b"Exif\x00\x00" + b"MM" * 10))

    cleaned = strip_jpeg_metadata(original, orientation=3)

    found = segments(cleaned)
    assert found[0] == (0xE0, b"JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00")
    assert found[1][0] == 0xE1
    assert [m for m, _ in found].count(0xE0) == 1
    assert_clean(cleaned, 3)


def test_an_icc_profile_in_several_chunks_is_kept_whole() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() * 200  # > 64 KB
    original = encode(quadrants(64, 48), icc_profile=icc)

    cleaned = strip_jpeg_metadata(original, orientation=1)

    chunks = [m for m, _ in segments(original)].count(0xE2)
    assert chunks >= 2
    assert [m for m, _ in segments(cleaned)].count(0xE2) == chunks
    with Image.open(io.BytesIO(cleaned)) as im:
        assert im.info["icc_profile"] == icc


def test_a_progressive_jpeg_keeps_every_scan() -> None:
    original = encode(quadrants(320, 240), progressive=True, exif=orientation_exif(8))

    cleaned = strip_jpeg_metadata(original, orientation=8)

    assert scans(cleaned) == scans(original)
    assert pixels(cleaned) == pixels(original)
    assert_clean(cleaned, 8)


def test_restart_markers_inside_a_scan_are_kept() -> None:
    original = encode(quadrants(320, 240), restart_marker_blocks=4, comment=b"x")

    cleaned = strip_jpeg_metadata(original, orientation=1)

    assert scans(cleaned) == scans(original)
    assert pixels(cleaned) == pixels(original)


def test_an_mpo_keeps_only_its_first_picture_and_nothing_after_it() -> None:
    first, second = quadrants(320, 240), quadrants(320, 240).transpose(Image.Transpose.ROTATE_180)
    original = encode(first, "MPO", save_all=True, append_images=[second]) + b"trailing data"
    with Image.open(io.BytesIO(original)) as im:
        assert im.format == "MPO"
        assert im.n_frames == 2
        expected = im.tobytes()

    cleaned = strip_jpeg_metadata(original, orientation=1)

    assert_clean(cleaned, 1)
    assert b"trailing data" not in cleaned
    assert cleaned.count(b"\xff\xd8") == 1
    assert pixels(cleaned) == expected


def test_orientation_one_writes_no_exif_at_all() -> None:
    original = encode(quadrants(64, 48), exif=orientation_exif(6))

    cleaned = strip_jpeg_metadata(original, orientation=1)

    assert b"Exif" not in cleaned


@pytest.mark.parametrize("orientation", [0, 9])
def test_an_orientation_out_of_range_is_a_programming_error(orientation: int) -> None:
    with pytest.raises(ValueError, match="orientation"):
        strip_jpeg_metadata(encode(quadrants(64, 48)), orientation=orientation)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"\x89PNG" + data[4:],  # no SOI
        lambda data: data[: first_scan_offset(data) + 200],  # a scan without its end
        lambda data: data[:30],  # a segment longer than the file
        lambda data: data[:2] + b"\x00\x00" + data[2:],  # no marker where one must be
    ],
    ids=["not-a-jpeg", "truncated-scan", "truncated-segment", "garbage-between-segments"],
)
def test_a_jpeg_whose_segments_cannot_be_walked_raises_image_decode_error(damage: object) -> None:
    data = damage(encode(quadrants(64, 48), comment=b"a" * 100))  # type: ignore[operator]

    with pytest.raises(ImageDecodeError) as caught:
        strip_jpeg_metadata(data, orientation=1)
    assert caught.value.code == "corrupt"


# --- strip_jpeg_metadata on real phone photos -------------------------------------------------

REAL_JPEGS = {
    # file: (its orientation, what must be gone)
    "jpeg_nokia8.3-5g_gps.jpg": (1, [b"HMD Global", b"Nokia 8.3", b"2022:08:14"]),
    "jpeg_nokia-n70_iptc.jpg": (1, [b"Budapest", b"Hungary", b"Photoshop 3.0", b"N70"]),
    "jpeg_iphone13mini_hdr-gainmap_mpo.jpg": (1, [b"Apple", b"iPhone", b"MPF\x00"]),
    "jpeg_pixel-hdrplus_orient6_extended-xmp_icc.jpg": (
        6,
        [b"http://ns.adobe.com/xap/1.0/", b"HDR+", b"2020:10:01"],
    ),
    "jpeg_pixel4a_gps_ultrahdr-gainmap.jpg": (1, [b"Pixel 4a", b"Photoshop", b"GainMap"]),
}


@shared
@pytest.mark.parametrize("name", sorted(REAL_JPEGS))
def test_a_real_phone_jpeg_is_cleaned_losslessly(name: str) -> None:
    original = (SHARED_PHOTOS / name).read_bytes()
    orientation, secrets = REAL_JPEGS[name]
    with Image.open(io.BytesIO(original)) as im:
        assert im.getexif().get(0x0112, 1) == orientation
        icc = im.info.get("icc_profile")
        expected = im.tobytes()

    cleaned = strip_jpeg_metadata(original, orientation=orientation)

    for secret in secrets:
        assert secret in original, secret
        assert secret not in cleaned, secret
    assert_clean(cleaned, orientation)
    assert scans(cleaned) == scans(original)
    assert pixels(cleaned) == expected
    with Image.open(io.BytesIO(cleaned)) as im:
        assert im.info.get("icc_profile") == icc


@shared
def test_a_real_gps_photo_keeps_no_position() -> None:
    original = (SHARED_PHOTOS / "jpeg_nokia8.3-5g_gps.jpg").read_bytes()
    with Image.open(io.BytesIO(original)) as im:
        assert im.getexif().get_ifd(0x8825)

    cleaned = strip_jpeg_metadata(original, orientation=1)

    with Image.open(io.BytesIO(cleaned)) as im:
        assert not im.getexif().get_ifd(0x8825)


# --- clean_original ---------------------------------------------------------------------------


def test_a_jpeg_original_is_cleaned_losslessly_with_its_orientation() -> None:
    exif = gps_exif()
    exif[0x0112] = 6
    original = encode(quadrants(320, 240), exif=exif, comment=b"secret")

    data, extension = clean_original(original, **LIMITS)

    assert extension == "jpg"
    assert data == strip_jpeg_metadata(original, orientation=6)


def test_a_rotation_is_added_to_a_jpeg_originals_orientation() -> None:
    original = encode(quadrants(320, 240), exif=orientation_exif(6))

    data, _ = clean_original(original, rotation=90, **LIMITS)

    assert_clean(data, 3)  # a quarter turn clockwise, then another: upside down


def test_a_rotation_that_is_not_a_quarter_turn_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="rotation"):
        clean_original(encode(quadrants(64, 48)), rotation=100, **LIMITS)


def test_a_webp_original_becomes_a_png_turned_upright_without_its_metadata() -> None:
    picture = quadrants(64, 48)
    original = encode(
        picture, "WEBP", lossless=True, exif=orientation_exif(6), xmp=b"<x:xmpmeta>secret"
    )

    data, extension = clean_original(original, **LIMITS)

    assert extension == "png"
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG"
        assert im.size == (48, 64)
        assert im.tobytes() == picture.transpose(Image.Transpose.ROTATE_270).tobytes()
        assert not {"exif", "xmp", "XML:com.adobe.xmp"} & set(im.info)
    assert b"secret" not in data


def test_a_png_original_keeps_its_profile_and_alpha_and_loses_its_text() -> None:
    picture = quadrants(64, 48).convert("RGBA")
    picture.putalpha(Image.linear_gradient("L").resize((64, 48)))
    text = PngInfo()
    text.add_text("Author", "Jane Rider, 12 rue Secrète")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encode(picture, "PNG", pnginfo=text, icc_profile=icc, exif=orientation_exif(8))

    data, extension = clean_original(original, **LIMITS)

    assert extension == "png"
    assert b"Jane Rider" not in data
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "RGBA"
        assert im.info.get("icc_profile") == icc
        assert "exif" not in im.info
        assert im.tobytes() == picture.transpose(Image.Transpose.ROTATE_90).tobytes()


def test_a_16_bit_png_original_becomes_8_bit() -> None:
    original = encode(Image.new("I;16", (64, 48), 65535), "PNG")

    data, _ = clean_original(original, **LIMITS)

    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "L"
        assert im.getextrema() == (255, 255)


@pytest.mark.parametrize(
    ("limits", "code"),
    [({"max_bytes": 100}, "too_large"), ({"max_pixels": 320 * 240 - 1}, "too_many_pixels")],
)
def test_an_original_over_the_limits_is_refused(limits: dict[str, int], code: str) -> None:
    with pytest.raises(ImageDecodeError) as caught:
        clean_original(encode(quadrants(320, 240)), **{**LIMITS, **limits})
    assert caught.value.code == code


def test_an_original_that_is_not_an_image_is_refused() -> None:
    with pytest.raises(ImageDecodeError):
        clean_original(b"GIF89a" + b"\x00" * 100, **LIMITS)


@shared
def test_a_real_heic_becomes_a_png_with_its_display_p3_profile() -> None:
    original = (SHARED_PHOTOS / "heic_iphone8plus_arrow_exif-orient6_irot.heic").read_bytes()
    with Image.open(io.BytesIO(original)) as im:
        icc = im.info["icc_profile"]
        size = im.size

    data, extension = clean_original(original, **LIMITS)

    assert extension == "png"
    with Image.open(io.BytesIO(data)) as im:
        # libheif has applied irot already: not turned a second time from the EXIF tag.
        assert im.size == size == (3024, 4032)
        assert im.info.get("icc_profile") == icc
        assert "exif" not in im.info
    assert b"Apple" not in data
    assert b"iPhone" not in data


# --- print_crop -------------------------------------------------------------------------------


def test_the_print_crop_is_exactly_the_formats_size_at_the_ppi() -> None:
    image = quadrants(2000, 3000)

    out = print_crop(image, Box(100.5, 200.25, 1400.0, 2880.0), DL, ppi=300)

    assert out.size == DL.pixels_at(300) == (1240, 2551)
    assert out.mode == "RGB"
    assert out.info == {}


def test_the_print_crop_takes_the_box_and_nothing_else() -> None:
    image = quadrants(800, 600)
    green = Box(420.0, 20.0, 360.0, 260.0)

    out = print_crop(image, green, A6, ppi=100)

    expected = colour_at(image, 0.75, 0.25)
    for fx, fy in ((0.05, 0.05), (0.5, 0.5), (0.95, 0.95)):
        assert close_to(colour_at(out, fx, fy), expected, 40)


def test_a_box_a_hair_outside_the_picture_is_accepted() -> None:
    out = print_crop(quadrants(400, 300), Box(-1e-9, 0.0, 400.0000001, 300.0), A6, ppi=50)

    assert out.size == A6.pixels_at(50)


def test_a_box_outside_the_picture_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        print_crop(quadrants(400, 300), Box(500.0, 0.0, 100.0, 100.0), A6)


# --- encode_print_jpeg ------------------------------------------------------------------------


def test_the_print_jpeg_is_quality_95_without_subsampling_with_dpi_and_srgb_only() -> None:
    image = quadrants(620, 1276)
    image.info["comment"] = b"left over from somewhere"
    image.info["exif"] = orientation_exif(6)

    data = encode_print_jpeg(image, ppi=300)

    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        assert im.size == (620, 1276)
        assert JpegImagePlugin.get_sampling(im) == 0  # 4:4:4
        assert im.info["dpi"] == (300, 300)
        assert im.info["icc_profile"] == srgb_icc()
        assert not {"exif", "comment", "xmp", "photoshop"} & set(im.info)
        reference = Image.open(io.BytesIO(encode(quadrants(8, 8), quality=95)))
        assert im.quantization == reference.quantization
    assert "sRGB" in ImageCms.getProfileDescription(
        ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc()))
    )
    assert [m for m, _ in segments(data) if 0xE0 <= m <= 0xEF] == [0xE0, 0xE2]


# --- to_cmyk_jpeg -----------------------------------------------------------------------------


@cmyk_profile
def test_the_cmyk_jpeg_carries_the_output_profile_and_separates_sensibly() -> None:
    profile = CMYK_PROFILE.read_bytes()
    image = Image.new("RGB", (300, 100), (255, 255, 255))
    image.paste(RED, (100, 0, 200, 100))
    image.paste((0, 0, 0), (200, 0, 300, 100))

    data = to_cmyk_jpeg(image, output_profile=profile, ppi=300)

    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "CMYK"
        assert im.info["icc_profile"] == profile
        assert im.info["dpi"] == (300, 300)
        assert "exif" not in im.info
        white, red, black = (colour_at(im, fx, 0.5) for fx in (1 / 6, 0.5, 5 / 6))
    assert max(white) < 10  # paper: no ink
    cyan, magenta, yellow, _ = red
    assert magenta > 200 and yellow > 200 and cyan < 40
    assert black[3] > 200  # black plate carries the black


@cmyk_profile
def test_a_profile_that_is_not_cmyk_is_refused() -> None:
    with pytest.raises(ValueError, match="CMYK"):
        to_cmyk_jpeg(quadrants(64, 48), output_profile=srgb_icc(), ppi=300)
    with pytest.raises(ValueError, match="ICC"):
        to_cmyk_jpeg(quadrants(64, 48), output_profile=b"not a profile", ppi=300)


# --- proof_pdf --------------------------------------------------------------------------------


def mm_box(*values_mm: float) -> list[float]:
    return [value * 72 / 25.4 for value in values_mm]


def assert_box(box: object, expected: list[float]) -> None:
    got = [float(v) for v in box]  # type: ignore[attr-defined]
    assert got == pytest.approx(expected, abs=0.01)


def make_proof(fmt: PrintFormat = DL, **kwargs: object) -> tuple[bytes, bytes]:
    jpeg = encode_print_jpeg(
        print_crop(quadrants(600, 1200), Box(0, 0, 600, 1200), fmt, ppi=72), ppi=72
    )
    params: dict[str, object] = {"title": "Guide ligne 12 — été", "credit": "Photo : Zoé R."}
    return jpeg, proof_pdf(jpeg, fmt, **{**params, **kwargs})  # type: ignore[arg-type]


def test_the_proof_has_one_page_with_media_trim_and_bleed_boxes_in_millimetres() -> None:
    _, pdf = make_proof(DL, marks_mm=10.0)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    # DL is 99 x 210 mm, with 3 mm of bleed and 10 mm for the marks on every side.
    assert_box(page.mediabox, mm_box(0, 0, 99 + 26, 210 + 26))
    assert_box(page.bleedbox, mm_box(10, 10, 10 + 105, 10 + 216))
    assert_box(page.trimbox, mm_box(13, 13, 13 + 99, 13 + 210))
    assert page.trimbox.width == pytest.approx(99 * 72 / 25.4, abs=0.01)
    assert page.bleedbox.height == pytest.approx(216 * 72 / 25.4, abs=0.01)


def test_the_print_jpeg_is_embedded_as_it_is_over_the_bleed_box() -> None:
    jpeg, pdf = make_proof(A6, marks_mm=8.0)

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    (image,) = (ref.get_object() for ref in page["/Resources"]["/XObject"].values())
    assert image["/Filter"] == ["/DCTDecode"]
    assert image.get_data() == jpeg  # not decoded, not recompressed
    placed = [
        operands
        for operands, operator in ContentStream(page.get_contents(), None).operations
        if operator == b"cm"
    ]
    width, height = mm_box(A6.bleed_width_mm, A6.bleed_height_mm)
    assert [float(v) for v in placed[-1]] == pytest.approx(
        [width, 0, 0, height, *mm_box(8.0, 8.0)], abs=0.01
    )


def test_the_crop_marks_lie_on_the_trim_lines_outside_the_bleed_in_registration() -> None:
    _, pdf = make_proof(DL, marks_mm=10.0)

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    operations = ContentStream(page.get_contents(), None).operations
    points = [[float(v) for v in operands] for operands, op in operations if op in (b"m", b"l")]
    lines = list(zip(points[::2], points[1::2], strict=True))
    assert len(lines) == 8
    trim_x, trim_y = mm_box(13, 13 + 99), mm_box(13, 13 + 210)
    b_left, b_bottom, b_right, b_top = mm_box(10, 10, 10 + 105, 10 + 216)
    for (x0, y0), (x1, y1) in lines:
        on_vertical_trim = x0 == x1 and any(abs(x0 - x) < 0.01 for x in trim_x)
        on_horizontal_trim = y0 == y1 and any(abs(y0 - y) < 0.01 for y in trim_y)
        assert on_vertical_trim or on_horizontal_trim
        for x, y in ((x0, y0), (x1, y1)):
            assert not (b_left <= x <= b_right and b_bottom <= y <= b_top), "mark on the bleed"
    colour_spaces = page["/Resources"]["/ColorSpace"]
    (separation,) = (ref.get_object() for ref in colour_spaces.values())
    assert separation[:2] == ["/Separation", "/All"]


def test_the_slug_gives_the_title_and_the_credit() -> None:
    _, pdf = make_proof(A6)

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Guide ligne 12 — été" in text
    assert "Photo : Zoé R." in text


def test_the_slug_font_is_embedded_and_has_the_arrows_titles_use() -> None:
    _, pdf = make_proof(A6, title="Ligne 2 — Gare Sud ⇄ Campus")

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert "Gare Sud ⇄ Campus" in page.extract_text()
    fonts = [ref.get_object() for ref in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:  # no standard font that a print workflow would flag as not embedded
        assert "DejaVuSans-Bold" in font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_a_long_title_is_cut_short_in_the_slug_but_the_credit_is_kept() -> None:
    _, pdf = make_proof(A6, title="Un titre très long " * 20)

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    text = page.extract_text().strip()
    assert text.startswith("Un titre très long")
    assert text.endswith("… — Photo : Zoé R.")
    shown = [
        op for op, name in ContentStream(page.get_contents(), None).operations if name == b"Tj"
    ]
    (slug,) = shown
    width = stringWidth(str(slug[0]), "DejaVuSans-Bold", 4.0)
    assert width <= (A6.trim_width_mm - 4) * 72 / 25.4  # between the bottom crop marks


def test_the_same_inputs_make_the_same_proof() -> None:
    assert make_proof(A6)[1] == make_proof(A6)[1]


def test_marks_too_narrow_for_crop_marks_are_refused() -> None:
    with pytest.raises(ValueError, match="marks_mm"):
        make_proof(A6, marks_mm=2.0)


@cmyk_profile
def test_a_cmyk_print_jpeg_goes_into_the_proof_as_cmyk() -> None:
    image = print_crop(quadrants(600, 1200), Box(0, 0, 600, 1200), A6, ppi=72)
    jpeg = to_cmyk_jpeg(image, output_profile=CMYK_PROFILE.read_bytes(), ppi=72)

    pdf = proof_pdf(jpeg, A6, title="t", credit="c")

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    (image_object,) = (ref.get_object() for ref in page["/Resources"]["/XObject"].values())
    assert image_object["/ColorSpace"] == "/DeviceCMYK"
    assert image_object.get_data() == jpeg


# --- crop_json --------------------------------------------------------------------------------


def test_the_crop_json_gives_pixels_fractions_format_and_effective_ppi() -> None:
    crop = FracBox(0.25, 0.1, 0.5, 0.5 * 4000 / 3000 * 105 / 216)

    data = json.loads(json.dumps(crop_json(crop, shown=(4000, 3000), fmt=DL, ppi=300)))

    assert data["photo"] == {"width": 4000, "height": 3000}
    assert data["crop_px"]["left"] == 1000.0
    assert data["crop_px"]["top"] == 300.0
    assert data["crop_px"]["width"] == 2000.0
    assert data["crop_fraction"] == crop.as_dict()
    assert data["format"] == {"trim_mm": [99.0, 210.0], "bleed_mm": 3.0, "safe_mm": 5.0}
    assert data["print_px"] == [1240, 2551]
    assert data["effective_ppi"] == pytest.approx(2000 / (105 / 25.4), abs=0.1)
    assert data["readiness"] == "good"


def test_exif_transpose_agrees_with_the_cleaned_jpeg_orientation() -> None:
    original = encode(quadrants(64, 48), exif=orientation_exif(5))

    cleaned = strip_jpeg_metadata(original, orientation=5)

    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(cleaned)) as b:
        assert ImageOps.exif_transpose(a).tobytes() == ImageOps.exif_transpose(b).tobytes()
