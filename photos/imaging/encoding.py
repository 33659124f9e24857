"""Writing renditions: the JPEG and WebP encoders and their settings, with no metadata."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image

# Encoder settings, measured on 1600 px renditions of the real phone photos (Pillow 13,
# libwebp 1.6, libjpeg-turbo 3.2). WebP method 2 instead of libwebp's default 4: 2.3-2.8x
# faster to encode for 4-6 % more bytes at the same quality setting (PSNR within 0.4 dB);
# method 3 costs as much as 4, methods 0-1 cost up to 60 % more bytes. JPEG is only the
# fallback for browsers without WebP: baseline with optimised Huffman tables, because
# progressive costs 5x the encoding time (22 ms at 1600 px) to save about 4 %.
JPEG_QUALITY = 82
WEBP_QUALITY = 80
WEBP_METHOD = 2
# Threads encoding beside the resizing in process_image, which reads this at each call (the
# benchmark sets it); 0 encodes in the calling thread.
ENCODER_THREADS = 2


def encode_jpeg(im: Image.Image) -> bytes:
    """A baseline JPEG at JPEG_QUALITY with optimised Huffman tables and no EXIF."""
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=b"")
    return out.getvalue()


def encode_webp(im: Image.Image) -> bytes:
    """A lossy WebP at WEBP_QUALITY and WEBP_METHOD with no EXIF or XMP."""
    out = io.BytesIO()
    im.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, exif=b"", xmp=b"")
    return out.getvalue()


ENCODERS: dict[str, Callable[[Image.Image], bytes]] = {"jpeg": encode_jpeg, "webp": encode_webp}
"""The encoder for each output format name a RenditionSpec may list."""
