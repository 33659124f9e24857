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

The codec floor (issue 16): what the codecs' own command-line tools spend in CPU time on the
same photo for the same rendition set, measured in the same run. For a JPEG, `djpeg -scale
M/8` at the DCT scale the project decodes at, plus, for each rendition file, `cjpeg` or
`cwebp` at the project's settings (quality, optimised Huffman tables, WebP method) from a PPM
of exactly that rendition's pixels; for the HEIC, pillow-heif's decode alone (libheif, the
decoder the project uses) plus the same encodes. Resizing, colour conversion, orientation and
the perceptual hash are left out of the floor on purpose: the floor is what no pipeline can
avoid. The project's figure is its CPU time (user + system, every thread) for the whole
job in one process, with the encoder thread and without. Targets: JPEG <= 1.3x the floor,
HEIC <= 1.2x. Needs Debian's tools (the bench says so and skips the floor without them):

    apt-get install libjpeg-turbo-progs webp

Debian 12 ships libjpeg-turbo 2.1 and libwebp 1.2, older than the ones in Pillow's wheels
(printed): the floor is the codec work itself, not a version race.

HEIC memory (issues 9 and 12), alone:

    .venv/bin/python bench/renditions.py --heic-megapixels 12,24,48 --repeat 2 --keep /tmp/h

takes the real iPhone 13 Pro Max HEIC (shared/data/photos; 12 MP, 512 px tiles, irot) and,
for the other sizes, that photo scaled up and encoded as Apple does (512 px tiles), then
prints for each the peak RSS above imports (VmHWM after a warm-up, as libheif allocates in C)
of the renditions, the cover print file, the mock-up and the printer's clean copy, with
Pillow's HEIF plugin decode (before) and with decoding.load_heif (after), in the same run.
Then one process makes the renditions of 20 of those photos in turn (--heic-sequence), with
glibc's default heap, MALLOC_ARENA_MAX=2, and decoding.map_big_allocations (as photos.apps
sets it), printing its RSS between photos: what a long-lived worker keeps.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

TARGET_RATIO = 3.0
TARGET_DELTA_MB = 100.0
TARGET_FLOOR_JPEG = 1.3
TARGET_FLOOR_HEIC = 1.2


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


def run_heif_decode(path: Path) -> int:
    """libheif's decode alone, through pillow-heif (the HEIC floor's decode)."""
    import pillow_heif

    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
    return len(heif[0].data)


PIPELINES = {
    "project": run_project,
    "naive": run_naive,
    "same-enc": run_naive_same_encoders,
    "1-thread": run_project_one_thread,
}
# Measured only for the floor, not compared with the naive pipeline.
EXTRA = {"heif-decode": run_heif_decode}


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# --- the codec floor -----------------------------------------------------------------------

FLOOR_TOOLS = ("djpeg", "cjpeg", "cwebp")


def floor_plan(path: Path, folder: Path) -> None:
    """Run in a child: writes a PPM of each rendition the project makes of `path` (its exact
    pixels) and prints the plan: the JPEG decode's DCT scale and the encodes to time."""
    from PIL import Image

    from photos.imaging.exif import applied_orientation, orientation_of, read_exif
    from photos.imaging.pipeline import _decode_scale, scaled_size, shown_size, stored_size

    run_project(path)  # warm, and the same code path as measured
    policy_formats = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
    from photos import imaging

    with path.open("rb") as fp:
        result = imaging.process_image(
            fp,
            policy=imaging.UploadPolicy(
                max_bytes=25 * 1024 * 1024,
                max_pixels=50_000_000,
                min_short_side=320,
                formats=policy_formats,
            ),
        )
    encodes = []
    for file in result.files:
        ppm = folder / f"floor-{path.suffix[1:]}-{file.spec}-{file.format}.ppm"
        with Image.open(io.BytesIO(file.data)) as rendition:
            rendition.convert("RGB").save(ppm)
        encodes.append({"spec": file.spec, "format": file.format, "ppm": str(ppm)})
    # The DCT scale Pillow's draft picks for the project's request (1/1, 1/2, 1/4 or 1/8).
    with Image.open(path) as im:
        tag = orientation_of(read_exif(im))
        orientation = applied_orientation(im.format or "", tag)
        shown = shown_size(im.size, orientation)
        scale = _decode_scale(shown, imaging.RENDITION_SPECS)
        full_width = im.size[0]
        if scale < 1:
            im.draft("RGB", stored_size(scaled_size(shown, scale), orientation))
        eighths = round(8 * im.size[0] / full_width)
    print(json.dumps({"scale": f"{eighths}/8", "encodes": encodes}))


def tool_cpu_ms(command: list[str]) -> float:
    """CPU time (user + system) of one run of a command-line tool, its output discarded."""
    before = cpu_seconds(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (cpu_seconds(resource.RUSAGE_CHILDREN) - before) * 1000


def encode_command(encode: dict[str, str]) -> list[str]:
    from photos.imaging.encoding import JPEG_QUALITY, WEBP_METHOD, WEBP_QUALITY

    if encode["format"] == "webp":
        return [
            "cwebp", "-quiet", "-q", str(WEBP_QUALITY), "-m", str(WEBP_METHOD),
            encode["ppm"], "-o", "/dev/null",
        ]  # fmt: skip
    return ["cjpeg", "-quality", str(JPEG_QUALITY), "-optimize", "-outfile", "/dev/null",
            encode["ppm"]]  # fmt: skip


def measure_floor(
    label: str, path: Path, warm: Path, folder: Path, repeat: int
) -> dict[str, float] | None:
    """Median CPU ms of the floor's decode and of its encodes, summed; None for a format
    the floor is not defined for (PNG, WebP: not in the target)."""
    if not label.startswith(("JPEG", "HEIC")):
        return None
    completed = subprocess.run(
        [sys.executable, __file__, "--plan", str(path), str(folder)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    plan = json.loads(completed.stdout.strip().splitlines()[-1])
    if label.startswith("JPEG"):
        command = ["djpeg", "-scale", plan["scale"], "-ppm", "-outfile", "/dev/null", str(path)]
        decode = statistics.median(tool_cpu_ms(command) for _ in range(repeat))
    else:
        decode = statistics.median(
            measure("heif-decode", path, warm)["cpu_ms"] for _ in range(repeat)
        )
    encodes = sum(
        statistics.median(tool_cpu_ms(encode_command(e)) for _ in range(repeat))
        for e in plan["encodes"]
    )
    return {"decode": decode, "encode": encodes, "total": decode + encodes, "scale": plan["scale"]}


def child(pipeline: str, path: Path, warm: Path) -> None:
    import pillow_heif  # noqa: F401  (both pipelines read HEIC; photos.imaging registers it)

    import photos.imaging  # noqa: F401

    run = {**PIPELINES, **EXTRA}[pipeline]
    run(warm)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = cpu_seconds(resource.RUSAGE_SELF)
    started = time.perf_counter()
    written = run(path)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_before
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "ms": elapsed * 1000,
                "cpu_ms": cpu * 1000,
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


# --- HEIC memory (issues 9 and 12) -----------------------------------------------------------

HEIC_SOURCE = (
    ROOT.parent / "shared" / "data" / "photos" / "heic_iphone13promax_exif-orient6_irot.heic"
)
HEIC_JOBS = ("renditions", "print", "mockup", "clean")
HEIC_WAYS = ("plugin", "project")
TARGET_WORKER_MB = 400.0


def heic_inputs(folder: Path, megapixels: list[int]) -> list[tuple[int, Path]]:
    return [(mp, folder / f"iphone-{mp}mp.heic") for mp in megapixels]


def make_heic_inputs(folder: Path, megapixels: list[int]) -> None:
    """The real iPhone 13 Pro Max HEIC (12.2 MP, a grid of 512 px tiles, irot and EXIF 6)
    for 12, else that photo scaled up and encoded as Apple does (512 px tiles, quality 80,
    its EXIF and ICC kept)."""
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    with Image.open(HEIC_SOURCE) as im:
        im.load()
        keep = {key: im.info[key] for key in ("exif", "icc_profile") if im.info.get(key)}
        warm = folder / "warm-iphone.heic"
        if not warm.exists():
            im.resize((64, 48)).save(warm, "HEIF", quality=80, **keep)
        for mp, path in heic_inputs(folder, megapixels):
            if path.exists():
                continue
            if mp <= 12:  # the real file itself
                shutil.copyfile(HEIC_SOURCE, path)
                continue
            started = time.perf_counter()
            factor = (mp * 1e6 / (im.width * im.height)) ** 0.5
            size = (round(im.width * factor / 2) * 2, round(im.height * factor / 2) * 2)
            big = im.resize(size, Image.Resampling.BICUBIC)
            big.save(path, "HEIF", quality=80, tile_size=512, **keep)
            print(
                f"  made {path.name}: {big.width}x{big.height},"
                f" {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )


def vm_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS, reset by writing 5 to clear_refs) in MB."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(value.split()[0]) / 1024
    return values


def heic_job(job: str, path: Path) -> int:
    if job == "renditions":
        return run_project(path)
    import importlib.util

    # bench/covers.py's print and mock-up jobs ("covers" itself is the app).
    spec = importlib.util.spec_from_file_location("covers_bench", ROOT / "bench" / "covers.py")
    assert spec is not None and spec.loader is not None
    covers_bench = sys.modules.get("covers_bench") or importlib.util.module_from_spec(spec)
    if "covers_bench" not in sys.modules:
        sys.modules["covers_bench"] = covers_bench
        spec.loader.exec_module(covers_bench)
    runs = {
        "print": covers_bench.run_print,
        "mockup": covers_bench.run_mockup,
        "clean": covers_bench.run_clean,
    }
    return int(runs[job](path))


def use_plugin_decode() -> None:
    """Before: Pillow's HEIF plugin decodes (im.load()), as the project did until issue 12."""
    import covers.printing
    import covers.source
    from photos.imaging import inspection, pipeline

    for module in (pipeline, covers.source, covers.printing, inspection):
        module.load_heif = lambda *args, **kwargs: None  # type: ignore[attr-defined]


def heic_child(job: str, way: str, path: Path, warm: Path) -> None:
    import photos.imaging  # noqa: F401

    if way == "plugin":
        use_plugin_decode()
    heic_job(job, warm)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
    base = vm_mb()["VmRSS"]
    started = time.perf_counter()
    heic_job(job, path)
    elapsed = time.perf_counter() - started
    print(json.dumps({"ms": elapsed * 1000, "base_mb": base, **vm_mb()}))


def heic_sequence(way: str, heap: str, paths: list[Path], count: int, warm: Path) -> None:
    """`count` photos in one process (a worker's life): the RSS after each."""
    from photos.imaging import decoding

    if way == "plugin":
        use_plugin_decode()
    if heap == "mmap":
        decoding.map_big_allocations()  # as photos.apps does in a Django process
    run_project(warm)
    rss = []
    started = time.perf_counter()
    for index in range(count):
        run_project(paths[index % len(paths)])
        rss.append(vm_mb()["VmRSS"])
    seconds = time.perf_counter() - started
    print(json.dumps({"rss": rss, "peak": vm_mb()["VmHWM"], "seconds": seconds}))


def heic_report(folder: Path, megapixels: list[int], repeat: int, sequence: int) -> None:
    subprocess.run(
        [sys.executable, __file__, "--make-heic", str(folder), ",".join(map(str, megapixels))],
        check=True, cwd=ROOT,
    )  # fmt: skip
    warm = folder / "warm-iphone.heic"
    print()
    print(
        "HEIC peak RSS above imports (MB, VmHWM minus VmRSS after a warm-up, the largest of"
        f" {repeat} fresh processes); DECODE_THREADS {heic_threads()}; plugin = Pillow's HEIF"
        " plugin decode (before), project = decoding.load_heif (after)"
    )
    header = (
        f"{'file':<22} {'job':<11} | {'plugin':>6} {'project':>7} | {'ms plugin':>9} {'ms proj':>7}"
    )
    print(header)
    print("-" * len(header))
    for mp, path in heic_inputs(folder, megapixels):
        with_size = f"{mp} MP {heic_size(path)}"
        for job in HEIC_JOBS:
            peaks: dict[str, float] = {}
            times: dict[str, float] = {}
            for way in HEIC_WAYS:
                command = [sys.executable, __file__, "--heic-child", job, way, str(path)]
                runs = [
                    json.loads(
                        subprocess.run(
                            [*command, str(warm)], capture_output=True, text=True, check=True,
                            cwd=ROOT,
                        ).stdout.strip().splitlines()[-1]
                    )
                    for _ in range(repeat)
                ]  # fmt: skip
                peaks[way] = max(run["VmHWM"] - run["base_mb"] for run in runs)
                times[way] = statistics.median(run["ms"] for run in runs)
            print(
                f"{with_size:<22} {job:<11} | {peaks['plugin']:>6.0f} {peaks['project']:>7.0f} |"
                f" {times['plugin']:>9.0f} {times['project']:>7.0f}"
            )
    if sequence:
        paths = [path for _, path in heic_inputs(folder, megapixels)]
        print()
        print(
            f"RSS (MB) of one process making the renditions of {sequence} HEIC photos in turn"
            f" ({', '.join(f'{mp} MP' for mp in megapixels)}, again and again)"
        )
        header = (
            f"{'decode':<8} {'heap':<19} | {'after 1':>7} {'max':>5} {'after last':>10}"
            f" {'peak':>5} | {'s':>4}"
        )
        print(header)
        print("-" * len(header))
        for way in HEIC_WAYS:
            for heap, label in HEAPS.items():
                env = dict(os.environ)
                env.pop("MALLOC_ARENA_MAX", None)
                env.pop("MALLOC_MMAP_THRESHOLD_", None)
                if heap == "arenas":
                    env["MALLOC_ARENA_MAX"] = "2"
                command = [sys.executable, __file__, "--heic-sequence-child", way, heap]
                command += [str(sequence), str(warm), *map(str, paths)]
                completed = subprocess.run(
                    command, capture_output=True, text=True, check=True, cwd=ROOT, env=env
                )
                result = json.loads(completed.stdout.strip().splitlines()[-1])
                rss = result["rss"]
                print(
                    f"{way:<8} {label:<19} | {rss[0]:>7.0f} {max(rss):>5.0f}"
                    f" {rss[-1]:>10.0f} {result['peak']:>5.0f} | {result['seconds']:>4.0f}"
                )


HEAPS = {  # how glibc's malloc is set up in the sequence child
    "default": "glibc default",
    "arenas": "MALLOC_ARENA_MAX=2",
    "mmap": "map_big_allocations",
}


def heic_main(args: argparse.Namespace, rest: list[str]) -> bool:
    """Runs the HEIC memory part when asked (or one of its children); False otherwise."""
    if args.heic_child:
        job, way, path, warm = args.heic_child
        heic_child(job, way, Path(path), Path(warm))
    elif args.make_heic:
        make_heic_inputs(Path(args.make_heic[0]), [int(mp) for mp in args.make_heic[1].split(",")])
    elif rest and rest[0] == "--heic-sequence-child":
        way, heap, count, warm, *paths = rest[1:]
        heic_sequence(way, heap, [Path(p) for p in paths], int(count), Path(warm))
    elif args.heic_megapixels:
        megapixels = [int(mp) for mp in args.heic_megapixels.split(",")]
        with tempfile.TemporaryDirectory() as temp:
            folder = args.keep or Path(temp)
            folder.mkdir(parents=True, exist_ok=True)
            heic_report(folder, megapixels, args.repeat, args.heic_sequence)
    else:
        return False
    return True


def heic_size(path: Path) -> str:
    import pillow_heif

    width, height = pillow_heif.open_heif(path).size
    return f"{width}x{height}"


def heic_threads() -> int:
    import pillow_heif

    return int(pillow_heif.options.DECODE_THREADS)


# --- report ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per pipeline and file")
    parser.add_argument("--keep", type=Path, help="make the files in this folder and keep them")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plan", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument(
        "--heic-megapixels",
        help="only the HEIC memory table, for these sizes (e.g. 12,24,48): the real iPhone"
        " HEIC, scaled up; peak RSS of Pillow's plugin decode against the project's",
    )
    parser.add_argument(
        "--heic-sequence", type=int, default=20, metavar="N",
        help="with --heic-megapixels: RSS across N photos in one process (0: skip)",
    )  # fmt: skip
    parser.add_argument("--heic-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--make-heic", nargs=2, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if heic_main(args, rest):
        return 0
    if args.plan:
        floor_plan(Path(args.plan[0]), Path(args.plan[1]))
        return 0
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
        missing = [tool for tool in FLOOR_TOOLS if shutil.which(tool) is None]
        tools = not missing
        if missing:
            print(
                f"codec floor skipped: {', '.join(missing)} not installed"
                " (apt-get install libjpeg-turbo-progs webp)",
                file=sys.stderr,
            )
        rows = []
        for label, path, warm in inputs(folder):
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in PIPELINES}
            for _ in range(args.repeat):
                for pipeline in PIPELINES:  # interleaved: drift in machine load hits all
                    runs[pipeline].append(measure(pipeline, path, warm))
            floor = measure_floor(label, path, warm, folder, args.repeat) if tools else None
            rows.append((label, path.stat().st_size, runs, floor))
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
    for label, size, runs, _floor in rows:
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
    verdicts += floor_report(rows, args.repeat)
    print()
    for what, ok, value in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {what}: {value}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


def floor_report(rows: list[Any], repeat: int) -> list[tuple[str, bool, str]]:
    """Prints the CPU table against the codec floor; returns its verdicts."""
    verdicts = []
    floors = [(label, runs, floor) for label, _size, runs, floor in rows if floor]
    if floors:
        print()
        print(
            f"CPU time per photo (user + system, median of {repeat}) against the codec"
            f" floor; Pillow {pil_versions()}; Debian tools {tool_versions()}"
        )
        header = (
            f"{'file':<13} | {'project':>7} {'1 thread':>8} | {'decode':>6} {'encode':>6}"
            f" {'floor':>6} | {'ratio':>5} {'1 thr':>5} | target"
        )
        print(header)
        print("-" * len(header))
        for label, runs, floor in floors:
            project = statistics.median(run["cpu_ms"] for run in runs["project"])
            single = statistics.median(run["cpu_ms"] for run in runs["1-thread"])
            target = TARGET_FLOOR_JPEG if label.startswith("JPEG") else TARGET_FLOOR_HEIC
            ratio = single / floor["total"]
            print(
                f"{label:<13} | {project:>7.0f} {single:>8.0f} | {floor['decode']:>6.0f}"
                f" {floor['encode']:>6.0f} {floor['total']:>6.0f} |"
                f" {project / floor['total']:>4.2f}x {ratio:>4.2f}x | <= {target}x"
            )
            verdicts.append(
                (f"{label.split()[0]} CPU <= {target}x the codec floor", ratio <= target,
                 f"{ratio:.2f}x (1 thread; {project / floor['total']:.2f}x with the encoder"
                 f" thread; djpeg scale {floor['scale']})")
            )  # fmt: skip
    return verdicts


def pil_versions() -> str:
    from PIL import features

    return f"libjpeg-turbo {features.version('libjpeg_turbo')}, libwebp {features.version('webp')}"


def tool_versions() -> str:
    webp = subprocess.run(["cwebp", "-version"], capture_output=True, text=True).stdout.strip()
    jpeg = subprocess.run(["cjpeg", "-version"], capture_output=True, text=True).stderr
    jpeg_version = jpeg.split("version ")[1].split()[0] if "version " in jpeg else "?"
    return f"libjpeg-turbo {jpeg_version}, libwebp {webp}"


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "ms": statistics.median(run["ms"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
        "delta_mb": max(run["peak_mb"] - run["base_mb"] for run in runs),
    }


if __name__ == "__main__":
    sys.exit(main())
