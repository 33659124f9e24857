"""The covers draw from the original (covers.source) what the crop editor shows from the
display rendition (photos.imaging.pipeline): the same picture the same way up, for every
real phone file, HEIC turned by its irot box and WebP by its EXIF tag included, with and
without a moderator's quarter turn, decoded whole or scaled (a HEIC's embedded thumbnail).
A crop stored as fractions of the upright photo then lands on the same pixels in both."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from covers.source import open_upright
from photos.imaging.inspection import UploadPolicy
from photos.imaging.pipeline import process_image
from tests.images import SHARED_PHOTOS

FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
LIMIT = 30 << 20
PIXELS = 60_000_000
FILES = [
    "heic_iphone11promax_gps.heic",
    "heic_iphone13promax_exif-orient6_irot.heic",
    "heic_iphone8plus_arrow_exif-orient6_irot.heic",
    "webp_hopper_orient6.webp",
    "webp_hopper.webp",
    "jpeg_orient3_landscape.jpg",
    "jpeg_orient5_landscape.jpg",
    "jpeg_orient8_portrait.jpg",
    "jpeg_pixel-hdrplus_orient6_extended-xmp_icc.jpg",
]
TURNS = (
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_180,
    Image.Transpose.ROTATE_270,
    Image.Transpose.FLIP_LEFT_RIGHT,
)

pytestmark = pytest.mark.skipif(
    not SHARED_PHOTOS.is_dir(), reason=f"the real phone photos are not in {SHARED_PHOTOS}"
)


def grey(im: Image.Image) -> NDArray[np.float32]:
    return np.asarray(im.convert("L").resize((32, 32), Image.Resampling.BOX), dtype=np.float32)


def difference(first: Image.Image, second: Image.Image) -> float:
    return float(np.abs(grey(first) - grey(second)).mean())


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("rotation", [0, 90])
def test_the_cover_source_is_the_display_rendition_the_same_way_up(
    name: str, rotation: int
) -> None:
    data = Path(SHARED_PHOTOS / name).read_bytes()
    policy = UploadPolicy(max_bytes=LIMIT, max_pixels=PIXELS, min_short_side=64, formats=FORMATS)
    result = process_image(io.BytesIO(data), policy=policy, rotation=rotation)
    display = next(f for f in result.files if (f.spec, f.format) == ("display", "jpeg"))
    shown = Image.open(io.BytesIO(display.data))

    for min_size in (None, (200, 1)):
        source, size = open_upright(
            io.BytesIO(data),
            formats=FORMATS,
            max_bytes=LIMIT,
            max_pixels=PIXELS,
            rotation=rotation,
            min_size=min_size,
        )
        assert size == (result.metadata.width, result.metadata.height)
        assert source.width / source.height == pytest.approx(shown.width / shown.height, rel=0.01)
        same = difference(shown, source)
        # Square photos too (the WebP): the pixels, not the sizes, tell the way up.
        assert same < 4, f"{name} (turned {rotation}, {min_size}) differs by {same:.1f}"
        assert all(same * 4 < difference(shown, source.transpose(t)) for t in TURNS), name
