"""Real image files made by the tests, as bytes or Django uploads."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

SHARED_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"


def photo_bytes(
    width: int = 800,
    height: int = 600,
    *,
    fmt: str = "JPEG",
    seed: int = 0,
    exif: Image.Exif | None = None,
) -> bytes:
    """A small photo-like picture; a different seed gives a visibly different picture."""
    image = Image.new("RGB", (width, height), ((seed * 70) % 256, 120, 200 - (seed * 40) % 200))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        x = (seed * 97 + i * 131) % width
        y = (seed * 53 + i * 71) % height
        draw.ellipse(
            (x - 60, y - 40, x + 60, y + 40), fill=((i * 40) % 256, 255 - seed % 256, i * 30)
        )
    draw.rectangle((0, 0, width // 4, height // 4), fill=(255, 0, 0))
    out = io.BytesIO()
    kwargs: dict[str, object] = {}
    if exif is not None:
        kwargs["exif"] = exif
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(
    name: str = "photo.jpg", data: bytes | None = None, **kwargs: object
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else photo_bytes(**kwargs))  # type: ignore[arg-type]


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    return exif
