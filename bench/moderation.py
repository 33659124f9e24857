"""Benchmark: the moderator's wait in the keyboard triage, and the queries per decision.

Run from the project root:

    .venv/bin/python bench/moderation.py
    .venv/bin/python bench/moderation.py --entries 200 --small 50 --chromium /usr/bin/chromium

It sets up a throwaway SQLite database and media folders in a temp dir (COVERLINE_VAR_DIR,
DATABASE_URL, DEBUG=1, SECRET_KEY and an in-memory Celery broker are set before
django.setup(), so nothing in var/ is touched), migrates, and makes a moderator and two
contests: a small one with --small entries (50) and a big one with --entries (200), five per
rider. Every photo is a generated 640x480 JPEG put through the real pipeline
(gallery.services.photo_process), so the pages show real renditions.

The app runs on a loopback port in a thread (django.test.testcases.LiveServerThread: static
and media files served, one thread per request, as the dev server; with TCP_NODELAY, as
gunicorn has, so no response waits 40 ms for a delayed ACK). Chromium, driven by
Playwright, opens the triage view of the small contest and decides every photo by keyboard
(two in three with A, the rest with R then a reason's number 1-6), then does the same with
the 200 photos of the big contest (the same filter: only the size of the queue differs).

Measured for each decision:
- the wait: from the keydown that decides (A, or the digit after R) until the next photo's
  fragment is in place, live (triage.js takes keys again) and its title focused. Timed in the
  page (the key event's timeStamp to performance.now() after triage.js's htmx:afterSettle
  handler), so Playwright's own round trips are not counted;
- whether the next photo's display rendition had already been loaded (preloaded) then;
- the SQL queries and server time of the decision request (POST .../decider/), counted with
  connection.execute_wrapper around the app in the thread that serves it.

Baselines, in the same run and browser, timed in the page the same way: fetch() of
/static/css/site.css (no cache), the cheapest round trip this server and browser can make,
and of a missing page (the smallest answer through Django's middleware, session and user);
the ratio is the median wait over the static fetch.

Targets: median wait <= 0.3 s, and queries per decision constant: the largest count among
the last 20 decisions no higher than among the first 20, and no higher for a queue of 200
than for a queue of 50. Exit code 0 when met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

TARGET_MEDIAN_S = 0.3
STATIC_PATH = "/static/css/site.css"
TINY_VIEW_PATH = "/bench-no-such-page/"
PER_RIDER = 5
PHOTO_SIZE = (640, 480)

# Runs in the page before its own scripts. Listeners on window run after those on document
# (triage.js's), so the title has been focused and the keys taken again when this one runs.
INSTRUMENT = """
window.benchWaits = [];
window.benchKeyAt = null;
window.addEventListener("keydown", (event) => { window.benchKeyAt = event.timeStamp; }, true);
window.addEventListener("htmx:afterSettle", () => {
  const title = document.getElementById("triage-title");
  const main = document.getElementById("main");
  if (window.benchKeyAt === null || !title || document.activeElement !== title) return;
  if (main.getAttribute("aria-busy") === "true") return;
  const img = document.querySelector("#triage .triage-photo img");
  window.benchWaits.push({
    ms: performance.now() - window.benchKeyAt,
    photoReady: img ? img.complete && img.naturalWidth > 0 : null,
  });
  window.benchKeyAt = null;
});
"""

FETCH = """
async ([path, n]) => {
  const times = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const response = await fetch(path + "?bench=" + i, {cache: "no-store"});
    await response.text();
    times.push(performance.now() - start);
  }
  return times;
}
"""


def configure(var_dir: Path) -> None:
    """The environment of a throwaway app; must run before django.setup()."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "COVERLINE_VAR_DIR": str(var_dir),
            "DATABASE_URL": f"sqlite:///{var_dir / 'bench.sqlite3'}",
            "DEBUG": "1",
            "SECRET_KEY": "bench-only-not-secret",
            "CELERY_BROKER_URL": "memory://",  # no worker: nothing is sent anywhere
            "EMAIL_URL": "memorymail://",
            "CACHE_URL": "",
            "LOG_LEVEL": "ERROR",
        }
    )
    import logging

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the baseline's 404s


# --- data --------------------------------------------------------------------------------


def photo_jpeg(seed: int) -> bytes:
    """A quick, varied 640x480 picture: a gradient and a few shapes."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    width, height = PHOTO_SIZE
    image = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    tint = Image.new("RGB", PHOTO_SIZE, tuple(rng.randrange(256) for _ in range(3)))
    image = Image.blend(image, tint, 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, 120)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def make_contest(slug: str, count: int, seed_base: int) -> Any:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from contest.models import Contest, Enrollment, Entry, Participant
    from photos.models import Photo
    from photos.services import originals_storage, photo_process

    now = timezone.now()
    contest = Contest.objects.create(
        title_fr=f"Bench {slug}",
        slug=slug,
        rules_text_fr="Article 1.",
        rules_version="1",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        status=Contest.Status.OPEN,
    )
    participant = None
    for index in range(count):
        if index % PER_RIDER == 0:
            user = get_user_model().objects.create(
                username=f"{slug}-{index}@example.org", email=f"{slug}-{index}@example.org"
            )
            participant = Participant.objects.create(
                user=user,
                credit_name=f"Rider {index // PER_RIDER}",
                age_bracket=Participant.AgeBracket.ADULT,
                email_verified_at=now,
            )
            Enrollment.objects.create(
                contest=contest,
                participant=participant,
                rules_version="1",
                accepted_at=now,
                allows_gallery=True,
                allows_print=True,
            )
        data = photo_jpeg(seed_base + index)
        name = originals_storage().save(f"bench-{seed_base + index}.jpg", ContentFile(data))
        photo = Photo.objects.create(
            original=name,
            original_name=f"IMG_{index:04}.JPG",
            original_format="JPEG",
            original_bytes=len(data),
        )
        Entry.objects.create(
            contest=contest,
            participant=participant,
            title=f"Photo {index + 1} of {slug}",
            caption=f"Generated picture number {index + 1}.",
            sha256=f"{seed_base + index:064x}",
            photo=photo,
        )
        photo_process(photo_id=photo.pk)
    return contest


def make_moderator() -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create(
        username="modo@reseau.example", email="modo@reseau.example", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Moderators"))  # made by a migration
    return user


# --- server ------------------------------------------------------------------------------


@dataclass
class RequestRecord:
    method: str
    path: str
    queries: int
    server_ms: float


class CountingApp:
    """WSGI wrapper: counts the SQL queries of each request in the thread that serves it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.records: list[RequestRecord] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from django.db import connection

        count = 0

        def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        start = time.perf_counter()
        # Django renders the whole page inside the call: the count is complete on return.
        with connection.execute_wrapper(counter):
            response = self.app(environ, start_response)
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.records.append(
                RequestRecord(environ["REQUEST_METHOD"], environ["PATH_INFO"], count, elapsed)
            )
        return response


def start_server() -> tuple[Any, CountingApp]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class NoDelayServer(ThreadedWSGIServer):
        # The dev server writes a response's headers and body in two sends; with Nagle's
        # algorithm the body then waits for the browser's delayed ACK (40 ms on Linux).
        # Production servers (gunicorn) set TCP_NODELAY: so does this one.
        def get_request(self) -> tuple[socket.socket, Any]:
            sock, address = super().get_request()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

    class ServerThread(LiveServerThread):
        server_class = NoDelayServer

    counting: list[CountingApp] = []

    def handler(app: Any) -> Any:
        counting.append(CountingApp(app))
        return StaticFilesHandler(counting[0])

    server = ServerThread("localhost", handler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server, counting[0]


# --- browser -----------------------------------------------------------------------------


@dataclass
class Decision:
    key: str
    wait_ms: float
    photo_ready: bool | None


def plan(index: int) -> tuple[str, ...]:
    """Two in three approved; the others refused, the reasons taken in turn (1-6)."""
    if index % 3 == 2:
        return ("r", str((index // 3) % 6 + 1))
    return ("a",)


def triage(page: Any, url: str, count: int) -> list[Decision]:
    page.goto(url)
    page.wait_for_function("() => window.htmx && document.getElementById('triage-title')")
    decisions = []
    for index in range(count):
        keys = plan(index)
        for key in keys:
            page.keyboard.press(key)
        page.wait_for_function("n => window.benchWaits.length >= n", arg=index + 1, timeout=15_000)
        last = page.evaluate("() => window.benchWaits[window.benchWaits.length - 1]")
        decisions.append(Decision("+".join(keys).upper(), last["ms"], last["photoReady"]))
    done = page.evaluate("() => document.querySelectorAll('#triage [data-key=a]').length")
    assert done == 0, "photos are left in the queue after deciding them all"
    return decisions


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- report ------------------------------------------------------------------------------


def query_row(label: str, counts: list[int]) -> str:
    return (
        f"  {label:<24} {statistics.median(counts):>6.0f} {min(counts):>5} {max(counts):>5}"
        f" {len(counts):>6}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200, help="photos in the big queue")
    parser.add_argument("--small", type=int, default=50, help="photos in the small queue")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()
    if args.entries < 40:
        parser.error("--entries must be at least 40 (first 20 vs last 20)")

    with tempfile.TemporaryDirectory(prefix="coverline-bench-") as tmp:
        configure(Path(tmp))
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections
        from django.test import Client
        from django.urls import reverse

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        moderator = make_moderator()
        small = make_contest("small", args.small, seed_base=10_000)
        big = make_contest("big", args.entries, seed_base=20_000)
        client = Client()
        client.force_login(moderator)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        setup_s = time.perf_counter() - started
        connections.close_all()  # the server threads use their own

        server, app = start_server()
        base = f"http://localhost:{server.port}"
        triage_url = base + reverse("moderation:triage_start")

        from playwright.sync_api import sync_playwright

        started = time.perf_counter()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
            )
            page = context.new_page()
            page.add_init_script(INSTRUMENT)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))

            first_request = len(app.records)
            small_run = triage(page, f"{triage_url}?state=pending&contest={small.pk}", args.small)
            small_records = [r for r in app.records[first_request:] if "/decider/" in r.path]
            first_request = len(app.records)
            # The same filter for both queues: only their sizes differ.
            big_run = triage(page, f"{triage_url}?state=pending&contest={big.pk}", args.entries)
            big_records = [r for r in app.records[first_request:] if "/decider/" in r.path]
            baselines = {}
            for path in (STATIC_PATH, TINY_VIEW_PATH):
                page.evaluate(FETCH, [path, 10])  # warm-up
                baselines[path] = page.evaluate(FETCH, [path, 100])
            browser.close()
        browse_s = time.perf_counter() - started
        server.terminate()

        from contest.models import Entry

        left = Entry.objects.filter(moderation=Entry.Moderation.PENDING).count()
        connections.close_all()

    assert not errors, f"script errors in the page: {errors}"
    assert left == 0, f"{left} entries still pending"
    assert len(small_records) == args.small, len(small_records)
    assert len(big_records) == args.entries, len(big_records)

    waits = [d.wait_ms for d in small_run + big_run]
    median_ms = statistics.median(waits)
    p95_ms = percentile(waits, 0.95)
    static_ms = baselines[STATIC_PATH]
    static_median = statistics.median(static_ms)
    tiny_ms = baselines[TINY_VIEW_PATH]
    ready = sum(1 for d in small_run + big_run if d.photo_ready)
    by_key: dict[str, list[float]] = {}
    for d in small_run + big_run:
        by_key.setdefault("A" if d.key == "A" else "R+digit", []).append(d.wait_ms)

    small_q = [r.queries for r in small_records]
    big_q = [r.queries for r in big_records]
    first_q, last_q = big_q[:20], big_q[-20:]
    server_ms = [r.server_ms for r in small_records + big_records]

    print(f"Coverline moderation benchmark ({os.cpu_count()} CPUs, SQLite, DEBUG=1)")
    print(
        f"setup: {args.small} + {args.entries} photos {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} through"
        f" photo_process in {setup_s:.1f} s; browsing {browse_s:.1f} s"
    )
    print()
    print(f"moderator's wait, keypress -> next title focused ({len(waits)} decisions)")
    print(f"  median {median_ms:7.1f} ms   p95 {p95_ms:7.1f} ms   max {max(waits):7.1f} ms")
    for key, values in sorted(by_key.items()):
        print(f"  {key:<8} median {statistics.median(values):7.1f} ms  ({len(values)})")
    print(
        f"  server time of the decision request: median {statistics.median(server_ms):.1f} ms,"
        f" p95 {percentile(server_ms, 0.95):.1f} ms"
    )
    print(
        f"  next photo already loaded (preloaded) when its title got the focus: {ready}/"
        f"{len(waits)}"
    )
    print(
        f"baseline: fetch of /static/css/site.css from the page, median {static_median:.1f} ms"
        f" (p95 {percentile(static_ms, 0.95):.1f} ms)"
    )
    print(
        f"  and of {TINY_VIEW_PATH} (Django's 404 page: middleware, session and user),"
        f" median {statistics.median(tiny_ms):.1f} ms"
    )
    print(f"  ratio median wait / static fetch: {median_ms / static_median:.1f}x")
    print()
    print("SQL queries per decision request     median   min   max  count")
    print(query_row(f"queue of {args.small}", small_q))
    print(query_row(f"queue of {args.entries}", big_q))
    print(query_row(f"first 20 of {args.entries}", first_q))
    print(query_row(f"last 20 of {args.entries}", last_q))
    print()

    wait_ok = median_ms <= TARGET_MEDIAN_S * 1000
    queries_ok = max(last_q) <= max(first_q) and max(big_q) <= max(small_q)
    print(
        f"target median wait <= {TARGET_MEDIAN_S * 1000:.0f} ms:"
        f" {'met' if wait_ok else 'MISSED'} ({median_ms:.1f} ms)"
    )
    print(
        "target queries per decision constant (no growth with the queue):"
        f" {'met' if queries_ok else 'MISSED'}"
    )
    return 0 if wait_ok and queries_ok else 1


if __name__ == "__main__":
    sys.exit(main())
