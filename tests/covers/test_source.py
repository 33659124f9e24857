"""Decoding an original for print (covers/source.py): pure image code, no database.

Pictures are made by the tests; the real phone photos in /work/shared/data/photos (see
SOURCES.md there) are used when present and skipped otherwise.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, ImageStat

from covers.geometry import FracBox
from covers.source import open_upright, to_stored
from photos.imaging import ImageDecodeError
from photos.imaging.exif import upright
from tests.images import SHARED_PHOTOS

FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
LIMITS = {"formats": FORMATS, "max_bytes": 25 * 1024 * 1024, "max_pixels": 50_000_000}

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)


def quadrants(width: int, height: int) -> Image.Image:
    """Red, green / blue, yellow quadrants: where each lands shows how the picture turned."""
    im = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    im.paste(RED, (0, 0, half_w, half_h))
    im.paste(GREEN, (half_w, 0, width, half_h))
    im.paste(BLUE, (0, half_h, half_w, height))
    im.paste(YELLOW, (half_w, half_h, width, height))
    return im


def encode(im: Image.Image, fmt: str = "JPEG", *, orientation: int = 1, **params: object) -> bytes:
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        params["exif"] = exif.tobytes()
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def colour_at(im: Image.Image, fx: float, fy: float) -> tuple[int, ...]:
    """The mean colour of a small patch around a point given as fractions of the size."""
    x, y = int(im.width * fx), int(im.height * fy)
    patch = im.crop((x - 3, y - 3, x + 4, y + 4))
    return tuple(round(v) for v in ImageStat.Stat(patch).mean)


def close_to(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def corners(im: Image.Image) -> list[tuple[int, ...]]:
    return [
        colour_at(im, fx, fy) for fx, fy in ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))
    ]


# --- boxes from upright to stored pixels ------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_box_on_the_upright_photo_is_the_same_pixels_in_the_stored_one(orientation: int) -> None:
    stored = Image.fromarray(np.arange(7 * 5, dtype=np.int32).reshape(5, 7))  # all different
    shown = upright(stored, orientation)
    box = (1.0, 2.0, 4.0, 5.0) if shown.height > 5 else (2.0, 1.0, 6.0, 4.0)
    cut = stored.crop(tuple(round(v) for v in to_stored(box, shown.size, orientation)))
    expected = shown.crop(tuple(round(v) for v in box))
    assert upright(cut, orientation).tobytes() == expected.tobytes()


# --- upright, colour and crop -----------------------------------------------------------------


@pytest.mark.parametrize("orientation", [1, 3, 6, 8, 5])
def test_it_returns_the_photo_upright_as_exif_transpose_shows_it(orientation: int) -> None:
    data = encode(quadrants(400, 300), orientation=orientation, quality=95)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))

    image, shown = open_upright(io.BytesIO(data), **LIMITS)

    assert image.mode == "RGB"
    assert image.size == shown == expected.size
    for got, want in zip(corners(image), corners(expected), strict=True):
        assert close_to(got, want)


def test_a_rotation_turns_the_photo_clockwise_after_its_own_orientation() -> None:
    data = encode(quadrants(400, 300), orientation=6, quality=95)  # shown 300x400, red top right

    image, shown = open_upright(io.BytesIO(data), rotation=90, **LIMITS)

    assert shown == image.size == (400, 300)
    # Upright the red quadrant is top right; a quarter turn clockwise puts it bottom right.
    assert close_to(colour_at(image, 0.75, 0.75), RED)


@pytest.mark.parametrize("orientation", [1, 6, 7, 3])
def test_a_crop_is_cut_from_the_upright_photo(orientation: int) -> None:
    data = encode(quadrants(800, 600), orientation=orientation, quality=95)
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    crop = FracBox(0.5, 0.0, 0.5, 0.5)  # the top-right quadrant, upright

    image, shown = open_upright(io.BytesIO(data), crop=crop, **LIMITS)

    assert shown == reference.size
    assert image.size == (shown[0] // 2, shown[1] // 2)
    expected = colour_at(reference, 0.75, 0.25)
    assert close_to(colour_at(image, 0.5, 0.5), expected)
    for fx, fy in ((0.1, 0.1), (0.9, 0.9)):  # nothing of the other quadrants comes along
        assert close_to(colour_at(image, fx, fy), expected, 30)


def test_a_crop_that_is_not_on_whole_pixels_is_rounded_outwards() -> None:
    data = encode(quadrants(400, 300), quality=95)

    image, _ = open_upright(io.BytesIO(data), crop=FracBox(0.1001, 0.2001, 0.3, 0.4), **LIMITS)

    assert image.size == (121, 121)  # 40.04..160.04 -> 40..161, 60.03..180.03 -> 60..181


# --- decoding no bigger than needed -----------------------------------------------------------


def test_a_jpeg_is_decoded_at_a_smaller_scale_when_that_keeps_min_size() -> None:
    data = encode(quadrants(4000, 3000), quality=85)

    image, shown = open_upright(io.BytesIO(data), min_size=(900, 600), **LIMITS)

    assert shown == (4000, 3000)
    assert image.size == (1000, 750)  # 1/4: 1/8 would be 500 wide, under 900


def test_the_scale_is_chosen_for_the_crop_not_the_whole_photo() -> None:
    data = encode(quadrants(4000, 3000), orientation=6, quality=85)  # shown 3000x4000
    crop = FracBox(0.25, 0.25, 0.5, 0.5)  # 1500x2000 upright

    image, shown = open_upright(io.BytesIO(data), crop=crop, min_size=(700, 900), **LIMITS)

    assert shown == (3000, 4000)
    # 1/2 gives a 750x1000 crop; 1/4 would give 375x500, under 700x900.
    assert image.size == (750, 1000)


def test_the_crop_keeps_at_least_min_size_when_the_scale_is_tight() -> None:
    data = encode(quadrants(3999, 2999), quality=85)
    crop = FracBox(0.1234, 0.0567, 0.4321, 0.5678)  # 1727.9 x 1702.8 upright
    min_size = (1727 // 4, 1702 // 4)  # a quarter of the crop, give or take a pixel

    image, _ = open_upright(io.BytesIO(data), crop=crop, min_size=min_size, **LIMITS)

    assert image.width >= min_size[0]
    assert image.height >= min_size[1]
    assert image.width < 1727  # scaled all the same


def test_a_photo_smaller_than_min_size_is_not_scaled_up() -> None:
    data = encode(quadrants(400, 300))

    image, shown = open_upright(io.BytesIO(data), min_size=(4000, 3000), **LIMITS)

    assert image.size == shown == (400, 300)


def test_without_min_size_the_photo_is_decoded_at_full_size() -> None:
    data = encode(quadrants(1600, 1200))

    image, _ = open_upright(io.BytesIO(data), **LIMITS)

    assert image.size == (1600, 1200)


# --- colour -----------------------------------------------------------------------------------


def test_transparency_is_flattened_on_white() -> None:
    im = Image.new("RGBA", (200, 100), (0, 0, 255, 255))
    im.paste((0, 0, 0, 0), (100, 0, 200, 100))

    image, _ = open_upright(io.BytesIO(encode(im, "PNG")), **LIMITS)

    assert image.mode == "RGB"
    assert close_to(colour_at(image, 0.25, 0.5), BLUE, 0)
    assert close_to(colour_at(image, 0.75, 0.5), (255, 255, 255), 0)


def test_a_grey_photo_comes_back_as_rgb() -> None:
    image, _ = open_upright(io.BytesIO(encode(Image.new("L", (64, 48), 128))), **LIMITS)

    assert image.mode == "RGB"
    assert close_to(colour_at(image, 0.5, 0.5), (128, 128, 128), 1)


def test_a_cmyk_jpeg_comes_back_as_rgb() -> None:
    cmyk = Image.new("CMYK", (64, 48), (0, 255, 255, 0))  # red ink

    image, _ = open_upright(io.BytesIO(encode(cmyk, quality=95)), **LIMITS)

    assert image.mode == "RGB"
    assert close_to(colour_at(image, 0.5, 0.5), RED, 20)


def test_an_srgb_profile_is_left_alone_and_nothing_of_info_comes_along() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (64, 48), (200, 100, 50)), quality=100, icc_profile=icc)

    image, _ = open_upright(io.BytesIO(data), **LIMITS)

    assert close_to(colour_at(image, 0.5, 0.5), (200, 100, 50), 2)
    assert image.info == {}


# --- refusals ---------------------------------------------------------------------------------


def test_bytes_that_are_not_an_image_raise_image_decode_error() -> None:
    with pytest.raises(ImageDecodeError) as caught:
        open_upright(io.BytesIO(b"not an image at all" * 10), **LIMITS)
    assert caught.value.code == "unsupported_format"


def test_a_truncated_jpeg_raises_image_decode_error() -> None:
    data = encode(quadrants(400, 300))

    with pytest.raises(ImageDecodeError) as caught:
        open_upright(io.BytesIO(data[: len(data) // 2]), **LIMITS)
    assert caught.value.code == "corrupt"


def test_a_photo_over_the_pixel_limit_is_refused_before_decoding() -> None:
    data = encode(quadrants(400, 300))

    with pytest.raises(ImageDecodeError) as caught:
        open_upright(io.BytesIO(data), **{**LIMITS, "max_pixels": 400 * 300 - 1})
    assert caught.value.code == "too_many_pixels"


def test_a_file_over_the_byte_limit_is_refused() -> None:
    data = encode(quadrants(400, 300))

    with pytest.raises(ImageDecodeError) as caught:
        open_upright(io.BytesIO(data), **{**LIMITS, "max_bytes": len(data) - 1})
    assert caught.value.code == "too_large"


def test_a_format_not_allowed_is_refused() -> None:
    data = encode(quadrants(400, 300), "PNG")

    with pytest.raises(ImageDecodeError):
        open_upright(io.BytesIO(data), **{**LIMITS, "formats": ("JPEG",)})


# --- the real phone photos --------------------------------------------------------------------

shared = pytest.mark.skipif(
    not SHARED_PHOTOS.is_dir(), reason=f"the real phone photos are not in {SHARED_PHOTOS}"
)


@shared
def test_a_real_orientation_6_photo_comes_back_upright_and_scaled() -> None:
    path = SHARED_PHOTOS / "jpeg_pixel-hdrplus_orient6_extended-xmp_icc.jpg"
    with Image.open(path) as opened:
        reference = ImageOps.exif_transpose(opened).reduce(4)

    with path.open("rb") as fp:
        image, shown = open_upright(fp, min_size=(700, 1000), **LIMITS)

    assert shown == (3024, 4032)
    assert image.size == (756, 1008)
    diff = np.abs(np.asarray(image, np.int16) - np.asarray(reference.convert("RGB"), np.int16))
    assert diff.mean() < 6  # the same picture, the same way up


@shared
def test_a_real_heic_is_not_turned_a_second_time_and_leaves_display_p3() -> None:
    path = SHARED_PHOTOS / "heic_iphone11promax_gps.heic"
    with Image.open(path) as opened:
        assert b"P3" in opened.info["icc_profile"] or b"Display" in opened.info["icc_profile"]
        plain = opened.convert("RGB")

    with path.open("rb") as fp:
        image, shown = open_upright(fp, crop=FracBox(0.4, 0.4, 0.2, 0.2), **LIMITS)

    assert shown == (2566, 3313)
    expected = plain.crop((1026, 1325, 1540, 1988))
    assert image.size == expected.size
    # Display P3 to sRGB moves saturated colours: the pixels differ from a plain convert.
    diff = np.abs(np.asarray(image, np.int16) - np.asarray(expected, np.int16))
    assert 0.5 < diff.mean() < 20


@shared
def test_a_real_iphone_mpo_opens_as_its_first_frame() -> None:
    with (SHARED_PHOTOS / "jpeg_iphone13mini_hdr-gainmap_mpo.jpg").open("rb") as fp:
        image, shown = open_upright(fp, **LIMITS)

    assert image.size == shown == (384, 512)
    assert image.mode == "RGB"


def test_a_rotation_that_is_not_a_quarter_turn_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="rotation"):
        open_upright(io.BytesIO(encode(quadrants(64, 48))), rotation=45, **LIMITS)
