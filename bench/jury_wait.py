"""Benchmark: the juror's wait per vote on the judging screen, in Chromium at phone size.

Run from the project root:

    .venv/bin/python bench/jury_wait.py
    .venv/bin/python bench/jury_wait.py --photos 150 --chromium /usr/bin/chromium

Modelled on bench/moderation.py, whose helpers it reuses: a throwaway SQLite database and
media folders in a temp dir (nothing in var/ is touched), migrated; one contest whose
--photos (100) generated 640x480 JPEGs go through the real pipeline (photo_process) and are
approved by a moderator (entry_decide), so they are public and their renditions real; one
juror (signed in through django-sesame's backend, as jurors are) and a rating round of one
1-to-5 star with one juror per photo, started by round_activate: the juror has all of them.

The app runs on a loopback port in a thread (LiveServerThread with TCP_NODELAY, as in
bench/moderation.py; one thread per request, static and media files served). Chromium,
driven by Playwright, at 390x844 (a phone), opens the judging screen and votes on every
photo with a key press, 1 to 5 in turn: jury.js clicks the star button, htmx posts the vote
and swaps the next photo in.

Measured for each vote:
- the wait: from the keydown (its event timeStamp) until the next photo's fragment is in
  place, live (jury.js takes keys again) and its title focused, timed in the page after
  jury.js's htmx:afterSettle handler, so Playwright's own round trips are not counted;
- whether the next photo's picture had already been loaded (jury.js preloads it) then;
- the SQL queries and server time of the vote request (POST .../vote/), counted around the
  app in the thread that serves it (pictures are served by a view too: /photo/<task>/...).

Baseline, in the same run and browser, timed in the page the same way: fetch() of
/static/css/site.css (no cache), the cheapest round trip this server and browser make.

Target: median wait < 0.15 s. Exit code 0 when met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

from bench.moderation import (  # noqa: E402
    FETCH,
    STATIC_PATH,
    configure,
    make_contest,
    make_moderator,
    percentile,
    start_server,
)

TARGET_MEDIAN_S = 0.15
SLUG = "bench-jury"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
}

# Runs in the page before its own scripts. Listeners on window run after those on document
# (jury.js's), so the title has been focused and the keys taken again when this one runs.
INSTRUMENT = """
window.benchWaits = [];
window.benchKeyAt = null;
window.addEventListener("keydown", (event) => { window.benchKeyAt = event.timeStamp; }, true);
window.addEventListener("htmx:afterSettle", () => {
  const title = document.getElementById("judge-title");
  const main = document.getElementById("main");
  if (window.benchKeyAt === null || !title || document.activeElement !== title) return;
  if (main.getAttribute("aria-busy") === "true") return;
  const img = document.querySelector("#judge .judge-photo img");
  window.benchWaits.push({
    ms: performance.now() - window.benchKeyAt,
    photoReady: img ? img.complete && img.naturalWidth > 0 : null,
  });
  window.benchKeyAt = null;
});
"""


@dataclass
class Vote:
    key: str
    wait_ms: float
    photo_ready: bool | None


def make_jury(contest: Any, moderator: Any) -> tuple[Any, Any]:
    """Approves every entry, seats one juror and starts a one-star rating round."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from contest.models import Entry
    from jury import services
    from jury.models import Juror, Round
    from moderation.services import entry_decide

    for entry in Entry.objects.filter(contest=contest).select_related("photo"):
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,
            approve=True,
            seen_renditions=entry.photo.renditions_hash,
        )
    users = get_user_model().objects
    juror = users.create(username="jure@studio.example", email="jure@studio.example")
    juror.groups.add(Group.objects.get(name="Jury"))  # made by a migration
    Juror.objects.create(contest=contest, user=juror, alias="J1")
    chair = users.create(username="presidence@reseau.example", email="presidence@reseau.example")
    round = services.round_create(
        contest=contest,
        kind=Round.Kind.RATING,
        quorum=1,
        deadline=timezone.now() + timedelta(days=7),
        chair=chair,
    )
    return juror, services.round_activate(round_id=round.pk, chair=chair)


def judge(page: Any, url: str, count: int) -> list[Vote]:
    page.goto(url)
    page.wait_for_function("() => window.htmx && document.getElementById('judge-title')")
    votes = []
    for index in range(count):
        key = str(index % 5 + 1)
        page.keyboard.press(key)
        # The last vote brings the "all judged" screen, whose title takes the focus too.
        page.wait_for_function("n => window.benchWaits.length >= n", arg=index + 1, timeout=15_000)
        last = page.evaluate("() => window.benchWaits[window.benchWaits.length - 1]")
        votes.append(Vote(key, last["ms"], last["photoReady"]))
    return votes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100, help="photos to judge")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()

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
        contest = make_contest(SLUG, args.photos, seed_base=30_000)
        juror, round = make_jury(contest, moderator)
        client = Client()
        client.force_login(juror, backend="sesame.backends.ModelBackend")
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        setup_s = time.perf_counter() - started
        connections.close_all()  # the server threads use their own

        server, app = start_server()
        base = f"http://localhost:{server.port}"

        from playwright.sync_api import sync_playwright

        started = time.perf_counter()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            context = browser.new_context(**PHONE)
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
            )
            page = context.new_page()
            page.add_init_script(INSTRUMENT)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda m: errors.append(m.text) if m.type == "error" else None,
            )
            first_request = len(app.records)
            votes = judge(page, base + reverse("jury:judge", args=[SLUG]), args.photos)
            records = [r for r in app.records[first_request:] if r.path.endswith("/vote/")]
            images = [r for r in app.records[first_request:] if "/photo/" in r.path]
            page.evaluate(FETCH, [STATIC_PATH, 10])  # warm-up
            baseline = page.evaluate(FETCH, [STATIC_PATH, 100])
            browser.close()
        browse_s = time.perf_counter() - started
        server.terminate()

        from jury.models import Task

        left = Task.objects.filter(round=round, state=Task.State.OPEN).count()
        connections.close_all()

    assert not errors, f"errors in the page: {errors}"
    assert left == 0, f"{left} photos left to judge"
    assert len(records) == args.photos, len(records)

    waits = [v.wait_ms for v in votes]
    median_ms = statistics.median(waits)
    static_median = statistics.median(baseline)
    ready = sum(1 for v in votes if v.photo_ready)
    queries = [r.queries for r in records]
    server_ms = [r.server_ms for r in records]

    print(f"Coverline jury benchmark ({os.cpu_count()} CPUs, SQLite, DEBUG=1, Chromium 390x844)")
    print(
        f"setup: {args.photos} photos 640x480 through photo_process and approval in"
        f" {setup_s:.1f} s; browsing {browse_s:.1f} s"
    )
    print()
    print(f"juror's wait, keypress -> next photo's title focused ({len(waits)} votes)")
    print(
        f"  median {median_ms:7.1f} ms   p95 {percentile(waits, 0.95):7.1f} ms"
        f"   max {max(waits):7.1f} ms"
    )
    print(
        f"  server time of the vote request: median {statistics.median(server_ms):.1f} ms,"
        f" p95 {percentile(server_ms, 0.95):.1f} ms; SQL queries per vote: median"
        f" {statistics.median(queries):.0f}, max {max(queries)}"
    )
    print(
        f"  pictures served by the jury's view: {len(images)} requests, median"
        f" {statistics.median([r.server_ms for r in images]):.1f} ms"
        if images
        else "  pictures served by the jury's view: none"
    )
    print(
        f"  next photo already loaded (preloaded) when its title got the focus:"
        f" {ready}/{len(votes)}"
    )
    print(
        f"baseline: fetch of {STATIC_PATH} from the page, median {static_median:.1f} ms"
        f" (p95 {percentile(baseline, 0.95):.1f} ms)"
    )
    print(f"  ratio median wait / static fetch: {median_ms / static_median:.1f}x")
    print()
    met = median_ms < TARGET_MEDIAN_S * 1000
    print(
        f"target median wait < {TARGET_MEDIAN_S * 1000:.0f} ms:"
        f" {'met' if met else 'MISSED'} ({median_ms:.1f} ms)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
