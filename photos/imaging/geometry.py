"""Sizes and boxes, as plain numbers: no pixels here.

"Stored" is the size of the pixels in the file, "shown" the size once the EXIF orientation
is applied: orientations 5 to 8 swap width and height. Sizes are (width, height).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypeVar

_N = TypeVar("_N", int, float)


def shown_size(stored: tuple[_N, _N], orientation: int) -> tuple[_N, _N]:
    """The size the stored pixels are shown at under an EXIF orientation (1 to 8)."""
    return (stored[1], stored[0]) if orientation >= 5 else stored


def stored_size(shown: tuple[_N, _N], orientation: int) -> tuple[_N, _N]:
    """The stored size that is shown as `shown` under an EXIF orientation (1 to 8)."""
    return (shown[1], shown[0]) if orientation >= 5 else shown


def contain_size(shown: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """Fits inside box keeping the aspect ratio; never upscales."""
    width, height = shown
    box_w, box_h = box
    if width <= box_w and height <= box_h:
        return shown
    if width * box_h >= height * box_w:
        return box_w, max(1, round(height * box_w / width))
    return max(1, round(width * box_h / height)), box_h


def cover_size(shown: tuple[int, int], size: tuple[int, int]) -> tuple[float, float]:
    """The largest part of a `shown` picture with the aspect ratio of `size`.

    As much as fills `size` without distorting: the full height of a picture wider than
    `size`, else its full width.
    """
    width, height = shown
    out_w, out_h = size
    if width * out_h > height * out_w:
        return height * out_w / out_h, float(height)
    return float(width), width * out_h / out_w


def cover_crop(shown: tuple[int, int], size: tuple[int, int]) -> tuple[float, float, float, float]:
    """The centred box (left, top, right, bottom) of `cover_size`, in `shown` coordinates."""
    crop_w, crop_h = cover_size(shown, size)
    left, top = (shown[0] - crop_w) / 2, (shown[1] - crop_h) / 2
    return (left, top, left + crop_w, top + crop_h)


def decode_scale(
    shown: tuple[int, int], outputs: Iterable[tuple[int, int]], *, min_long_side: int
) -> float:
    """The smallest scale of the picture from which every output size can still be made.

    Never below `min_long_side` on the long side, never above 1.
    """
    width, height = shown
    need = min_long_side / max(width, height)
    for out_w, out_h in outputs:
        need = max(need, out_w / width, out_h / height)
    return min(1.0, need)


def scaled_size(shown: tuple[int, int], scale: float) -> tuple[int, int]:
    """The size at `scale`, rounded up (so never smaller than asked), within 1 and `shown`."""
    # The epsilon keeps 3200 * 0.5 from becoming 1601 through rounding noise, which would
    # cost a whole DCT scaling step.
    return (
        max(1, min(shown[0], math.ceil(shown[0] * scale - 1e-6))),
        max(1, min(shown[1], math.ceil(shown[1] * scale - 1e-6))),
    )
