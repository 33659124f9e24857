"""Benchmark: the gallery's thumbnail in WebP (the project's) against AVIF and a 640 px size.

Run from the project root (about a minute on 2 cores):

    .venv/bin/python bench/thumbs.py                  # the photos in ../shared/data/photos
    .venv/bin/python bench/thumbs.py --photos DIR

For each photo it makes the display-sized picture (1600 px, contain) and from it the thumb
(480 px) and a 640 px candidate, as the worker cascades them, then encodes each size:

- WebP at the project's settings (photos.imaging.encoding: quality 80, method 2): the baseline;
- AVIF (Pillow's libavif) at the lowest quality whose SSIM is at least the WebP's, so the bytes
  are compared at equal visual quality, at encoder speeds 6 (libavif's default) and 8;
- JPEG at the project's settings (the fallback every browser takes).

SSIM: luma (BT.601), 7x7 uniform window, as scikit-image's default (computed with numpy here:
scikit-image is not a dependency). Encode cost is CPU time (user + system) of one encode on one
thread (AVIF max_threads=1; libwebp and libjpeg are single-threaded here). Prints per photo and
the totals with their ratios to the WebP baseline.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, features

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

from photos.imaging import encoding  # noqa: E402 (after the path set-up)
from photos.imaging.decoding import open_image  # noqa: E402 (registers the HEIF opener)

PHOTOS = ROOT.parent / "shared" / "data" / "photos"
SIZES = (480, 640)
AVIF_SPEEDS = (6, 8)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _luma(im: Image.Image) -> np.ndarray:
    rgb = np.asarray(im.convert("RGB"), dtype=np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def _box(a: np.ndarray, w: int = 7) -> np.ndarray:
    """Mean over every w x w window (valid part only), with cumulative sums."""
    c = np.pad(a, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    return (c[w:, w:] - c[:-w, w:] - c[w:, :-w] + c[:-w, :-w]) / (w * w)


def ssim(a: Image.Image, b: Image.Image) -> float:
    x, y = _luma(a), _luma(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _box(x), _box(y)
    n = 49
    # Sample covariances (n - 1), as scikit-image does by default.
    vx = (_box(x * x) - mx * mx) * n / (n - 1)
    vy = (_box(y * y) - my * my) * n / (n - 1)
    cxy = (_box(x * y) - mx * my) * n / (n - 1)
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def _timed(encode: Callable[[Image.Image], bytes], im: Image.Image) -> tuple[bytes, float]:
    start = _cpu()
    data = encode(im)
    return data, _cpu() - start


def _avif(quality: int, speed: int) -> Callable[[Image.Image], bytes]:
    def encode(im: Image.Image) -> bytes:
        out = io.BytesIO()
        im.save(out, "AVIF", quality=quality, speed=speed, max_threads=1, exif=b"", xmp=b"")
        return out.getvalue()

    return encode


@dataclass
class Result:
    bytes: int
    cpu: float
    ssim: float
    quality: int = 0


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def _avif_matching(im: Image.Image, target: float, speed: int) -> Result:
    """The smallest AVIF whose SSIM reaches `target` (bisection over quality)."""
    low, high = 20, 95
    best: Result | None = None
    while low <= high:
        quality = (low + high) // 2
        data, cpu = _timed(_avif(quality, speed), im)
        score = ssim(im, _decoded(data))
        if score >= target:
            best = Result(len(data), cpu, score, quality)
            high = quality - 1
        else:
            low = quality + 1
    if best is None:
        data, cpu = _timed(_avif(95, speed), im)
        best = Result(len(data), cpu, ssim(im, _decoded(data)), 95)
    # The cost of one encode at the chosen quality, measured again on its own.
    _data, best.cpu = _timed(_avif(best.quality, speed), im)
    return best


def _sizes(path: Path) -> dict[int, Image.Image]:
    with open_image(path.open("rb"), ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")) as im:
        im.load()
        upright = ImageOps.exif_transpose(im).convert("RGB")
    display = ImageOps.contain(upright, (1600, 1600), Image.Resampling.LANCZOS)
    return {
        side: ImageOps.contain(display, (side, side), Image.Resampling.LANCZOS) for side in SIZES
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    args = parser.parse_args()
    if not features.check("avif"):
        print("This Pillow has no AVIF encoder (PIL.features.check('avif') is False).")
        return 1
    files = sorted(
        p for p in args.photos.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".heic", ".png"}
    )
    print(
        f"Pillow AVIF (libavif {features.version('avif')}), WebP (libwebp "
        f"{features.version('webp')}) q{encoding.WEBP_QUALITY} m{encoding.WEBP_METHOD}, "
        f"JPEG q{encoding.JPEG_QUALITY}; {len(files)} photos from {args.photos}"
    )
    totals: dict[str, list[float]] = {}

    def add(key: str, r: Result) -> None:
        t = totals.setdefault(key, [0, 0.0, 0.0])
        t[0] += r.bytes
        t[1] += r.cpu
        t[2] += r.ssim

    for path in files:
        for side, im in _sizes(path).items():
            webp, webp_cpu = _timed(encoding.encode_webp, im)
            base = Result(len(webp), webp_cpu, ssim(im, _decoded(webp)))
            jpeg, jpeg_cpu = _timed(encoding.encode_jpeg, im)
            add(f"{side} webp", base)
            add(f"{side} jpeg", Result(len(jpeg), jpeg_cpu, ssim(im, _decoded(jpeg))))
            line = (
                f"{path.name[:38]:38} {im.width:4}x{im.height:<4} webp {base.bytes / 1000:5.1f} kB"
                f" {base.cpu * 1000:4.0f} ms ssim {base.ssim:.4f}"
            )
            for speed in AVIF_SPEEDS:
                avif = _avif_matching(im, base.ssim, speed)
                add(f"{side} avif s{speed}", avif)
                line += (
                    f" | avif s{speed} q{avif.quality} {avif.bytes / 1000:5.1f} kB"
                    f" {avif.cpu * 1000:4.0f} ms"
                )
            print(line, flush=True)

    print("\nTotals over every photo (bytes, CPU time of the encodes, mean SSIM):")
    webp480 = totals["480 webp"]
    for key, (size, cpu, score) in totals.items():
        print(
            f"  {key:12} {size / 1000:7.1f} kB ({size / webp480[0]:4.2f}x the 480 WebP)"
            f" {cpu * 1000:6.0f} ms ({cpu / webp480[1]:5.2f}x) ssim {score / len(files):.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
