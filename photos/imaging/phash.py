"""The perceptual hash of a photo, for spotting the same picture sent twice."""

from __future__ import annotations

import imagehash
from PIL import Image, ImageCms

from photos.imaging.colour import to_srgb
from photos.imaging.exif import upright

HASH_SIDE = 256
"""The long side, in pixels, the hash is made from at least (so decodes never go below)."""


def perceptual_hash(
    work: Image.Image, orientation: int, transform: ImageCms.ImageCmsTransform | None
) -> str:
    """The 16-hex-digit phash of decoded pixels, shown upright and in sRGB.

    `work` is the decoded photo as `colour.flatten` gives it, `transform` what
    `colour.srgb_transform` made for it.
    """
    small = work.reduce(max(1, max(work.size) // HASH_SIDE))
    return str(imagehash.phash(upright(to_srgb(small, transform), orientation)))
