"""Load test of the loopback stack (bench/stack.py): a campaign's peak, with real phone photos.

    .venv/bin/python bench/load.py --short           # 30 s phases (CI's version, ~3 min)
    .venv/bin/python bench/load.py                   # the issue's: 10 min of uploads, ...

An open-loop client (threads and requests: each stream sends at its rate whatever the
answers' delays, as phones do) against nginx → gunicorn → the workers, from one address
(the stack's rate limits are raised for that). Phases:

1. steady: 2 uploads/s of real phone photos by many signed-in riders (each sends a few),
   with 50 gallery and photo-page requests/s and 20 votes/s (a few sent twice at once, a
   double tap) for the vote phase's duration, all at once;
2. burst: 10 uploads/s for a minute (each accepted or a clean 429/503);
3. drain: until every accepted photo is published or failed with a reason (5 min at most).

Writes a report (Markdown and JSON, bench/reports/ by default) with the figures and the
issue's targets: 0 lost, 0 server errors, p95 upload answer < 1.5 s, p95 upload to renditions
< 30 s, worker RSS < 400 MB, burst drained < 5 min, pages p95 < 300 ms, votes counted once.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import REPO, Rider, Stack, StackConfig

PHOTOS = REPO.parent / "shared" / "data" / "photos"
# Phones' own files: JPEG (several makers, EXIF orientations, gain maps) and HEIC.
PHONE_PHOTOS = sorted(
    p
    for p in PHOTOS.glob("*")
    # Not the Pixel 4a's: a thumbnail-sized file (the upload policy refuses it, too small).
    if p.suffix in (".jpg", ".heic") and "pixel4a" not in p.name
)


@dataclass
class Plan:
    upload_rate: float = 2.0
    upload_seconds: float = 600
    page_rate: float = 50.0
    vote_rate: float = 20.0
    vote_seconds: float = 300
    # One vote in this many is sent twice at once (a double tap).
    double_tap_every: int = 20
    burst_rate: float = 10.0
    burst_seconds: float = 60
    drain_limit: float = 300
    photos_per_rider: int = 3
    public_entries: int = 10

    @classmethod
    def short(cls) -> Plan:
        return cls(upload_seconds=30, vote_seconds=30, burst_seconds=20, drain_limit=300)

    def uploads(self) -> int:
        return math.ceil(self.upload_rate * self.upload_seconds) + math.ceil(
            self.burst_rate * self.burst_seconds
        )

    def votes(self) -> int:
        return math.ceil(self.vote_rate * self.vote_seconds)

    def riders(self) -> int:
        uploaders = math.ceil(self.uploads() / self.photos_per_rider)
        voters = math.ceil(self.votes() / self.public_entries)
        return max(uploaders, voters)


@dataclass
class Sample:
    kind: str
    status: int
    seconds: float
    at: float
    key: str = ""
    phase: str = ""
    # How late the client sent it (its threads all busy): large values void the figures.
    lag: float = 0.0


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(
        self, kind: str, key: str, send: Callable[[], Any], *, at: float, phase: str = ""
    ) -> None:
        start = time.monotonic()
        try:
            status = int(send().status_code)
        except Exception:
            status = 0
        with self.lock:
            self.samples.append(
                Sample(kind, status, time.monotonic() - start, at, key, phase, start - at)
            )


class Riders:
    """The seeded riders' browsers, one thread at a time each."""

    def __init__(self, stack: Stack, sessions: list[dict[str, str]]) -> None:
        self.browsers = [Rider(stack, rider["session"]) for rider in sessions]
        self.locks = [threading.Lock() for _ in sessions]

    def use(self, index: int, action: Callable[[Rider], Any]) -> Any:
        index %= len(self.browsers)
        with self.locks[index]:
            return action(self.browsers[index])


def paced(rate: float, seconds: float, job: Callable[[int, float], None],
          pool: ThreadPoolExecutor, *, first: int = 0) -> list[Future[None]]:  # fmt: skip
    """Submits job(i, when) at `rate` per second for `seconds`, whatever the answers' delays
    (`pool` must have threads enough for rate x the slowest answer, or sends come late)."""
    start = time.monotonic()
    futures = []
    for i in range(math.ceil(rate * seconds)):
        when = start + i / rate
        delay = when - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(job, first + i, when))
    return futures


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


class Sampler(threading.Thread):
    """The renditions worker's memory and queue length, every second."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.stop = threading.Event()
        self.max_child_rss = 0.0
        self.max_group_rss = 0.0
        self.max_queue = 0
        self.queue: list[tuple[float, int]] = []

    def run(self) -> None:
        while not self.stop.wait(1):
            try:
                group = self.stack.worker_pids("renditions")
                sizes = [_rss_mb(pid) for pid in group]
                self.max_child_rss = max([self.max_child_rss, *sizes[1:]])
                self.max_group_rss = max(self.max_group_rss, sum(sizes))
                length = int(self.stack.redis().llen("renditions"))
                self.max_queue = max(self.max_queue, length)
                self.queue.append((time.monotonic(), length))
            except Exception:  # noqa: S112 - a missed sample is not a result
                continue


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(stack: Stack, plan: Plan, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Runs the plan against a started stack; the report as a dict."""
    log(f"seeding {plan.riders()} riders and {plan.public_entries} public photos...")
    seeded = stack.seed(
        riders=plan.riders(),
        prefix=f"load{uuid.uuid4().hex[:6]}-",
        photos_per_rider=max(plan.photos_per_rider, 3),
        public_entries=plan.public_entries,
    )
    contest, public = seeded["contest"], seeded["public"]
    riders = Riders(stack, seeded["riders"])
    photos = {path: path.read_bytes() for path in PHONE_PHOTOS}
    titles: dict[int, str] = {}
    record = Recorder()
    anonymous = threading.local()

    first_burst = math.ceil(plan.upload_rate * plan.upload_seconds)

    def upload(i: int, at: float) -> None:
        rider, nth = divmod(i, plan.photos_per_rider)
        path = PHONE_PHOTOS[(rider * plan.photos_per_rider + nth) % len(PHONE_PHOTOS)]
        titles[i] = title = f"charge-{i}-{uuid.uuid4().hex[:8]}"

        def send(browser: Rider) -> None:
            browser.csrf(f"/concours/{contest}/envoyer/")  # the form's page, first time only
            record.timed(
                "upload",
                title,
                lambda: browser.upload(contest, (path.name, photos[path]), title=title),
                at=at,
                phase="steady" if i < first_burst else "burst",
            )

        riders.use(rider, send)

    def page(i: int, at: float) -> None:
        if not hasattr(anonymous, "browser"):
            anonymous.browser = Rider(stack)
        path = (
            f"/concours/{contest}/galerie/" if i % 5 == 0 else f"/photo/{public[i % len(public)]}/"
        )
        record.timed("page", path, lambda: anonymous.browser.get(path), at=at)

    def vote(i: int, at: float) -> None:
        voter, entry = i % len(riders.browsers), public[(i // len(riders.browsers)) % len(public)]
        pair = f"{voter}:{entry}"
        riders.use(voter, lambda b: b.csrf(f"/photo/{entry}/"))
        if plan.double_tap_every and i % plan.double_tap_every == 0:
            # The same vote twice at once, from two connections of the same browser.
            twin = Rider(stack, seeded["riders"][voter]["session"])
            twin.http.cookies.update(riders.browsers[voter].http.cookies)
            thread = threading.Thread(
                target=record.timed,
                args=("vote", pair, lambda: twin.vote(entry)),
                kwargs={"at": at},
            )
            thread.start()
            riders.use(voter, lambda b: record.timed("vote", pair, lambda: b.vote(entry), at=at))
            thread.join()
            return
        riders.use(voter, lambda b: record.timed("vote", pair, lambda: b.vote(entry), at=at))

    sampler = Sampler(stack)
    sampler.start()
    started = datetime.now(UTC)
    t0 = time.monotonic()
    # A pool per stream, with threads for its rate times a slow answer (open loop).
    with (
        ThreadPoolExecutor(max_workers=160, thread_name_prefix="upload") as uploads,
        ThreadPoolExecutor(max_workers=200, thread_name_prefix="page") as pages,
        ThreadPoolExecutor(max_workers=120, thread_name_prefix="vote") as votes,
    ):
        log(
            f"steady: {plan.upload_rate} uploads/s for {plan.upload_seconds:.0f} s, "
            f"{plan.page_rate} pages/s, {plan.vote_rate} votes/s for {plan.vote_seconds:.0f} s"
        )
        streams = [
            threading.Thread(target=paced, args=(rate, seconds, job, pool))
            for rate, seconds, job, pool in (
                (plan.upload_rate, plan.upload_seconds, upload, uploads),
                (plan.page_rate, plan.upload_seconds, page, pages),
                (plan.vote_rate, plan.vote_seconds, vote, votes),
            )
        ]
        for stream in streams:
            stream.start()
        for stream in streams:
            stream.join()
        steady_end = time.monotonic()
        log(f"burst: {plan.burst_rate} uploads/s for {plan.burst_seconds:.0f} s")
        paced(plan.burst_rate, plan.burst_seconds, upload, uploads, first=first_burst)
        burst_sent = time.monotonic()
    burst_end = time.monotonic()
    log("draining the queue...")
    accepted = [s.key for s in record.samples if s.kind == "upload" and s.status == 302]
    drained_at = _drain(stack, accepted, limit=plan.drain_limit)
    sampler.stop.set()
    sampler.join()
    report = _report(
        stack,
        plan,
        record.samples,
        accepted=accepted,
        public=public,
        sampler=sampler,
        t0=t0,
        phases={
            "started": started.isoformat(timespec="seconds"),
            "steady_end": steady_end - t0,
            "burst_sent": burst_sent - t0,
            "burst_end": burst_end - t0,
            "drained_after_burst": None if drained_at is None else drained_at - burst_end,
        },
    )
    return report


def _final(stack: Stack, titles: list[str]) -> list[tuple[Any, ...]]:
    return stack.sql(
        "SELECT e.title, p.status, p.failure,"
        " EXTRACT(EPOCH FROM p.processed_at - p.created_at)"
        " FROM contest_entry e JOIN photos_photo p ON p.id = e.photo_id"
        " WHERE e.title = ANY(%s)",
        [titles],
    )


def _drain(stack: Stack, titles: list[str], *, limit: float) -> float | None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        rows = _final(stack, titles)
        if len(rows) == len(titles) and all(r[1] in ("ready", "failed") for r in rows):
            return time.monotonic()
        time.sleep(1)
    return None


def _report(
    stack: Stack,
    plan: Plan,
    samples: list[Sample],
    *,
    accepted: list[str],
    public: list[str],
    sampler: Sampler,
    t0: float,
    phases: dict[str, Any],
) -> dict[str, Any]:
    def of(kind: str, phase: str = "") -> list[Sample]:
        return [s for s in samples if s.kind == kind and (not phase or s.phase == phase)]

    def stats(chosen: list[Sample]) -> dict[str, Any]:
        times = [s.seconds for s in chosen]
        codes: dict[str, int] = {}
        for s in chosen:
            codes[str(s.status)] = codes.get(str(s.status), 0) + 1
        return {
            "count": len(chosen),
            "statuses": codes,
            "p50_s": percentile(times, 0.5),
            "p95_s": percentile(times, 0.95),
            "max_s": max(times) if times else None,
            "server_errors": sum(1 for s in chosen if s.status >= 500 or s.status == 0),
            "client_lag_p95_s": percentile([s.lag for s in chosen], 0.95),
        }

    steady_uploads = stats(of("upload", "steady"))
    burst = of("upload", "burst")
    burst_uploads = stats(burst)
    # 503 from nginx's per-address connection limit or the app, 429 from its rate limits.
    burst_unclean = [s for s in burst if s.status not in (302, 429, 503)]
    rows = {row[0]: row for row in _final(stack, accepted)}
    # Lost: answered 302 but no entry; unfinished: still waiting when the drain gave up.
    lost = [t for t in accepted if t not in rows]
    unfinished = [t for t in accepted if t in rows and rows[t][1] not in ("ready", "failed")]
    failed = {t: rows[t][2] for t in accepted if t in rows and rows[t][1] == "failed"}
    to_renditions = [float(r[3]) for r in rows.values() if r[1] == "ready" and r[3] is not None]
    steady_titles = {s.key for s in of("upload", "steady") if s.status == 302}
    steady_latency = [
        float(rows[t][3]) for t in steady_titles if t in rows and rows[t][3] is not None
    ]
    votes = of("vote")
    voted_pairs = {s.key for s in votes if s.status == 302}
    counted = stack.sql(
        "SELECT count(v.id), (SELECT coalesce(sum(e2.vote_count), 0) FROM contest_entry e2"
        "  JOIN photos_photo p2 ON p2.id = e2.photo_id WHERE p2.public_id::text = ANY(%s))"
        " FROM gallery_vote v JOIN contest_entry e ON e.id = v.entry_id"
        " JOIN photos_photo p ON p.id = e.photo_id WHERE p.public_id::text = ANY(%s)",
        [public, public],
    )[0]
    figures = {
        "plan": asdict(plan),
        "phases": phases,
        "uploads_steady": steady_uploads,
        "uploads_burst": burst_uploads,
        "burst_unclean_answers": len(burst_unclean),
        "accepted": len(accepted),
        "lost": len(lost),
        "unfinished_at_drain_limit": len(unfinished),
        "failed": failed,
        "upload_to_renditions_s": {
            "steady_p50": percentile(steady_latency, 0.5),
            "steady_p95": percentile(steady_latency, 0.95),
            "all_p95": percentile(to_renditions, 0.95),
            "all_max": max(to_renditions) if to_renditions else None,
        },
        "pages": stats(of("page")),
        "votes": {
            **stats(votes),
            "pairs_answered_302": len(voted_pairs),
            "vote_rows": int(counted[0]),
            "sum_vote_count": int(counted[1]),
        },
        "worker_rss_mb": {
            "max_process": round(sampler.max_child_rss, 1),
            "max_worker_total": round(sampler.max_group_rss, 1),
        },
        "max_queue_length": sampler.max_queue,
        "server_time": server_times(stack.workdir / "web.log"),
        "stack": {
            "web_workers": stack.config.web_workers,
            "renditions_concurrency": stack.config.groups.get("renditions"),
        },
    }
    drained = phases["drained_after_burst"]
    p95_up = steady_uploads["p95_s"]
    p95_ren = figures["upload_to_renditions_s"]["steady_p95"]  # type: ignore[index]
    p95_pages = figures["pages"]["p95_s"]  # type: ignore[index]
    figures["targets"] = {
        "0 lost": len(lost) == 0,
        "0 server errors": steady_uploads["server_errors"]
        + figures["pages"]["server_errors"]  # type: ignore[index]
        + figures["votes"]["server_errors"]  # type: ignore[index]
        == 0,
        "p95 upload answer < 1.5 s": p95_up is not None and p95_up < 1.5,
        "p95 upload to renditions < 30 s": p95_ren is not None and p95_ren < 30,
        "worker RSS < 400 MB (each process)": sampler.max_child_rss < 400,
        "burst: each accepted or a clean 429/503": not burst_unclean,
        "burst: queue drained < 5 min": drained is not None and drained < 300 and not unfinished,
        "pages p95 < 300 ms": p95_pages is not None and p95_pages < 0.3,
        "votes counted exactly once": int(counted[0]) == len(voted_pairs) == int(counted[1]),
    }
    return figures


ACCESS_LINE = re.compile(r'\\?"(GET|POST) (\S+) HTTP/[\d.]+\\?" (\d+) \S+ \\?"[^"\\]*\\?" (\d+)ms')


def server_times(web_log: Path) -> dict[str, Any]:
    """Gunicorn's own time per request (its access lines), apart from the wait before it:
    what a page costs a web process, so how many processes the rates need."""
    kinds: dict[str, list[float]] = {"upload": [], "page": [], "vote": []}
    for line in web_log.read_text(errors="replace").splitlines():
        found = ACCESS_LINE.search(line)
        if not found:
            continue
        method, path, _status, ms = found.groups()
        kind = (
            "upload"
            if method == "POST" and path.startswith("/concours/")
            else "vote"
            if method == "POST" and path.endswith("/vote/")
            else "page"
            if method == "GET" and (path.startswith("/photo/") or path.endswith("/galerie/"))
            else None
        )
        if kind:
            kinds[kind].append(int(ms) / 1000)
    return {
        kind: {
            "count": len(times),
            "p50_s": percentile(times, 0.5),
            "p95_s": percentile(times, 0.95),
            "busy_s": round(sum(times), 1),
        }
        for kind, times in kinds.items()
    }


def markdown(report: dict[str, Any]) -> str:
    plan = report["plan"]
    lines = [
        f"# Load test ({report['phases']['started']})",
        "",
        f"Plan: {plan['upload_rate']} uploads/s for {plan['upload_seconds']:.0f} s with "
        f"{plan['page_rate']} pages/s and {plan['vote_rate']} votes/s for "
        f"{plan['vote_seconds']:.0f} s, then a burst of {plan['burst_rate']} uploads/s for "
        f"{plan['burst_seconds']:.0f} s. Stack: {report['stack']['web_workers']} gunicorn "
        f"workers, {report['stack']['renditions_concurrency']} renditions processes.",
        "",
        "| Target | Met |",
        "|---|---|",
        *[f"| {name} | {'yes' if ok else '**no**'} |" for name, ok in report["targets"].items()],
        "",
        "| Figure | Value |",
        "|---|---|",
    ]

    def fmt(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    for section in ("uploads_steady", "uploads_burst", "pages", "votes"):
        for key, value in report[section].items():
            lines.append(f"| {section}.{key} | {fmt(value)} |")
    for key in (
        "accepted",
        "lost",
        "unfinished_at_drain_limit",
        "burst_unclean_answers",
        "max_queue_length",
    ):
        lines.append(f"| {key} | {report[key]} |")
    for key, value in report["upload_to_renditions_s"].items():
        lines.append(f"| upload_to_renditions_s.{key} | {fmt(value)} |")
    for key, value in report["worker_rss_mb"].items():
        lines.append(f"| worker_rss_mb.{key} | {value} |")
    for kind, figures in report.get("server_time", {}).items():
        for key, value in figures.items():
            lines.append(f"| gunicorn_time.{kind}.{key} | {fmt(value)} |")
    drained = report["phases"]["drained_after_burst"]
    lines.append(f"| queue drained after the burst (s) | {fmt(drained)} |")
    lines.append(f"| failed photos | {report['failed'] or 'none'} |")
    return "\n".join(lines) + "\n"


def stack_config(*, web_workers: int, renditions: int) -> StackConfig:
    return StackConfig(
        database="coverline_load",
        # A campaign's riders come from many addresses; here they all are 127.0.0.1.
        conn_per_address=1000,
        web_workers=web_workers,
        groups={"renditions": renditions, "email": 1, "exports": 1, "default": 1},
        env={
            # Everything comes from one address here, and riders upload more than once an hour.
            "UPLOADS_PER_HOUR": "1000",
            "UPLOADS_PER_HOUR_PER_ADDRESS": "1000000",
            "VOTES_PER_HOUR": "1000",
            "VOTES_PER_HOUR_PER_ADDRESS": "1000000",
            "LOG_LEVEL": "WARNING",
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="30 s phases (CI)")
    for name, default in asdict(Plan()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=None)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--renditions-concurrency", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "reports")
    args = parser.parse_args()
    plan = Plan.short() if args.short else Plan()
    for name in asdict(plan):
        value = getattr(args, name)
        if value is not None:
            setattr(plan, name, value)
    config = stack_config(web_workers=args.web_workers, renditions=args.renditions_concurrency)
    print("starting the stack...")
    with Stack(config) as stack:
        report = run(stack, plan)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "load-short" if args.short else "load"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(report))
    print(markdown(report))
    print(f"written: {args.out / stem}.md and .json")
    return 0 if all(report["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
