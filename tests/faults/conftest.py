"""The fault tests' stack: the production topology on loopback (bench/stack.py), once per run.

Real processes: nginx, gunicorn, one Celery worker per queue group, beat, a redis-server of
its own (restarted and emptied here, never the shared one), moto, PostgreSQL. The workers
reach PostgreSQL and S3 through TCP relays the tests cut and restore; e-mail goes to an SMTP
port the tests open (aiosmtpd) or leave closed (the mail server down).
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import service_missing
from tests.images import SHARED_PHOTOS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from stack import (
    MEDIA_BUCKET,
    POSTGRES,
    Rider,
    Stack,
    StackConfig,
    TcpProxy,
    free_port,
    wait_for,
)

# Phone photos of several makers and sizes (shared/data/photos/SOURCES.md).
PHONE_PHOTOS = [
    SHARED_PHOTOS / name
    for name in (
        "jpeg_xiaomi-mi9t_orient6.jpg",
        "jpeg_pixel-hdrplus_orient6_extended-xmp_icc.jpg",
        "jpeg_nokia8.3-5g_gps.jpg",
        "heic_iphone13promax_exif-orient6_irot.heic",
        "jpeg_orient3_landscape.jpg",
        "heic_iphone11promax_gps.heic",
    )
]
# The states a photo ends in: published (its renditions made) or failed with a reason.
FINAL = ("ready", "failed")


def _services_missing() -> str:
    """What the stack needs and is not here ("" when all is)."""
    try:
        import psycopg

        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except Exception:
        return "PostgreSQL at 127.0.0.1:5432 (role coverline)"
    for program in ("nginx", "redis-server", "openssl"):
        if not (shutil.which(program) or Path(f"/usr/sbin/{program}").exists()):
            return program
    if not (Path(sys.executable).parent / "moto_server").exists():
        return "moto_server"
    if not SHARED_PHOTOS.is_dir():
        return f"the shared photos ({SHARED_PHOTOS})"
    return ""


class Mailbox:
    """aiosmtpd's handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class Faults:
    stack: Stack
    postgres: TcpProxy
    storage: TcpProxy
    smtp_port: int
    contest: str
    riders: list[dict[str, str]]
    mailbox: Mailbox = field(default_factory=Mailbox)
    _next_rider: int = 0
    _smtp: Any = None

    # -- riders and uploads -----------------------------------------------------------------
    def rider(self) -> Rider:
        """A signed-in rider nobody used yet (each sends each photo once)."""
        rider = self.riders[self._next_rider]
        self._next_rider += 1
        return Rider(self.stack, rider["session"])

    def upload(self, photos: list[Path]) -> list[str]:
        """Uploads through nginx, one rider per photo; the titles of those answered 302."""
        titles = []
        for photo in photos:
            title = f"faute-{uuid.uuid4().hex[:12]}"
            answer = self.rider().upload(self.contest, photo, title=title)
            assert answer.status_code in (302, 429, 503), (answer.status_code, answer.text[:500])
            if answer.status_code == 302:
                titles.append(title)
        return titles

    # -- the database's truth -----------------------------------------------------------------
    def photos(self, titles: list[str]) -> list[tuple[Any, ...]]:
        """(entry id, photo id, public id, status, failure, title) of the entries so titled."""
        return self.stack.sql(
            "SELECT e.id, p.id, p.public_id::text, p.status, p.failure, e.title"
            " FROM contest_entry e JOIN photos_photo p ON p.id = e.photo_id"
            " WHERE e.title = ANY(%s) ORDER BY e.id",
            [titles],
        )

    def statuses(self, titles: list[str]) -> list[str]:
        return [row[3] for row in self.photos(titles)]

    def wait_final(self, titles: list[str], *, timeout: float) -> None:
        wait_for(
            lambda: (
                len(self.photos(titles)) == len(titles)
                and all(status in FINAL for status in self.statuses(titles))
            ),
            timeout=timeout,
            every=0.5,
            what=f"final states of {titles}: {self.statuses(titles)}",
        )

    def backdate(self, titles: list[str], minutes: int = 10) -> None:
        """As if the photos had waited `minutes` (PHOTO_STUCK_AFTER is 5): the sweep's turn."""
        self.stack.sql(
            "UPDATE photos_photo SET updated_at = updated_at - make_interval(mins => %s)"
            " WHERE id IN (SELECT photo_id FROM contest_entry WHERE title = ANY(%s))",
            [minutes, titles],
        )

    def sweep(self) -> None:
        """The beat job that re-enqueues stuck photos, sent through the broker as beat does."""
        self.stack.celery_call("photos.tasks.requeue_stuck_photos")

    def assert_consistent(self, titles: list[str]) -> None:
        """Each upload answered 302 ended once: one entry, one photo in a final state; a
        published one has one row and one stored file per rendition, nothing more."""
        rows = self.photos(titles)
        assert sorted(row[5] for row in rows) == sorted(titles), "one entry per upload"
        expected = self.stack.sql(
            "SELECT count(*) FROM (SELECT DISTINCT spec, format FROM photos_rendition) s"
        )[0][0]
        for _entry, photo_id, public_id, status, failure, title in rows:
            assert status in FINAL, (title, status)
            if status == "failed":
                assert failure, f"{title} failed without a reason"
                continue
            assert status == "ready" and not failure, (title, status, failure)
            renditions = self.stack.sql(
                "SELECT spec, format, file FROM photos_rendition WHERE photo_id = %s", [photo_id]
            )
            assert len(renditions) == expected, (title, renditions)
            assert len({(spec, fmt) for spec, fmt, _ in renditions}) == len(renditions)
            stored = self.stack.s3_keys(MEDIA_BUCKET, f"media/renditions/{public_id}/")
            assert sorted(stored) == sorted(f"media/{file}" for _, _, file in renditions), (
                f"{title}: files in storage other than its renditions' rows"
            )

    def control(self) -> None:
        """A photo sent after the fault is processed normally, within a minute."""
        titles = self.upload([SHARED_PHOTOS / "jpeg_orient8_portrait.jpg"])
        assert titles, "the control photo was refused"
        self.wait_final(titles, timeout=60)
        assert self.statuses(titles) == ["ready"]
        self.assert_consistent(titles)

    # -- the faults' switches -------------------------------------------------------------------
    def smtp_start(self) -> None:
        from aiosmtpd.controller import Controller

        if self._smtp is None:
            self._smtp = Controller(self.mailbox, hostname="127.0.0.1", port=self.smtp_port)
            self._smtp.start()

    def smtp_stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None

    def heal(self) -> None:
        """Everything back up, whatever a test left cut."""
        for proxy in (self.postgres, self.storage):
            if not proxy.is_open:
                proxy.open()
        if not self.stack.procs["redis"].running():
            self.stack.start_redis()
        for group in self.stack.config.groups:
            if not self.stack.procs[f"worker-{group}"].running():
                self.stack.start_worker(group)
        self.smtp_stop()


@pytest.fixture(scope="session")
def faults() -> Iterator[Faults]:
    missing = _services_missing()
    if missing:
        service_missing(missing)
    config = StackConfig(
        # A database of this run's own, dropped at the end: CI and a developer's run may
        # share one PostgreSQL server.
        database=f"coverline_faults_{os.getpid()}",
        drop_at_stop=True,
        own_redis=True,
        web_workers=2,
        # test_load.py's plan asks more than two workers can give for a few seconds, and
        # counts every answer: nginx's bound (4 x workers) would turn some away with a 503.
        # The bound is test_overload.py's to check; here the queue stays as deep as it was.
        web_max_conns=64,
        # One address sends everything (the load test's riders too): nginx's per-address
        # ceiling is not what is tested here (a loaded CI machine queues past 30).
        conn_per_address=1000,
        groups={"renditions": 2, "email": 1, "exports": 1, "default": 1},
        env={
            # One address sends everything here: the limits are not what is tested.
            "UPLOADS_PER_HOUR": "10000",
            "UPLOADS_PER_HOUR_PER_ADDRESS": "10000",
            "SIGNIN_RATE_PER_HOUR": "1000",
            "SIGNIN_RATE_PER_HOUR_PER_ADDRESS": "10000",
            # A killed worker's message comes back after this many seconds, not 15 minutes.
            "CELERY_VISIBILITY_TIMEOUT": "20",
            "EMAIL_TIMEOUT": "5",
        },
    )
    stack = Stack(config)
    smtp_port = free_port()
    stack.config.email_url = f"smtp://127.0.0.1:{smtp_port}"
    postgres = TcpProxy(5432)
    storage = TcpProxy(stack.moto_port)
    postgres.open()
    storage.open()
    db = config.database
    stack.config.worker_env = {
        "DATABASE_URL": f"postgres://coverline:coverline@127.0.0.1:{postgres.port}/{db}",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{storage.port}",
    }
    try:
        with stack:
            seeded = stack.seed(riders=60, prefix="faute")
            faults = Faults(
                stack=stack,
                postgres=postgres,
                storage=storage,
                smtp_port=smtp_port,
                contest=seeded["contest"],
                riders=seeded["riders"],
            )
            yield faults
            faults.smtp_stop()
    finally:
        postgres.close()
        storage.close()


@pytest.fixture
def stack_faults(faults: Faults) -> Iterator[Faults]:
    """The stack, healthy before and after the test."""
    faults.heal()
    yield faults
    faults.heal()
