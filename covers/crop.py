"""A suggested crop: where the eye goes, found the way libvips' "attention" smartcrop does.

Each pixel of a small copy of the photo gets a saliency score, the sum of three cues
(libvips `smartcrop.c`, `vips_smartcrop_attention`):

* edges: |Gx| + |Gy| of a Sobel filter on CIE lightness L* (0 to 100);
* skin: 255 where a* is 3 to 22 and b* is 4 to 31 (the skin tones libvips trained on the
  Humanae portraits) and L* is at least 15;
* saturation: 255 where the CIE LCh chroma is over 60.

The crop is the largest box of the cover's aspect (the full height of a landscape photo for a
portrait cover), slid along its one free axis to the position whose window holds the most
saliency: the window sums come from the cumulative sum of the per-column (or per-row) totals,
one pass over the pixels. Where libvips blurs the map and centres the crop on the single
brightest point, summing the window keeps a large, spread-out subject whole.

Faces are not weighed apart from the skin cue: no maintained detector fits the stack. Measured
(2026-12) on the real sample photos at 480 px: opencv-python-headless 5.x no longer ships Haar
cascades and its YuNet detector needs a model file that is not on PyPI; 4.14 is a 62 MB wheel
(162 MB installed), imports in 0.12 to 0.24 s and takes 50 to 81 ms per photo on one core
against 8 to 10 ms for this whole suggestion; its frontal cascade found the one real face
(Grace Hopper) but also three faces in rocks and gravel, which would pull the crop there.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from covers.geometry import Box, largest_box
from covers.legibility import FloatArray, lightness, linearise, sobel

ANALYSIS_SIDE = 512
"""The saliency map is computed on a copy at most this long: the crop is placed to within a
fifth of a percent, plenty for a suggestion a person then adjusts, at a fraction of the cost."""
SKIN_A = (3.0, 22.0)
SKIN_B = (4.0, 31.0)
SKIN_MIN_L = 15.0
"""libvips' skin box in CIELAB; under L* 15 colour is noise and the face is in shadow."""
SATURATED_CHROMA = 60.0
"""libvips' threshold: more colourful than most skies and walls, as paint, signs, flowers are."""
FLAG_SCORE = 255.0
"""libvips adds its skin and saturation masks as 0/255 images: a skin or saturated pixel
weighs about as much as a strong edge (|Gx| + |Gy| of a 64 L* step)."""
TIE_SHARE = 0.02
"""Positions within 2 % of the best window are as good as it: the crop goes to the middle of
their run, so a subject narrower than the crop ends up in its middle, and a plain or evenly
busy photo is cut in its centre."""

_SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]],
    dtype=np.float32,
)
_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float32)


def suggest_crop(image: Image.Image, aspect: float) -> Box:
    """The suggested crop of `image` (a small upright rendition) with `aspect` (width /
    height), in that image's pixels: the largest such box, placed where the saliency is."""
    if aspect <= 0:
        raise ValueError(f"aspect must be positive, not {aspect}")
    width, height = image.size
    box = largest_box((width, height), aspect)
    slack_x, slack_y = width - box.width, height - box.height
    # Only one axis is free: the largest box already spans the other one.
    if max(slack_x, slack_y) < 1.0:
        return box
    horizontal = slack_x >= slack_y
    small = _analysis_image(image)
    scores = saliency(small)
    profile = scores.sum(axis=0 if horizontal else 1, dtype=np.float64)
    scale = small.width / width if horizontal else small.height / height
    extent = box.width if horizontal else box.height
    share = _best_window(profile, extent * scale)
    if horizontal:
        return Box(share * slack_x, box.top, box.width, box.height)
    return Box(box.left, share * slack_y, box.width, box.height)


def saliency(image: Image.Image) -> FloatArray:
    """The saliency map (H, W) of an RGB image: edges + skin + saturation (module docstring)."""
    lab = _lab(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)
    lum, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    edges = _sobel_l1(lum)
    skin = (
        (a >= SKIN_A[0])
        & (a <= SKIN_A[1])
        & (b >= SKIN_B[0])
        & (b <= SKIN_B[1])
        & (lum >= SKIN_MIN_L)
    )
    saturated = np.hypot(a, b) > SATURATED_CHROMA
    return np.asarray(edges + FLAG_SCORE * (skin.astype(np.float32) + saturated), dtype=np.float32)


def _analysis_image(image: Image.Image) -> Image.Image:
    long_side = max(image.size)
    if long_side <= ANALYSIS_SIDE:
        return image
    factor = ANALYSIS_SIDE / long_side
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    # BOX averages every source pixel once: the cheapest honest reduction.
    return image.resize(size, Image.Resampling.BOX)


def _best_window(profile: NDArray[np.float64], window: float) -> float:
    """Where (0 = first position, 1 = last) a window `window` long holds the most of
    `profile`: the middle of the run of near-best positions around the best one."""
    length = len(profile)
    span = min(length, max(1, round(window)))
    positions = length - span
    if positions <= 0:
        return 0.5
    cumulative = np.concatenate(([0.0], np.cumsum(profile)))
    sums = cumulative[span:] - cumulative[:-span]
    best = int(np.argmax(sums))
    near = sums >= sums[best] - TIE_SHARE * abs(sums[best])
    # The run of near-best positions is where the subject fits whole: its middle centres the
    # subject, and for a plain picture (one run end to end) it is the centre.
    first = best - int(np.argmin(near[best::-1])) + 1 if not near[: best + 1].all() else 0
    last = best + int(np.argmin(near[best:])) - 1 if not near[best:].all() else positions
    return (first + last) / 2 / positions


def _lab(srgb: FloatArray) -> FloatArray:
    """CIELAB (D65) of sRGB-encoded pixels (..., 3) in 0 to 1."""
    xyz = (linearise(srgb) @ _SRGB_TO_XYZ.T) / _D65
    fx, fy, fz = (_lab_f(xyz[..., i]) for i in range(3))
    lum = lightness(xyz[..., 1])
    return np.stack([lum, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def _lab_f(t: FloatArray) -> FloatArray:
    return np.asarray((lightness(t) + 16.0) / 116.0, dtype=np.float32)


def _sobel_l1(channel: FloatArray) -> FloatArray:
    """|Gx| + |Gy|, as libvips adds its two Sobel convolutions."""
    gx, gy = sobel(channel)
    return np.asarray(np.abs(gx) + np.abs(gy), dtype=np.float32)
