"""Cover geometry as plain numbers: print formats, crop boxes, effective resolution.

Units: millimetres for print, pixels of the *upright* photo (EXIF orientation and the
moderator's quarter turns applied: `Photo.width` x `Photo.height`) for crops. A crop is
stored as fractions of that size (`FracBox`), so that the same box serves the small
rendition the suggestion is computed on and the original the print file is cut from.

The crop always has the aspect of the trim *plus bleed*: the printer cuts the bleed away,
and what is inside the trim is what the reader sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

MM_PER_INCH = 25.4
PPI_GOOD = 300
"""At or above this the cover prints sharp."""
PPI_MIN = 200
"""Under this a photo is not allowed on a cover; between the two, a warning."""

PRESETS: dict[str, tuple[float, float]] = {
    "DL": (99.0, 210.0),
    "A5": (148.0, 210.0),
    "A6": (105.0, 148.0),
}
"""Trim sizes (width, height) in millimetres of the usual guide formats, portrait."""


class Readiness(StrEnum):
    GOOD = "good"
    WARNING = "warning"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class PrintFormat:
    """A printed cover: trim size, bleed around it and safe margin inside it (mm)."""

    trim_width_mm: float
    trim_height_mm: float
    bleed_mm: float = 3.0
    safe_mm: float = 5.0

    @property
    def bleed_width_mm(self) -> float:
        return self.trim_width_mm + 2 * self.bleed_mm

    @property
    def bleed_height_mm(self) -> float:
        return self.trim_height_mm + 2 * self.bleed_mm

    @property
    def aspect(self) -> float:
        """Width over height of the trim plus bleed: the aspect every crop has."""
        return self.bleed_width_mm / self.bleed_height_mm

    def pixels_at(self, ppi: float) -> tuple[int, int]:
        """The size in pixels of the trim plus bleed at `ppi`."""
        return (
            round(self.bleed_width_mm / MM_PER_INCH * ppi),
            round(self.bleed_height_mm / MM_PER_INCH * ppi),
        )


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle on the cover in millimetres, from the top-left corner of the trim."""

    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in pixels (floats): left, top, width, height."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def centre(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2

    def as_tuple(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom), the order Pillow takes."""
        return (self.left, self.top, self.right, self.bottom)

    def rounded(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in whole pixels, never empty."""
        left, top = round(self.left), round(self.top)
        return (left, top, max(left + 1, round(self.right)), max(top + 1, round(self.bottom)))

    def to_fractions(self, size: tuple[int, int]) -> FracBox:
        width, height = size
        return FracBox(
            self.left / width, self.top / height, self.width / width, self.height / height
        )


@dataclass(frozen=True, slots=True)
class FracBox:
    """A crop as fractions (0 to 1) of the upright photo's width and height: what is stored."""

    left: float
    top: float
    width: float
    height: float

    def to_box(self, size: tuple[int, int]) -> Box:
        width, height = size
        return Box(self.left * width, self.top * height, self.width * width, self.height * height)

    def as_dict(self) -> dict[str, float]:
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}


def largest_box(size: tuple[int, int], aspect: float) -> Box:
    """The largest box of `aspect` (width / height) inside `size`, centred."""
    width, height = size
    if width / height > aspect:
        box_w, box_h = height * aspect, float(height)
    else:
        box_w, box_h = float(width), width / aspect
    return Box((width - box_w) / 2, (height - box_h) / 2, box_w, box_h)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def fit_box(box: Box, size: tuple[int, int], aspect: float) -> Box:
    """`box` made valid: the aspect forced (keeping its centre and area), no larger than
    the largest box, then moved (never shrunk further) to lie inside the picture."""
    largest = largest_box(size, aspect)
    area = max(box.width, 1.0) * max(box.height, 1.0)
    box_w = min(math.sqrt(area * aspect), largest.width)
    box_h = box_w / aspect
    if box_h > largest.height:
        box_h = largest.height
        box_w = box_h * aspect
    centre_x, centre_y = box.centre
    left = _clamp(centre_x - box_w / 2, 0.0, size[0] - box_w)
    top = _clamp(centre_y - box_h / 2, 0.0, size[1] - box_h)
    return Box(left, top, box_w, box_h)


def move_box(box: Box, dx: float, dy: float, size: tuple[int, int]) -> Box:
    """`box` moved by (dx, dy) pixels, stopped at the picture's edges."""
    left = _clamp(box.left + dx, 0.0, size[0] - box.width)
    top = _clamp(box.top + dy, 0.0, size[1] - box.height)
    return Box(left, top, box.width, box.height)


def resize_box(
    box: Box, factor: float, size: tuple[int, int], aspect: float, *, min_width: float = 16.0
) -> Box:
    """`box` scaled by `factor` about its centre, kept between `min_width` wide and the
    largest box, inside the picture, with `aspect`."""
    largest = largest_box(size, aspect)
    box_w = _clamp(box.width * factor, min(min_width, largest.width), largest.width)
    box_h = box_w / aspect
    centre_x, centre_y = box.centre
    return fit_box(Box(centre_x - box_w / 2, centre_y - box_h / 2, box_w, box_h), size, aspect)


MOVE_STEP = 0.05
"""One press of an arrow moves the crop by this share of its own size."""
ZOOM_STEP = 1.1
"""One press of + or − makes the crop this much larger or smaller."""
_MOVES = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def step_box(box: Box, step: str, size: tuple[int, int], aspect: float) -> Box:
    """`box` after one step of the crop editor's buttons or keys: "left", "right", "up",
    "down", "out" (larger), "in" (smaller); any other step leaves it as it is."""
    if step in _MOVES:
        dx, dy = _MOVES[step]
        return move_box(box, dx * box.width * MOVE_STEP, dy * box.height * MOVE_STEP, size)
    if step in ("in", "out"):
        return resize_box(box, 1 / ZOOM_STEP if step == "in" else ZOOM_STEP, size, aspect)
    return box


def effective_ppi(crop_width_px: float, fmt: PrintFormat) -> float:
    """Pixels per inch the crop gives once printed at trim plus bleed width."""
    return crop_width_px / (fmt.bleed_width_mm / MM_PER_INCH)


def readiness(ppi: float) -> Readiness:
    """Good from 300 ppi, a warning from 200, refused below.

    Graded on the whole number shown to people: a DL crop of exactly 1,240 px (what
    `pixels_at(300)` asks for) measures 299.96 ppi and must not be called "under 300".
    """
    shown = round(ppi)
    if shown >= PPI_GOOD:
        return Readiness.GOOD
    if shown >= PPI_MIN:
        return Readiness.WARNING
    return Readiness.REFUSED


def best_ppi(size: tuple[int, int], fmt: PrintFormat) -> float:
    """The highest resolution any crop of this photo can have on this cover."""
    return effective_ppi(largest_box(size, fmt.aspect).width, fmt)


def zone_box(zone: Rect, fmt: PrintFormat, crop: Box) -> Box:
    """Where a zone of the cover (trim millimetres) falls in the photo's pixels."""
    scale = crop.width / fmt.bleed_width_mm
    return Box(
        crop.left + (zone.x_mm + fmt.bleed_mm) * scale,
        crop.top + (zone.y_mm + fmt.bleed_mm) * scale,
        zone.width_mm * scale,
        zone.height_mm * scale,
    )


def zone_on_cover(zone: Rect, fmt: PrintFormat, out_size: tuple[int, int]) -> Box:
    """Where a zone of the cover (trim millimetres) falls on a picture of the whole cover
    (trim plus bleed) `out_size` pixels large."""
    return zone_box(zone, fmt, Box(0.0, 0.0, float(out_size[0]), float(out_size[1])))
