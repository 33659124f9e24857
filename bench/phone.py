"""Benchmark: the gallery's first page on a phone over slow 4G, against the same page text-only.

Run from the project root (about 40 s on 2 cores, half of it preparing the photos):

    .venv/bin/python bench/phone.py
    .venv/bin/python bench/phone.py --photos 48 --keep /tmp/phone-bench   # keep the data

What it does:

1. data: in a temp folder (COVERLINE_VAR_DIR, SQLite, local media), `manage.py migrate` and
   `manage.py demo_setup`, which runs the demo's real photos (../shared/data/photos) through
   the real pipeline (photos.services.photo_process) and approves the public ones; then the
   public entries are repeated (new photo and entry rows, the same rendition files) until the
   gallery has --photos of them, so its first page is a full one (48 tiles).
2. serve: `manage.py runserver --noreload` on a free loopback port with DEBUG=1, as `make run`
   serves: static files through whitenoise and the gzip middleware, renditions through
   core.media (a year, immutable). One warm-up request fills the page cache, as a shared
   gallery would have it.
3. load, in Debian's Chromium (/usr/bin/chromium, Playwright, as tests/browser launches it),
   a fresh context each time (cold browser cache): 390x844 CSS px, DPR 3, is_mobile, touch,
   French, over CDP Network.emulateNetworkConditions. Profile "lighthouse" (the default):
   Lighthouse's own DevTools throttling for its mobile "slow 4G" (150 ms RTT, 1.6 Mbps):
   562.5 ms request latency (the RTT x 3.75, for connection set-up that the emulation
   does not add per round trip), 1,474.56 kbps down, 675 kbps up. Profile "plain": 150 ms,
   1,600 kbps, 750 kbps, as the numbers read (optimistic: every request pays 150 ms once).

It prints, for the gallery page and for the baseline (the same page with every image
request refused: what the text, CSS and scripts alone cost on this link), and their ratios:

- total bytes: the sum of CDP Network.loadingFinished encodedDataLength (on the wire,
  headers included) of every request until the network was idle;
- first-screen bytes: the requests a first screen needs: every non-image request plus the
  images whose element lies in the 844 px viewport (lazy tiles below it are left out);
- the time to the last visible thumbnail (its responseEnd in the resource timing, from the
  navigation's start) and Largest Contentful Paint (PerformanceObserver
  'largest-contentful-paint', its element and URL);
- the tiles: their CSS width, the rendition the browser chose (currentSrc, natural width)
  and the device pixels per CSS pixel it gives.

Targets: first screen <= 350 kB and LCP < 2.5 s (exit code 1 when missed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORT = {"width": 390, "height": 844}
# (latency ms, down kbps, up kbps); kbps as Lighthouse counts them (1 kbit = 1,024 bits).
PROFILES = {
    "lighthouse": (150 * 3.75, 1.6 * 1024 * 0.9, 750 * 0.9),
    "plain": (150.0, 1600.0, 750.0),
}
FIRST_SCREEN_TARGET = 350_000
LCP_TARGET_MS = 2500

LCP_OBSERVER = """
window.__lcp = null;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__lcp = {time: entry.renderTime || entry.loadTime || entry.startTime,
                    url: entry.url || "", element: entry.element ? entry.element.tagName : ""};
  }
}).observe({type: "largest-contentful-paint", buffered: true});
"""

# Each image element: where it lies, what the browser chose, and when its bytes arrived.
PAGE_FACTS = """
() => {
  const images = [...document.images].map((img) => {
    const box = img.getBoundingClientRect();
    const url = img.currentSrc || img.src;
    const timing = performance.getEntriesByName(url)[0];
    return {url, width: box.width, top: box.top, bottom: box.bottom,
            natural: img.naturalWidth, complete: img.complete,
            responseEnd: timing ? timing.responseEnd : null};
  });
  // Text (the page, CSS, scripts): bytes of the body on the wire and once decoded.
  const text = [...performance.getEntriesByType("navigation"),
                ...performance.getEntriesByType("resource")]
    .filter((e) => ["navigation", "link", "script"].includes(e.initiatorType))
    .map((e) => ({url: e.name, wire: e.encodedBodySize, decoded: e.decodedBodySize}));
  return {images, text, lcp: window.__lcp, height: innerHeight, dpr: devicePixelRatio};
}
"""


def _env(var: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "ROOT_URLCONF", "STATICFILES_BACKEND"}
        and not k.startswith("AWS_")
    }
    env.update(
        DEBUG="1",
        SECRET_KEY="bench-only-not-secret",  # noqa: S106
        COVERLINE_VAR_DIR=str(var),
        MEDIA_ROOT=str(var / "media"),
        ORIGINALS_ROOT=str(var / "originals"),
        CELERY_BROKER_URL="memory://",
        EMAIL_URL="consolemail://",
        SITE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(photos: int) -> None:
    """In the child (Django set up from the environment): fill the gallery, print its path."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.urls import reverse

    from contest import services
    from contest.models import Contest, Entry
    from photos.models import Photo, Rendition

    contest = Contest.objects.get(slug="couvertures-2027")  # made by demo_setup
    public = list(
        Entry.objects.filter(
            contest=contest,
            moderation=Entry.Moderation.APPROVED,
            hidden=False,
            withdrawn_at=None,
        ).order_by("pk")
    )
    if not public:
        sys.exit("The demo has no public photo.")
    for n in range(len(public), photos):
        source = public[n % len(public)]
        renditions = list(Rendition.objects.filter(photo_id=source.photo_id))
        photo = Photo.objects.get(pk=source.photo_id)
        photo.pk = None
        photo.public_id = uuid.uuid4()
        photo.save()
        for rendition in renditions:
            rendition.pk = None
            rendition.photo = photo
        Rendition.objects.bulk_create(renditions)
        entry = Entry.objects.get(pk=source.pk)
        entry.pk = None
        entry.photo = photo
        entry.shuffle_key = None
        entry.sha256 = f"{n:064x}"  # one rider may not send the same file twice
        entry.title = f"{entry.title} ({n})"[:80]
        entry.save()
        services.entry_shuffle_key_give(entry_id=entry.pk, contest_id=contest.pk)
    services.contest_gallery_changed(contest_id=contest.pk)
    print(reverse("gallery:gallery", args=[contest.slug]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
                response.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def load(browser: Any, url: str, profile: str, *, images: bool) -> dict[str, Any]:
    """One cold load of `url`; what went over the wire and what the page says of itself."""
    latency, down, up = PROFILES[profile]
    context = browser.new_context(
        viewport=VIEWPORT,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
    )
    page = context.new_page()
    page.add_init_script(LCP_OBSERVER)
    if not images:
        page.route(
            "**/*",
            lambda route: (
                route.abort() if route.request.resource_type == "image" else route.continue_()
            ),
        )
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": down * 1024 / 8,  # bytes per second
            "uploadThroughput": up * 1024 / 8,
        },
    )
    urls: dict[str, tuple[str, str]] = {}
    wire: dict[str, int] = {}
    cdp.on(
        "Network.responseReceived",
        lambda e: urls.__setitem__(e["requestId"], (e["response"]["url"], e["type"])),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: wire.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    page.wait_for_timeout(500)  # the last LCP candidate is reported after its paint
    facts = page.evaluate(PAGE_FACTS)
    context.close()

    height = facts["height"]
    visible = [i for i in facts["images"] if i["bottom"] > 0 and i["top"] < height and i["width"]]
    visible_urls = {i["url"] for i in visible}
    total = first = 0
    by_type: dict[str, int] = {}
    fetched: list[tuple[str, int, bool]] = []  # images: url, bytes, in the first screen
    for request_id, size in wire.items():
        where, kind = urls.get(request_id, ("", "Other"))
        total += size
        by_type[kind] = by_type.get(kind, 0) + size
        if kind != "Image" or where in visible_urls:
            first += size
        if kind == "Image":
            fetched.append((where, size, where in visible_urls))
    ends = [i["responseEnd"] for i in visible if i["responseEnd"] is not None]
    return {
        "requests": len(wire),
        "total": total,
        "first": first,
        "by_type": by_type,
        "visible": visible,
        "fetched": fetched,
        "text": facts["text"],
        "last_thumb": max(ends) if ends else None,
        "lcp": facts["lcp"],
        "dpr": facts["dpr"],
    }


def _kb(n: float) -> str:
    return f"{n / 1000:,.1f} kB"


def report(name: str, r: dict[str, Any]) -> None:
    lcp = r["lcp"] or {}
    kinds = ", ".join(f"{k} {_kb(v)}" for k, v in sorted(r["by_type"].items()))
    last = f"{r['last_thumb']:,.0f} ms" if r["last_thumb"] is not None else "-"
    print(f"  {name}: {r['requests']} requests, total {_kb(r['total'])} ({kinds})")
    print(
        f"    first screen {_kb(r['first'])}, last visible thumbnail {last}, "
        f"LCP {lcp.get('time', 0):,.0f} ms ({lcp.get('element', '')} "
        f"{lcp.get('url', '').rsplit('/', 1)[-1]})"
    )
    for t in r["text"]:
        print(
            f"    {t['url'].rsplit('/', 1)[-1] or t['url']}: {_kb(t['wire'])} on the wire, "
            f"{_kb(t['decoded'])} decoded"
        )
    for where, size, shown in r["fetched"]:
        print(f"    image {where.rsplit('/', 1)[-1]}: {_kb(size)}{'' if shown else ' (below)'}")


def tiles(page: dict[str, Any], media: Path) -> None:
    """The first screen's tiles: CSS size, the rendition chosen, device px per CSS px."""
    from PIL import Image

    print("\ntiles in the first screen (CSS size, rendition chosen, device px per CSS px):")
    for image in page["visible"]:
        relative = image["url"].split("/media/", 1)[-1]
        with Image.open(media / relative) as im:
            width, height = im.size
        # The tile is 4:3 with object-fit: cover: the shorter fit sets the sharpness.
        css_w, css_h = image["width"], image["width"] * 3 / 4
        density = min(width / css_w, height / css_h)
        print(
            f"  {css_w:.0f}x{css_h:.0f} CSS px  {relative.rsplit('/', 1)[-1]}  "
            f"{width}x{height} px  {density:.2f} (the phone has {page['dpr']:g})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=48, help="public photos in the gallery")
    parser.add_argument("--profile", choices=[*PROFILES, "both"], default="lighthouse")
    parser.add_argument("--keep", type=Path, help="a folder to keep (and reuse) the data in")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.prepare is not None:
        prepare(args.prepare)
        return 0
    if not Path(CHROMIUM).is_file():
        print(f"Chromium is missing ({CHROMIUM}): apt-get install chromium")
        return 1
    from playwright.sync_api import sync_playwright

    var = args.keep or Path(tempfile.mkdtemp(prefix="coverline-phone-"))
    port = _free_port()
    env = _env(var, port)
    started = time.monotonic()
    path = ""
    if not (var / "gallery-path").exists():
        for folder in ("media", "originals", "broker/queue", "broker/control"):
            (var / folder).mkdir(parents=True, exist_ok=True)
        _manage(env, "migrate", "--noinput")
        _manage(env, "demo_setup", "--port", str(port))
        child = subprocess.run(
            [sys.executable, __file__, "--prepare", str(args.photos)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode:
            sys.exit(f"filling the gallery failed:\n{child.stderr[-3000:]}")
        (var / "gallery-path").write_text(child.stdout.strip().splitlines()[-1])
    path = (var / "gallery-path").read_text()
    print(f"data: {args.photos} public photos in {var} ({time.monotonic() - started:.0f} s)")

    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{path}"
    results: dict[str, dict[str, Any]] = {}
    try:
        _wait(url)  # also fills the page cache
        profiles = list(PROFILES) if args.profile == "both" else [args.profile]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            for profile in profiles:
                latency, down, up = PROFILES[profile]
                print(
                    f"\n{url} at 390x844, DPR 3, profile {profile}: {latency:g} ms, "
                    f"{down:g} kbps down, {up:g} kbps up"
                )
                base = load(browser, url, profile, images=False)
                page = load(browser, url, profile, images=True)
                report("baseline, images refused", base)
                report("gallery", page)
                lcp, base_lcp = (
                    (page["lcp"] or {}).get("time", 0),
                    (base["lcp"] or {}).get("time", 1),
                )
                print(
                    f"  ratios gallery / baseline: total {page['total'] / base['total']:.2f}x, "
                    f"first screen {page['first'] / base['first']:.2f}x, LCP "
                    f"{lcp / base_lcp:.2f}x"
                )
                results[profile] = page
            browser.close()
        if results:
            tiles(next(iter(results.values())), var / "media")
    finally:
        server.terminate()
        server.wait(timeout=10)
        if args.keep is None:
            shutil.rmtree(var, ignore_errors=True)

    met = True
    print()
    for profile, r in results.items():
        lcp = (r["lcp"] or {}).get("time", float("inf"))
        ok_bytes, ok_lcp = r["first"] <= FIRST_SCREEN_TARGET, lcp < LCP_TARGET_MS
        met = met and ok_bytes and ok_lcp
        print(
            f"{profile}: first screen {_kb(r['first'])} (target <= 350 kB: "
            f"{'met' if ok_bytes else 'MISSED'}), LCP {lcp:,.0f} ms (target < 2,500 ms: "
            f"{'met' if ok_lcp else 'MISSED'})"
        )
    print(
        json.dumps(
            {p: {k: r[k] for k in ("total", "first", "last_thumb")} for p, r in results.items()}
        )
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
