"""Benchmark: the cover print package (covers.source, covers.printing, covers.mockup) against
naive Pillow, in the same run.

Run from the project root:

    .venv/bin/python bench/covers.py            # 3 runs per pipeline and file
    .venv/bin/python bench/covers.py --repeat 5 --keep /tmp/bench-covers

It makes photo-like files in a temp folder, all stored landscape with EXIF orientation 6 (a
phone held upright), quality 88: JPEGs of 12 MP (4000x3000) and 50 MP (8660x5773, a "50 MP
mode" phone photo), and a 12 MP WebP and HEIC, which have no scaled decode (the whole photo
is decoded before the crop is cut and turned). For each file it times, against a naive
pipeline:

  print   the DL cover's print JPEG at 300 ppi from the default crop (the largest DL box,
          centred): open_upright(min_size=DL at 300 ppi, crop=...) -> print_crop ->
          encode_print_jpeg. Naive: Image.open, ImageOps.exif_transpose (which loads the
          whole photo), crop, LANCZOS resize, the same JPEG settings.
  clean   clean_original: the original without its metadata, losslessly. Naive: the usual
          way to strip metadata, decode and save again (exif_transpose, JPEG quality 95),
          which is lossy.
  mockup  a 900 px wide cover mock-up, as covers/drawing.py makes it: open_upright scaled
          for the crop at 900 px, then render_mockup. Naive: render_mockup on the fully
          decoded, transposed photo. Skipped when covers/mockup.py or its font is missing.

Every measurement runs in a fresh subprocess, so its peak RSS (ru_maxrss) belongs to that one
pipeline. The subprocess imports its pipeline and warms it up on a 64 px file first (lazy
imports, codec set-up), notes its RSS, then times one full-size photo. "delta" is peak RSS
minus that RSS after imports. The test files are made in a subprocess too: Linux carries
ru_maxrss over fork and exec, so the parent must stay small. The verdicts: every project
pipeline on the 50 MP photo stays at or under 400 MB peak RSS (a worker's budget).
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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # the real imports happen in the child, after its RSS baseline
    from PIL import Image

    from covers.geometry import FracBox, PrintFormat
    from covers.mockup import CoverDesign

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, Python puts bench/ first on the path, where this file would shadow the
# covers package: the project root goes in front of it.
sys.path.insert(0, str(ROOT))

TARGET_PEAK_MB = 400.0
MOCKUP_WIDTH = 900
# The defaults of the PHOTO_* settings in config/settings.py, without loading Django; the
# byte limit is raised so that a generated 50 MP file is never refused for its size.
FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
MAX_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000

INPUTS = (  # label, stored size, format
    ("JPEG 12MP o6", (4000, 3000), "JPEG"),
    ("JPEG 50MP o6", (8660, 5773), "JPEG"),
    # No scaled decode for these two: the whole photo is decoded, then cut and turned.
    ("WebP 12MP o6", (4000, 3000), "WEBP"),
    ("HEIC 12MP o6", (4000, 3000), "HEIF"),
)
EXTENSIONS = {"JPEG": "jpg", "WEBP": "webp", "HEIF": "heic"}


# --- inputs ------------------------------------------------------------------------------------


def inputs(folder: Path) -> list[tuple[str, Path, Path]]:
    """(label, photo, 64 px warm-up file of the same format)."""
    return [
        (
            label,
            folder / f"photo-{size[0]}x{size[1]}.{EXTENSIONS[fmt]}",
            folder / f"warm.{EXTENSIONS[fmt]}",
        )
        for label, size, fmt in INPUTS
    ]


def make_inputs(folder: Path) -> None:
    from PIL import Image

    import photos.imaging  # noqa: F401  (registers HEIF)
    from bench.renditions import photo_like

    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"  # something for clean_original to remove
    params: dict[str, object] = {"quality": 88, "exif": exif.tobytes()}
    for (_, size, fmt), (_, path, warm) in zip(INPUTS, inputs(folder), strict=True):
        if path.exists():
            continue
        started = time.perf_counter()
        image = cast("Image.Image", photo_like(*size, grain=8))  # typed `object` there
        extra = {"comment": b"bench"} if fmt == "JPEG" else {}
        image.save(path, fmt, **params, **extra)
        if not warm.exists():
            image.resize((64, 48)).save(warm, fmt, **params, **extra)
        del image
        print(
            f"  made {path.name}: {path.stat().st_size / 1e6:.1f} MB"
            f" in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )


# --- the pipelines (run inside the child) --------------------------------------------------


def _dl() -> PrintFormat:
    from covers.geometry import PRESETS, PrintFormat

    return PrintFormat(*PRESETS["DL"])


def _default_crop(shown: tuple[int, int]) -> FracBox:
    """The crop a guide starts with: the largest DL box, centred, as fractions."""
    from covers.geometry import largest_box

    fmt = _dl()
    return largest_box(shown, fmt.aspect).to_fractions(shown)


def _shown_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    from photos.imaging.exif import orientation_of, read_exif
    from photos.imaging.geometry import shown_size

    with Image.open(path) as im:
        return shown_size(im.size, orientation_of(read_exif(im)))


def run_print(path: Path) -> int:
    from covers.geometry import Box
    from covers.printing import encode_print_jpeg, print_crop
    from covers.source import open_upright

    fmt = _dl()
    crop = _default_crop(_shown_size(path))
    with path.open("rb") as fp:
        image, _shown = open_upright(
            fp,
            formats=FORMATS,
            max_bytes=MAX_BYTES,
            max_pixels=MAX_PIXELS,
            min_size=fmt.pixels_at(300),
            crop=crop,
        )
    out = print_crop(image, Box(0.0, 0.0, float(image.width), float(image.height)), fmt)
    return len(encode_print_jpeg(out, ppi=300))


def run_print_naive(path: Path) -> int:
    from PIL import Image, ImageOps

    from covers.printing import srgb_icc

    fmt = _dl()
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
    box = _default_crop(image.size).to_box(image.size)
    cropped = image.crop(box.rounded())
    out = cropped.resize(fmt.pixels_at(300), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    out.save(buffer, "JPEG", quality=95, subsampling=0, dpi=(300, 300), icc_profile=srgb_icc())
    return len(buffer.getvalue())


def run_clean(path: Path) -> int:
    from covers.printing import clean_original

    data, _extension = clean_original(
        path.read_bytes(), formats=FORMATS, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS
    )
    return len(data)


def run_clean_naive(path: Path) -> int:
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return len(buffer.getvalue())


def _design() -> CoverDesign:
    from covers.geometry import Rect
    from covers.mockup import CoverDesign

    fmt = _dl()
    return CoverDesign(
        fmt=fmt,
        title="Ligne 2 — Gare Sud ⇄ Campus",
        line_label="2",
        title_zone=Rect(0.0, 14.0, fmt.trim_width_mm, 26.0),
        band_rgb=(0, 56, 110),
        band_opacity=0.85,
        text_rgb=(255, 255, 255),
    )


def _jpeg(image: Image.Image) -> int:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True)
    return len(buffer.getvalue())


def run_mockup(path: Path) -> int:
    from covers.mockup import render_mockup
    from covers.source import open_upright

    crop = _default_crop(_shown_size(path))
    # As covers/drawing.py asks: the crop MOCKUP_WIDTH pixels wide once decoded.
    need = max(1, round(MOCKUP_WIDTH / crop.width))
    with path.open("rb") as fp:
        whole, _shown = open_upright(
            fp, formats=FORMATS, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, min_size=(need, 1)
        )
    box = crop.to_box(whole.size)
    return _jpeg(render_mockup(whole, box, _design(), width_px=MOCKUP_WIDTH))


def run_mockup_naive(path: Path) -> int:
    from PIL import Image, ImageOps

    from covers.mockup import render_mockup

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
    box = _default_crop(image.size).to_box(image.size)
    return _jpeg(render_mockup(image, box, _design(), width_px=MOCKUP_WIDTH))


PIPELINES: dict[str, tuple[Callable[[Path], int], Callable[[Path], int]]] = {
    # name: (project, naive)
    "print": (run_print, run_print_naive),
    "clean": (run_clean, run_clean_naive),
    "mockup": (run_mockup, run_mockup_naive),
}


def mockup_available() -> str | None:
    """None when the mock-up can be measured, else why not."""
    if not (ROOT / "covers" / "mockup.py").exists():
        return "covers/mockup.py does not exist yet"
    try:
        from covers.mockup import find_font

        find_font()
    except Exception as exc:  # a half-written module or a missing font: say so, go on
        return f"covers.mockup cannot run: {exc}"
    return None


def child(pipeline: str, side: str, path: Path, warm: Path) -> None:
    import photos.imaging  # noqa: F401  (registers HEIF, as the worker does)

    run = PIPELINES[pipeline][0 if side == "project" else 1]
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


def measure(pipeline: str, side: str, path: Path, warm: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", pipeline, side, str(path), str(warm)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- report ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per pipeline and file")
    parser.add_argument("--keep", type=Path, help="make the files in this folder and keep them")
    parser.add_argument("--only", help="measure only the files whose label starts with this")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]), Path(args.child[3]))
        return 0
    if args.make:
        make_inputs(args.make)
        return 0

    # The check runs in a child too: importing the mock-up (Pillow, fonts) here would raise
    # the parent's RSS, which its children inherit.
    probe = subprocess.run(
        [sys.executable, "-c", "import bench.covers as b; print(b.mockup_available() or '')"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    skipped = probe.stdout.strip()
    pipelines = [name for name in PIPELINES if name != "mockup" or not skipped]

    with tempfile.TemporaryDirectory() as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"test photos in {folder}", file=sys.stderr)
        subprocess.run([sys.executable, __file__, "--make", str(folder)], check=True, cwd=ROOT)
        rows = []
        for label, path, warm in inputs(folder):
            if args.only and not label.startswith(args.only):
                continue
            for pipeline in pipelines:
                runs: dict[str, list[dict[str, float]]] = {"project": [], "naive": []}
                for _ in range(args.repeat):
                    for side in runs:  # interleaved: drift in machine load hits both
                        runs[side].append(measure(pipeline, side, path, warm))
                rows.append((label, path.stat().st_size, pipeline, runs))
                print(f"  measured {label} {pipeline}", file=sys.stderr)

    print()
    print(
        f"covers print package vs naive Pillow: median ms of {args.repeat} runs, peak RSS MB"
        " (delta after imports), each run in a fresh process"
    )
    header = (
        f"{'file':<13} {'MB':>5} {'pipeline':<8} | {'project':>7} {'naive':>7} {'ratio':>6} |"
        f" {'project peak':>14} {'naive peak':>13} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for label, size, pipeline, runs in rows:
        project, naive = summary(runs["project"]), summary(runs["naive"])
        print(
            f"{label:<13} {size / 1e6:>5.1f} {pipeline:<8} | {project['ms']:>7.0f}"
            f" {naive['ms']:>7.0f} {naive['ms'] / project['ms']:>5.1f}x |"
            f" {project['peak_mb']:>5.0f} ({project['delta_mb']:>4.0f})"
            f"   {naive['peak_mb']:>5.0f} ({naive['delta_mb']:>4.0f})"
            f" {naive['peak_mb'] / project['peak_mb']:>5.1f}x"
        )
        if label.startswith("JPEG 50MP"):
            verdicts.append(
                (
                    f"50 MP {pipeline} peak RSS <= {TARGET_PEAK_MB:.0f} MB",
                    project["peak_mb"] <= TARGET_PEAK_MB,
                    f"{project['peak_mb']:.0f} MB (naive {naive['peak_mb']:.0f} MB)",
                )
            )
    if skipped:
        # MOCK-UP: measured above once covers/mockup.py exists and its font is installed.
        print(f"\nmockup not measured: {skipped}")
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
