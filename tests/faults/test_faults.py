"""Faults on the production topology (bench/stack.py), real processes on loopback.

In every case each upload that was answered with success ends in exactly one final state
(published renditions, or failed with a reason), with no duplicate rows, files or e-mails,
and a photo sent afterwards is processed normally (Faults.assert_consistent, .control).
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.conftest import PHONE_PHOTOS, Faults
from tests.images import SHARED_PHOTOS

pytestmark = pytest.mark.slow


def test_it_finishes_a_photo_whose_worker_was_killed_in_the_middle(
    stack_faults: Faults,
) -> None:
    faults = stack_faults
    titles = faults.upload(PHONE_PHOTOS[:3])
    assert len(titles) == 3
    # The machine dies while a photo is being decoded: the worker and its children at once.
    faults_wait_processing(faults, titles)
    faults.stack.kill_group("worker-renditions")
    faults.stack.start_worker("renditions")
    # acks_late: the message the dead worker held comes back after the visibility timeout.
    faults.wait_final(titles, timeout=150)
    assert faults.statuses(titles) == ["ready"] * 3
    faults.assert_consistent(titles)
    faults.control()


def test_it_keeps_the_queued_photos_when_redis_restarts(stack_faults: Faults) -> None:
    faults = stack_faults
    faults.stack.stop_process("worker-renditions")
    titles = faults.upload(PHONE_PHOTOS[3:6])
    assert len(titles) == 3
    assert faults.stack.redis().llen("renditions") == 3
    # A clean restart (append-only file, as in production): the queue is still there.
    faults.stack.stop_process("redis")
    faults.stack.start_redis()
    faults.stack.start_worker("renditions")
    faults.wait_final(titles, timeout=90)
    assert faults.statuses(titles) == ["ready"] * 3
    faults.assert_consistent(titles)
    faults.control()


def test_it_recovers_every_photo_from_the_database_when_the_queue_is_lost(
    stack_faults: Faults,
) -> None:
    faults = stack_faults
    faults.stack.stop_process("worker-renditions")
    titles = faults.upload(PHONE_PHOTOS[:3])
    assert len(titles) == 3
    # Redis comes back empty (a failover to a blank replica): the messages are gone.
    faults.stack.redis().flushdb()
    faults.stack.start_worker("renditions")
    time.sleep(5)
    assert set(faults.statuses(titles)) == {"received"}
    # The sweep, once the photos have waited PHOTO_STUCK_AFTER, sends them again.
    faults.backdate(titles)
    faults.sweep()
    faults.wait_final(titles, timeout=90)
    assert faults.statuses(titles) == ["ready"] * 3
    faults.assert_consistent(titles)
    faults.control()


def test_it_makes_each_rendition_once_when_a_task_comes_twice_at_once(
    stack_faults: Faults,
) -> None:
    faults = stack_faults
    faults.stack.stop_process("worker-renditions")
    titles = faults.upload(PHONE_PHOTOS[:2])
    assert len(titles) == 2
    for _entry, photo_id, *_rest in faults.photos(titles):
        faults.stack.celery_call("photos.tasks.process_photo", photo_id, queue="renditions")
    assert faults.stack.redis().llen("renditions") == 4
    # Two processes, two copies of each task: both run at once.
    faults.stack.start_worker("renditions")
    faults.wait_final(titles, timeout=90)
    time.sleep(3)  # the slower copy finishes (and drops its files) too
    assert faults.statuses(titles) == ["ready"] * 2
    faults.assert_consistent(titles)
    faults.control()


def test_it_retries_the_storage_until_it_comes_back(stack_faults: Faults) -> None:
    faults = stack_faults
    faults.storage.close()
    titles = faults.upload(PHONE_PHOTOS[4:6])
    assert len(titles) == 2
    # The worker cannot read the originals: each task gives its attempt back and retries.
    time.sleep(8)
    assert set(faults.statuses(titles)) == {"received"}
    faults.storage.open()
    # The first retry comes 60 s after the failure (photos.tasks.process_photo).
    faults.wait_final(titles, timeout=120)
    assert faults.statuses(titles) == ["ready"] * 2
    faults.assert_consistent(titles)
    faults.control()


def test_it_sends_each_email_once_when_the_mail_server_comes_back(
    stack_faults: Faults,
) -> None:
    faults = stack_faults
    from stack import Rider

    addresses = [f"courrier{n}-{time.time_ns()}@example.org" for n in range(3)]
    anonymous = Rider(faults.stack)
    for address in addresses:
        answer = anonymous.post("/connexion/", {"email": address})
        assert answer.status_code in (200, 302), answer.text[:500]
    titles = faults.upload(PHONE_PHOTOS[:1])
    time.sleep(5)
    # Refused by the closed port, the messages wait for their retry (30 s later).
    sent = faults.stack.sql(
        'SELECT "to", state FROM notifications_outboxmessage WHERE "to" = ANY(%s)',
        [addresses],
    )
    assert {state for _, state in sent} == {"pending"}, sent
    faults.smtp_start()
    wait_for_mail(faults, addresses, timeout=90)
    time.sleep(5)  # nothing more comes
    received = [m["To"] for m in faults.mailbox.received]
    assert sorted(a for a in received if a in addresses) == sorted(addresses)
    states = faults.stack.sql(
        'SELECT state FROM notifications_outboxmessage WHERE "to" = ANY(%s)', [addresses]
    )
    assert sorted(s for (s,) in states) == ["sent"] * 3
    faults.wait_final(titles, timeout=60)
    faults.assert_consistent(titles)
    faults.control()
    # And a new message goes at once.
    control = f"controle-{time.time_ns()}@example.org"
    assert anonymous.post("/connexion/", {"email": control}).status_code in (200, 302)
    wait_for_mail(faults, [control], timeout=30)


def test_it_picks_the_photos_up_again_once_postgresql_is_back(stack_faults: Faults) -> None:
    faults = stack_faults
    faults.postgres.close()
    titles = faults.upload(PHONE_PHOTOS[:3])
    assert len(titles) == 3
    time.sleep(8)  # the worker tried, and failed, to read them
    assert set(faults.statuses(titles)) == {"received"}
    faults.postgres.open()
    # No sweep: the task retries database errors itself, a minute later (photos.tasks).
    faults.wait_final(titles, timeout=180)
    assert faults.statuses(titles) == ["ready"] * 3
    faults.assert_consistent(titles)
    faults.control()


def test_it_survives_a_worker_terminated_while_busy(stack_faults: Faults) -> None:
    """A deployment's stop (TERM): the worker finishes or hands back what it holds."""
    faults = stack_faults
    titles = faults.upload([SHARED_PHOTOS / "jpeg_xiaomi-mi9t_orient6.jpg", *PHONE_PHOTOS[1:3]])
    faults_wait_processing(faults, titles)
    faults.stack.stop_process("worker-renditions", sig=signal.SIGTERM)
    faults.stack.start_worker("renditions")
    faults.wait_final(titles, timeout=150)
    assert faults.statuses(titles) == ["ready"] * 3
    faults.assert_consistent(titles)


def faults_wait_processing(faults: Faults, titles: list[str]) -> None:
    deadline = time.monotonic() + 60
    while "processing" not in faults.statuses(titles):
        assert time.monotonic() < deadline, faults.statuses(titles)
        time.sleep(0.05)


def wait_for_mail(faults: Faults, addresses: list[str], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not set(addresses) <= {m["To"] for m in faults.mailbox.received}:
        assert time.monotonic() < deadline, [m["To"] for m in faults.mailbox.received]
        time.sleep(0.5)
