"""Colour: any decoded mode to 8-bit pixels on white, embedded ICC profiles to sRGB.

Done in two steps on purpose: `flatten` on the decoded photo (cheap, keeps CMYK and grey as
they are), then `to_srgb` on each image once it is small.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageCms


def flatten(im: Image.Image) -> Image.Image:
    """The image as 8-bit "L", "RGB" or "CMYK", transparency composited on white.

    Returns `im` itself when it already is one of those.
    """
    mode = im.mode
    if mode in ("L", "RGB", "CMYK"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode == "I" or mode.startswith("I;16"):
        # convert("L") would clip 16-bit values at 255 (mid grey turns white); scale instead.
        wide = im if mode == "I" else im.convert("I")
        return wide.point(_sixteen_to_eight(), "L")
    if mode == "F":
        return im.convert("L")
    if mode == "P":
        if not im.has_transparency_data:
            return im.convert("RGB")
        im = im.convert("RGBA")
    elif mode == "PA" or mode == "RGBa":
        im = im.convert("RGBA")
    elif mode == "La":
        im = im.convert("LA")
    if im.mode == "LA":
        white = Image.new("L", im.size, 255)
        white.paste(im.getchannel("L"), mask=im.getchannel("A"))
        return white
    if im.mode == "RGBA":
        white = Image.new("RGB", im.size, (255, 255, 255))
        white.paste(im, mask=im.getchannel("A"))
        return white
    return im.convert("RGB")


@cache
def _sixteen_to_eight() -> list[int]:
    return [(value * 255 + 32767) // 65535 for value in range(65536)]


def srgb_transform(icc: object, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform from the embedded profile to sRGB, or None to convert plainly.

    `icc` is the image's info["icc_profile"] (anything else means none), `mode` that of the
    pixels the transform will get (after `flatten`). None too for an sRGB profile.
    """
    if not isinstance(icc, bytes) or not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return None
        return ImageCms.buildTransform(
            profile, _srgb_profile(), mode, "RGB", ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # An unreadable or mismatched profile (e.g. a grey one on an RGB image): keep the
        # pixels as they are rather than refuse the photo.
        return None


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_srgb(im: Image.Image, transform: ImageCms.ImageCmsTransform | None) -> Image.Image:
    """The image in 8-bit sRGB "RGB": through `transform` if given and it works, else plainly.

    Returns `im` itself when it is "RGB" and there is no transform.
    """
    converted: Image.Image | None = None
    if transform is not None:
        try:
            converted = transform.apply(im)
        except (ImageCms.PyCMSError, ValueError):
            converted = None
    if converted is None:
        converted = im.convert("RGB") if im.mode != "RGB" else im
    return converted
