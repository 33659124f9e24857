"""Benchmark: the project's renditions against a naive Pillow pipeline, in the same run.

Run from the project root:

    .venv/bin/python bench/renditions.py            # 5 runs per pipeline and file
    .venv/bin/python bench/renditions.py --repeat 9 --keep /tmp/bench-photos

It makes photo-like test files in a temp folder: a 12 MP JPEG (4000x3000, EXIF orientation 6,
quality 90), and the same picture as HEIC, PNG and WebP. For each file it times
`photos.imaging.process_image` (every rendition in RENDITION_SPECS, plus the metadata) against
the naive way: Image.open, ImageOps.exif_transpose, then for each spec its own LANCZOS resize of
the full image (ImageOps.contain or ImageOps.fit) saved in the same formats and qualities.

The project encodes on one thread beside the resizing (ENCODER_THREADS in
photos.imaging.encoding); the "1 thread" column is the project with everything on the calling
thread, and its ratio is against the naive pipeline: the gain without borrowing a second core.

A third pipeline, "naive, same encoders", is the naive one saving with the project's encoder
settings (WebP method 2 instead of libwebp's default 4): the ratio against it is what decoding
and resizing alone gain.

Every measurement runs in a fresh subprocess, so its peak RSS (ru_maxrss) belongs to that one
pipeline. The subprocess first imports its pipeline and warms it up on a 64 px file of the
same format (lazy imports, codec set-up), notes its RSS, then times one full-size photo.
"delta" is peak RSS minus that RSS after imports: the memory the photo itself cost. The test
files are made in a subprocess too: Linux carries ru_maxrss over fork and exec, so the parent
must stay small. The JPEG is judged
against the targets: at least 3x faster than naive, and at most 100 MB delta. With --keep,
files already in the folder are reused (the 12 MP HEIC takes a while to encode).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

TARGET_RATIO = 3.0
TARGET_DELTA_MB = 100.0


# --- inputs ------------------------------------------------------------------------------


def photo_like(width: int, height: int, *, grain: int) -> object:
    """Smooth colour areas, mid-size detail and sensor-like grain: compresses like a photo."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(2024)

    def blown_up(cells_w: int, cells_h: int, resample: Image.Resampling) -> np.ndarray:
        cells = rng.integers(0, 256, (cells_h, cells_w, 3), dtype=np.uint8)
        return np.asarray(Image.fromarray(cells).resize((width, height), resample), np.int16)

    pixels = blown_up(width // 64, height // 64, Image.Resampling.BICUBIC) * 3 // 4
    pixels += blown_up(width // 8, height // 8, Image.Resampling.BILINEAR) // 4
    if grain:
        pixels += rng.integers(-grain, grain + 1, (height, width, 1), dtype=np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


INPUTS = (  # label, Pillow format, suffix
    ("JPEG 12MP o6", "JPEG", "jpg"),
    ("HEIC 12MP", "HEIF", "heic"),
    ("PNG 12MP", "PNG", "png"),
    ("WebP 12MP", "WEBP", "webp"),
)


def inputs(folder: Path) -> list[tuple[str, Path, Path]]:
    """(label, 12 MP file, 64 px warm-up file of the same format)."""
    return [
        (label, folder / f"photo.{suffix}", folder / f"warm.{suffix}")
        for label, _, suffix in INPUTS
    ]


def make_inputs(folder: Path) -> None:
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6
    grainy = photo_like(4000, 3000, grain=12)
    smooth = photo_like(4000, 3000, grain=2)  # a PNG of camera grain would pass 25 MiB
    params: dict[str, dict[str, object]] = {
        "JPEG": {"quality": 90, "exif": exif.tobytes()},
        "HEIF": {"quality": 85},
        "PNG": {"compress_level": 6},
        "WEBP": {"quality": 90},
    }
    for (_, fmt, _), (_, path, warm) in zip(INPUTS, inputs(folder), strict=True):
        if path.exists() and warm.exists():
            continue
        image = smooth if fmt == "PNG" else grainy
        started = time.perf_counter()
        image.save(path, fmt, **params[fmt])  # type: ignore[attr-defined]
        image.resize((64, 48)).save(warm, fmt, **params[fmt])  # type: ignore[attr-defined]
        print(
            f"  made {path.name}: {path.stat().st_size / 1e6:.1f} MB"
            f" in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )


# --- the two pipelines (run inside the child) ----------------------------------------------


def run_project(path: Path, threads: int | None = None) -> int:
    from photos import imaging
    from photos.imaging import encoding

    if threads is not None:
        encoding.ENCODER_THREADS = threads  # process_image reads it at each call
    # The defaults of the PHOTO_* settings in config/settings.py, without loading Django.
    policy = imaging.UploadPolicy(
        max_bytes=25 * 1024 * 1024,
        max_pixels=50_000_000,
        min_short_side=320,
        formats=("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF"),
    )
    with path.open("rb") as fp:
        result = imaging.process_image(fp, policy=policy)
    return sum(len(file.data) for file in result.files)


def run_naive(path: Path, webp_method: int | None = None) -> int:
    from PIL import Image, ImageOps

    from photos.imaging import RENDITION_SPECS
    from photos.imaging.encoding import JPEG_QUALITY, WEBP_QUALITY

    webp = {"quality": WEBP_QUALITY}
    if webp_method is not None:
        webp["method"] = webp_method

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
    if image.mode != "RGB":
        image = image.convert("RGB")
    total = 0
    for spec in RENDITION_SPECS:
        size = (spec.width, spec.height)
        if spec.fit == "cover":
            out = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        else:
            out = ImageOps.contain(image, size, Image.Resampling.LANCZOS)
        for fmt in spec.formats:
            buffer = io.BytesIO()
            if fmt == "webp":
                out.save(buffer, "WEBP", **webp)
            else:
                out.save(buffer, "JPEG", quality=JPEG_QUALITY, progressive=True)
            total += len(buffer.getvalue())
    return total


def run_naive_same_encoders(path: Path) -> int:
    from photos.imaging.encoding import WEBP_METHOD

    return run_naive(path, WEBP_METHOD)


def run_project_one_thread(path: Path) -> int:
    return run_project(path, threads=0)


PIPELINES = {
    "project": run_project,
    "naive": run_naive,
    "same-enc": run_naive_same_encoders,
    "1-thread": run_project_one_thread,
}


def child(pipeline: str, path: Path, warm: Path) -> None:
    import pillow_heif  # noqa: F401  (both pipelines read HEIC; photos.imaging registers it)

    import photos.imaging  # noqa: F401

    run = PIPELINES[pipeline]
    run(warm)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    written = run(path)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "ms": elapsed * 1000,
                "base_mb": base_kb / 1024,
                "peak_mb": peak_kb / 1024,
                "bytes": written,
            }
        )
    )


def measure(pipeline: str, path: Path, warm: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", pipeline, str(path), str(warm)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- report ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per pipeline and file")
    parser.add_argument("--keep", type=Path, help="make the files in this folder and keep them")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    if args.make:
        make_inputs(args.make)
        return 0

    with tempfile.TemporaryDirectory() as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"test photos in {folder}", file=sys.stderr)
        subprocess.run([sys.executable, __file__, "--make", str(folder)], check=True, cwd=ROOT)
        rows = []
        for label, path, warm in inputs(folder):
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in PIPELINES}
            for _ in range(args.repeat):
                for pipeline in PIPELINES:  # interleaved: drift in machine load hits all
                    runs[pipeline].append(measure(pipeline, path, warm))
            rows.append((label, path.stat().st_size, runs))
            print(f"  measured {label}", file=sys.stderr)

    print()
    print(
        f"photos.imaging.process_image vs naive Pillow: median ms of {args.repeat} runs,"
        " peak RSS MB (delta after imports), each run in a fresh process"
    )
    header = (
        f"{'file':<13} {'MB':>4} | {'project':>7} {'naive':>6} {'ratio':>6} |"
        f" {'same-enc':>8} {'ratio':>6} | {'1 thread':>8} {'ratio':>6} |"
        f" {'project peak':>14} {'naive peak':>13}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for label, size, runs in rows:
        project, naive, same, single = (summary(runs[name]) for name in PIPELINES)
        ratio = naive["ms"] / project["ms"]
        print(
            f"{label:<13} {size / 1e6:>4.1f} | {project['ms']:>7.0f} {naive['ms']:>6.0f}"
            f" {ratio:>5.1f}x | {same['ms']:>8.0f} {same['ms'] / project['ms']:>5.1f}x |"
            f" {single['ms']:>8.0f} {naive['ms'] / single['ms']:>5.1f}x |"
            f" {project['peak_mb']:>5.0f} ({project['delta_mb']:>4.0f})"
            f"   {naive['peak_mb']:>5.0f} ({naive['delta_mb']:>4.0f})"
        )
        if label.startswith("JPEG"):
            verdicts.append(
                (f"JPEG speed-up >= {TARGET_RATIO:.0f}x", ratio >= TARGET_RATIO, f"{ratio:.1f}x")
            )
            verdicts.append(
                (
                    f"JPEG project delta <= {TARGET_DELTA_MB:.0f} MB",
                    project["delta_mb"] <= TARGET_DELTA_MB,
                    f"{project['delta_mb']:.0f} MB (peak RSS {project['peak_mb']:.0f} MB)",
                )
            )
    print()
    for what, ok, value in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {what}: {value}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "ms": statistics.median(run["ms"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
        "delta_mb": max(run["peak_mb"] - run["base_mb"] for run in runs),
    }


if __name__ == "__main__":
    sys.exit(main())
