"""The suggested crop finds a known subject in generated pictures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from covers.crop import saliency, suggest_crop
from covers.geometry import PRESETS, Box, PrintFormat

DL = PrintFormat(*PRESETS["DL"])
A5 = PrintFormat(*PRESETS["A5"])
BACKGROUND = (96, 112, 120)
"""A plain, dull blue-grey: no edges, not skin, chroma far under 60."""
SKIN = (224, 172, 140)
"""A light skin tone: a* about 12, b* about 21, inside libvips' skin box."""


def plain(size: tuple[int, int], rgb: tuple[int, int, int] = BACKGROUND) -> Image.Image:
    return Image.new("RGB", size, rgb)


def with_busy_subject(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    """A plain picture with a saturated, finely checked subject in `box` (l, t, r, b)."""
    pixels = np.array(plain(size))
    left, top, right, bottom = box
    yy, xx = np.mgrid[top:bottom, left:right]
    checks = ((xx // 6 + yy // 6) % 2).astype(bool)
    pixels[top:bottom, left:right] = np.where(checks[..., None], [230, 30, 40], [250, 210, 0])
    return Image.fromarray(pixels)


def with_patches(
    size: tuple[int, int], left_rgb: tuple[int, int, int], right_rgb: tuple[int, int, int]
) -> tuple[Image.Image, tuple[int, int, int, int], tuple[int, int, int, int]]:
    """A dark picture with two equal patches, one near each end, and the patches' boxes."""
    im = plain(size, (40, 40, 40))
    width, height = size
    top, bottom = height // 3, 2 * height // 3
    left_box = (20, top, 20 + width // 6, bottom)
    right_box = (width - 20 - width // 6, top, width - 20, bottom)
    im.paste(left_rgb, left_box)
    im.paste(right_rgb, right_box)
    return im, left_box, right_box


def covers(crop: Box, box: tuple[float, float, float, float]) -> bool:
    left, top, right, bottom = box
    return crop.left <= left and crop.top <= top and crop.right >= right and crop.bottom >= bottom


def test_it_keeps_a_busy_subject_on_the_right_third_in_a_portrait_crop() -> None:
    subject = (660, 200, 860, 420)
    crop = suggest_crop(with_busy_subject((900, 600), subject), DL.aspect)
    assert crop.height == 600
    assert covers(crop, subject)


def test_it_moves_the_crop_left_for_a_subject_on_the_left() -> None:
    subject = (40, 150, 240, 450)
    crop = suggest_crop(with_busy_subject((900, 600), subject), DL.aspect)
    assert covers(crop, subject)
    assert crop.left < 40


def test_it_centres_the_crop_on_a_plain_picture() -> None:
    crop = suggest_crop(plain((900, 600)), DL.aspect)
    assert crop.left == pytest.approx((900 - crop.width) / 2, abs=1.0)
    assert crop.top == 0


def test_it_centres_the_crop_on_an_evenly_busy_picture() -> None:
    im = with_busy_subject((900, 600), (0, 0, 900, 600))
    crop = suggest_crop(im, A5.aspect)
    assert crop.left == pytest.approx((900 - crop.width) / 2, abs=2.0)


def test_it_prefers_a_skin_patch_to_a_grey_one_of_the_same_lightness() -> None:
    # The grey has the skin's L* (about 75): both patches make the same edges, only the
    # skin cue tells them apart.
    im, grey, skin = with_patches((900, 600), (185, 185, 185), SKIN)
    crop = suggest_crop(im, DL.aspect)
    assert covers(crop, skin)
    assert not covers(crop, grey)


def test_it_prefers_a_saturated_patch_to_a_grey_one() -> None:
    im, saturated, grey = with_patches((900, 600), (0, 90, 255), (98, 98, 98))
    crop = suggest_crop(im, DL.aspect)
    assert covers(crop, saturated)
    assert not covers(crop, grey)


def test_it_flags_skin_and_saturation_but_not_a_plain_dull_colour() -> None:
    assert saliency(plain((32, 32), SKIN)).min() > 0
    assert saliency(plain((32, 32), (0, 90, 255))).min() > 0
    assert saliency(plain((32, 32))).max() == 0


def test_it_slides_vertically_for_a_landscape_crop_of_a_portrait_picture() -> None:
    subject = (100, 620, 500, 860)
    crop = suggest_crop(with_busy_subject((600, 900), subject), 1.5)
    assert crop.width == 600
    assert covers(crop, subject)


def test_it_works_on_a_large_rendition_in_its_own_pixels() -> None:
    subject = (1200, 300, 1500, 800)
    crop = suggest_crop(with_busy_subject((1600, 1000), subject), DL.aspect)
    assert crop.height == 1000
    assert covers(crop, subject)


@pytest.mark.parametrize("size", [(900, 600), (600, 900), (1600, 686), (481, 480), (640, 640)])
@pytest.mark.parametrize("aspect", [DL.aspect, A5.aspect, 1.0, 1.5, 3.0])
def test_the_crop_is_the_largest_box_of_the_aspect_inside_the_picture(
    size: tuple[int, int], aspect: float
) -> None:
    rng = np.random.default_rng(sum(size))
    noise = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    crop = suggest_crop(Image.fromarray(noise), aspect)
    assert crop.width / crop.height == pytest.approx(aspect, rel=1e-9)
    assert crop.left >= 0 and crop.top >= 0
    assert crop.right <= size[0] + 1e-6 and crop.bottom <= size[1] + 1e-6
    assert crop.width == pytest.approx(size[0]) or crop.height == pytest.approx(size[1])


def test_it_accepts_pictures_that_are_not_rgb() -> None:
    im = with_busy_subject((900, 600), (660, 200, 860, 420)).convert("RGBA")
    assert covers(suggest_crop(im, DL.aspect), (660, 200, 860, 420))
    assert suggest_crop(im.convert("L"), DL.aspect).height == 600


def test_it_refuses_an_aspect_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="aspect"):
        suggest_crop(plain((90, 60)), 0)
