"""What a photo's metadata says: EXIF orientation (and turning pixels by it), GPS, date taken.

Orientations are EXIF tag values, 1 to 8. Broken metadata never sinks a photo whose pixels
are fine: every reader here falls back to "nothing said".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from PIL import ExifTags, Image

from photos.imaging.decoding import FILE_FAULTS

EXIF_FAULTS = (*FILE_FAULTS, KeyError, TypeError)

TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""The transpose that shows stored pixels upright, for each EXIF orientation but 1."""


def read_exif(im: Image.Image) -> Image.Exif:
    """The image's EXIF, empty when there is none or it cannot be read."""
    # Broken metadata must not sink a photo whose pixels are fine.
    try:
        return im.getexif()
    except EXIF_FAULTS:
        return Image.Exif()


def header_exif(im: Image.Image) -> Image.Exif:
    """The EXIF found while reading the header, without decoding anything (for PNG)."""
    exif = Image.Exif()
    raw = im.info.get("exif")
    if isinstance(raw, bytes):
        try:
            exif.load(raw)
        except EXIF_FAULTS:
            return Image.Exif()
    return exif


def orientation_of(exif: Image.Exif) -> int:
    """The EXIF orientation tag, 1 (as stored) when absent or out of range."""
    try:
        value = int(exif.get(ExifTags.Base.Orientation, 1))
    except EXIF_FAULTS:
        return 1
    return value if 1 <= value <= 8 else 1


def applied_orientation(fmt: str, tag: int) -> int:
    """The orientation still to apply to pixels Pillow decoded from a `fmt` file."""
    # libheif has already applied the HEIF irot/imir boxes (pillow-heif then reports 1), and
    # the HEIF spec makes those, not EXIF, authoritative: never rotate a HEIF a second time.
    # Pillow's AVIF plugin does the opposite: it turns irot/imir into the EXIF tag.
    return 1 if fmt == "HEIF" else tag


def with_rotation(orientation: int, rotation: int) -> int:
    """The EXIF orientation equal to `orientation` followed by a clockwise turn."""
    if rotation % 360 not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be a multiple of 90, not {rotation}")
    return _ROTATED[(orientation if orientation in TRANSPOSE else 1, rotation % 360)]


def upright(im: Image.Image, orientation: int) -> Image.Image:
    """The stored pixels turned as `orientation` says (the same image for orientation 1)."""
    return im.transpose(TRANSPOSE[orientation]) if orientation in TRANSPOSE else im


def _rotation_table() -> dict[tuple[int, int], int]:
    # Found by experiment on a 3x2 image whose pixels are all different: composing the
    # dihedral transforms by hand is where off-by-one-turn bugs hide.
    probe = Image.new("L", (3, 2))
    probe.putdata(list(range(6)))

    def apply(orientation: int) -> bytes:
        im = upright(probe, orientation)
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
        shown = upright(probe, orientation)
        for degrees, turn in turns.items():
            turned = shown.transpose(turn) if turn is not None else shown
            table[(orientation, degrees)] = outcomes[turned.tobytes() + bytes(turned.size)]
    return table


_ROTATED = _rotation_table()


def had_gps(exif: Image.Exif, info: dict[str | tuple[int, int], object]) -> bool:
    """Whether the EXIF GPS block or the XMP (from the image's `info`) held a position."""
    try:
        if exif.get_ifd(ExifTags.IFD.GPSInfo):
            return True
    except EXIF_FAULTS:
        pass
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    return isinstance(xmp, bytes) and b"GPSLatitude" in xmp


_EXIF_DATETIME = re.compile(r"\s*(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_EXIF_OFFSET = re.compile(r"\s*([+-])(\d\d):?(\d\d)\s*$")


def taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal (else DateTime), aware only when the file states its UTC offset."""
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        candidates = (
            (sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)),
            (exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime)),
        )
    except EXIF_FAULTS:
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
