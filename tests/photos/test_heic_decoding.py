"""HEIC decoding with less memory (issues 9 and 12): decoding.load_heif hands libheif's output
to Pillow band by band, cut and reduced on the way. What a rider or a printer sees must not
change: the same pixels as Pillow's own HEIF plugin, the same way up, the same renditions."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from covers.printing import clean_original
from photos.imaging import decoding, pipeline
from photos.imaging.decoding import load_heif, map_big_allocations, open_image, reduce_factor
from photos.imaging.inspection import UploadPolicy
from photos.imaging.pipeline import process_image
from tests.images import SHARED_PHOTOS

FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
POLICY = UploadPolicy(
    max_bytes=30 << 20, max_pixels=60_000_000, min_short_side=320, formats=FORMATS
)
REAL_HEIC = [
    "heic_iphone11promax_gps.heic",
    "heic_iphone13promax_exif-orient6_irot.heic",
    "heic_iphone8plus_arrow_exif-orient6_irot.heic",
]
needs_real_photos = pytest.mark.skipif(
    not SHARED_PHOTOS.is_dir(), reason=f"the real phone photos are not in {SHARED_PHOTOS}"
)


def opened(data: bytes) -> ImageFile.ImageFile:
    return open_image(io.BytesIO(data), FORMATS)


def plugin_decode(data: bytes) -> Image.Image:
    """What Pillow's HEIF plugin (pillow-heif's HeifImageFile.load) decodes."""
    im = opened(data)
    im.load()
    return im


def real(name: str) -> bytes:
    return (SHARED_PHOTOS / name).read_bytes()


def heic(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "HEIF", quality=90)
    return out.getvalue()


@needs_real_photos
@pytest.mark.parametrize("name", REAL_HEIC)
def test_it_decodes_each_real_iphone_heic_to_the_plugins_very_pixels(name: str) -> None:
    data = real(name)
    expected = plugin_decode(data)

    decoded = load_heif(opened(data))

    assert decoded is not None
    assert (decoded.mode, decoded.size) == (expected.mode, expected.size)
    assert decoded.tobytes() == expected.tobytes()
    # The irot box applied once, as the plugin does: the iPhone 13 photo stands upright.
    assert decoded.info.get("icc_profile") == expected.info.get("icc_profile")


@needs_real_photos
@pytest.mark.parametrize("name", REAL_HEIC)
@pytest.mark.parametrize(
    ("factor", "box"),
    [(2, None), (4, None), (8, None), (1, (5, 7, 900, 2999)), (2, (101, 333, 2001, 3001))],
)
def test_it_cuts_and_reduces_exactly_as_pillow_would_on_the_whole_decode(
    name: str, factor: int, box: tuple[int, int, int, int] | None
) -> None:
    data = real(name)
    expected = plugin_decode(data)
    if box is not None:
        expected = expected.crop(box)
    if factor > 1:
        expected = expected.reduce(factor)

    decoded = load_heif(opened(data), factor=factor, box=box)

    assert decoded is not None
    assert decoded.size == expected.size
    assert decoded.tobytes() == expected.tobytes()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_it_keeps_transparency_and_grey_as_the_plugin_does(mode: str) -> None:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (301, 257, len(mode)), dtype=np.uint8)
    data = heic(Image.fromarray(pixels.squeeze(), mode))
    expected = plugin_decode(data)

    decoded = load_heif(opened(data), factor=2, box=(3, 1, 250, 300))

    assert decoded is not None
    assert decoded.mode == expected.mode
    assert decoded.tobytes() == expected.crop((3, 1, 250, 300)).reduce(2).tobytes()


def test_it_reads_a_tall_photo_in_many_bands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoding, "HEIF_BAND_BYTES", 5000)  # a few rows a band
    rng = np.random.default_rng(8)
    data = heic(Image.fromarray(rng.integers(0, 256, (403, 211, 3), dtype=np.uint8)))
    expected = plugin_decode(data)

    for factor in (1, 2, 3):
        decoded = load_heif(opened(data), factor=factor, box=(0, 9, 211, 400))
        assert decoded is not None
        wanted = expected.crop((0, 9, 211, 400))
        assert decoded.tobytes() == (wanted.reduce(factor) if factor > 1 else wanted).tobytes()


def test_it_leaves_other_formats_and_embedded_thumbnails_to_pillow() -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (640, 480), "navy").save(jpeg, "JPEG")
    assert load_heif(opened(jpeg.getvalue())) is None

    im = opened(heic(Image.new("RGB", (640, 480), "navy")))
    im.load()  # already decoded by the plugin: nothing left to read
    assert load_heif(im) is None


def test_it_refuses_a_box_outside_the_photo() -> None:
    with pytest.raises(ValueError, match="not inside"):
        load_heif(opened(heic(Image.new("RGB", (64, 48)))), box=(0, 0, 65, 48))


def test_it_picks_the_same_decode_scale_as_a_jpeg_of_that_size() -> None:
    assert reduce_factor((4032, 3024), (1600, 1200)) == 2  # a 12 MP phone photo
    assert reduce_factor((8064, 6048), (1600, 1200)) == 4  # "HEIF Max", 48 MP
    assert reduce_factor((4032, 3024), (4032, 3024)) == 1  # a print at full resolution
    assert reduce_factor((4032, 3024), (2017, 1)) == 1  # never below what was asked
    assert reduce_factor((40000, 30000), (100, 100)) == 8  # JPEG's smallest DCT scale


@needs_real_photos
def test_the_renditions_of_an_iphone_heic_look_the_same_as_with_the_plugin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = real("heic_iphone13promax_exif-orient6_irot.heic")
    after = process_image(io.BytesIO(data), policy=POLICY)
    monkeypatch.setattr(pipeline, "load_heif", lambda *args, **kwargs: None)
    before = process_image(io.BytesIO(data), policy=POLICY)

    assert after.metadata == before.metadata  # size, phash (upright portrait) included
    assert (after.metadata.width, after.metadata.height) == (3024, 4032)
    for new, old in zip(after.files, before.files, strict=True):
        assert (new.spec, new.format, new.width, new.height) == (
            old.spec, old.format, old.width, old.height,
        )  # fmt: skip
        new_pixels = np.asarray(Image.open(io.BytesIO(new.data)).convert("RGB"), np.float64)
        old_pixels = np.asarray(Image.open(io.BytesIO(old.data)).convert("RGB"), np.float64)
        mse = float(((new_pixels - old_pixels) ** 2).mean())
        # 34.8 to 40 dB after encoding: the very figures of a JPEG of this photo decoded
        # with DCT scaling (draft) against decoded whole, the trade already made for JPEG.
        assert 10 * np.log10(255**2 / max(mse, 1e-9)) > 34


@needs_real_photos
def test_the_printers_copy_of_a_heic_keeps_every_pixel() -> None:
    data = real("heic_iphone8plus_arrow_exif-orient6_irot.heic")

    png, extension = clean_original(
        data, formats=FORMATS, max_bytes=30 << 20, max_pixels=60_000_000
    )

    assert extension == "png"
    with Image.open(io.BytesIO(png)) as printed:
        assert printed.tobytes() == plugin_decode(data).convert("RGB").tobytes()


def test_it_gives_big_freed_images_back_to_the_system_on_glibc() -> None:
    if (
        not Path("/lib/x86_64-linux-gnu/libc.so.6").exists()
        and not Path("/lib/aarch64-linux-gnu/libc.so.6").exists()
    ):
        pytest.skip("not glibc")
    assert map_big_allocations() is True
