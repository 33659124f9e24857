"""Upload checks, metadata and renditions for contest photos: pure Pillow, no Django.

Two entry points. `inspect_upload` runs in the request: cheap checks that refuse a bad file
before anything is stored. `process_image` runs in the worker: one decode, then every
rendition and the metadata. Renditions are new images made from decoded pixels, so nothing
from the original (EXIF, GPS, XMP, IPTC, ICC, comments, text chunks, trailing bytes) leaks
into a public file.

Modules: `inspection` (upload checks), `pipeline` (renditions and metadata), and the parts
other image work reuses: `decoding` (opening a file with the accepted decoders), `exif`
(orientation, GPS, date taken), `colour` (8-bit on white, ICC to sRGB), `geometry` (sizes
and crops as numbers), `encoding` (JPEG and WebP settings), `phash`.
"""

import pillow_heif

from photos.imaging.decoding import ImageDecodeError, Readable
from photos.imaging.inspection import (
    ImageRejected,
    UploadInfo,
    UploadPolicy,
    inspect_upload,
    sha256_of,
)
from photos.imaging.pipeline import (
    BROWSER_FORMATS,
    RENDITION_SPECS,
    SOCIAL_SPECS,
    PhotoMetadata,
    ProcessResult,
    RenderedFile,
    RenditionSpec,
    full_size_jpeg,
    process_image,
)

__all__ = [
    "BROWSER_FORMATS",
    "RENDITION_SPECS",
    "SOCIAL_SPECS",
    "ImageDecodeError",
    "ImageRejected",
    "PhotoMetadata",
    "ProcessResult",
    "Readable",
    "RenderedFile",
    "RenditionSpec",
    "UploadInfo",
    "UploadPolicy",
    "full_size_jpeg",
    "inspect_upload",
    "process_image",
    "sha256_of",
]

# HEIC/HEIF comes from pillow-heif. AVIF is decoded by Pillow itself (its wheels bundle
# libavif since 11.3); pillow-heif 1.x no longer reads AVIF.
pillow_heif.register_heif_opener()
