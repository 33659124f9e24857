"""An upload burst on a stack with one gunicorn worker (bench/stack.py, real processes): nginx
lets through at most WEB_MAX_CONNS requests at a time (deploy/nginx/coverline.conf.template)
and answers the rest at once with a clean 503, Retry-After and a page in French and English,
never a 502 or 504 after a wait; nothing is made for a refused upload, nothing lost for an
accepted one, and the site serves normally once the burst is over. The same 503 when gunicorn
is down or the address holds too many connections (nothing reached the app); a 503 without
Retry-After, saying to look first, when gunicorn had the request but never answered."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import service_missing
from tests.faults.conftest import _services_missing
from tests.images import SHARED_PHOTOS

from stack import Rider, Stack, StackConfig, wait_for  # isort: skip  (bench/, on sys.path)

pytestmark = pytest.mark.slow

# 4 MB, a phone's own file: long enough to upload and check that the one worker is busy
# while the others arrive.
PHOTO = SHARED_PHOTOS / "jpeg_xiaomi-mi9t_orient6.jpg"
BURST = 16


@dataclass
class Overload:
    stack: Stack
    contest: str
    riders: list[dict[str, str]]
    used: int = 0

    def rider(self) -> Rider:
        """A signed-in rider nobody used yet, with the upload form's CSRF cookie already."""
        rider = Rider(self.stack, self.riders[self.used]["session"])
        self.used += 1
        assert rider.csrf(f"/concours/{self.contest}/envoyer/")
        return rider

    def entries(self, titles: list[str]) -> list[str]:
        rows = self.stack.sql("SELECT title FROM contest_entry WHERE title = ANY(%s)", [titles])
        return [row[0] for row in rows]


@pytest.fixture(scope="module")
def overload() -> Iterator[Overload]:
    missing = _services_missing()
    if missing:
        service_missing(missing)
    config = StackConfig(
        database=f"coverline_overload_{os.getpid()}",
        drop_at_stop=True,
        own_redis=True,
        web_workers=1,
        web_max_conns=2,
        # The photos wait in the queue: what is tested is the web side.
        groups={},
        beat=False,
        env={
            "UPLOADS_PER_HOUR": "10000",
            "UPLOADS_PER_HOUR_PER_ADDRESS": "10000",
        },
    )
    with Stack(config) as stack:
        seeded = stack.seed(riders=BURST + 6, prefix="surcharge")
        yield Overload(stack=stack, contest=seeded["contest"], riders=seeded["riders"])


def burst(overload: Overload, count: int) -> list[tuple[str, Any]]:
    """`count` riders send the photo at the same moment; (title, answer) of each."""
    riders = [overload.rider() for _ in range(count)]
    data = PHOTO.read_bytes()
    answers: list[tuple[str, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def send(rider: Rider) -> None:
        title = f"rafale-{uuid.uuid4().hex[:12]}"
        start.wait()
        answer = rider.upload(overload.contest, (PHOTO.name, data), title=title)
        with lock:
            answers.append((title, answer))

    threads = [threading.Thread(target=send, args=(rider,)) for rider in riders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == count
    return answers


def assert_overloaded_page(answer: Any) -> None:
    assert answer.status_code == 503
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.headers["Cache-Control"] == "no-store"
    page = answer.text
    assert "Un instant, s’il vous plaît" in page
    assert "Rien n’a été enregistré" in page
    assert "Please wait a moment" in page
    # Nothing of the server: no version, no upstream address, no path.
    for secret in ("nginx", "gunicorn", "127.0.0.1", "upstream", "/etc/"):
        assert secret not in page.lower()


def test_it_answers_a_burst_with_entries_or_a_clean_503_and_loses_nothing(
    overload: Overload,
) -> None:
    answers = burst(overload, BURST)
    statuses = [answer.status_code for _, answer in answers]
    assert set(statuses) <= {302, 429, 503}, statuses
    accepted = [title for title, answer in answers if answer.status_code == 302]
    refused = [title for title, answer in answers if answer.status_code != 302]
    # One worker, two places: some went through, the others were turned away at once.
    assert accepted, statuses
    assert refused, statuses
    for _, answer in answers:
        if answer.status_code == 503:
            assert_overloaded_page(answer)
            # Refused before gunicorn: not after a wait of proxy_send_timeout.
            assert answer.elapsed.total_seconds() < 20
    # One entry for each upload answered 302, none for a refused one.
    assert sorted(overload.entries([title for title, _ in answers])) == sorted(accepted)
    # Once the burst is over, the site serves as usual.
    assert overload.stack.get("/healthz")[0] == 200
    title = f"apres-{uuid.uuid4().hex[:12]}"
    answer = overload.rider().upload(overload.contest, PHOTO, title=title)
    assert answer.status_code == 302, answer.text[:500]
    assert overload.entries([title]) == [title]


def test_it_asks_for_a_resend_later_when_gunicorn_is_not_there(overload: Overload) -> None:
    stack = overload.stack
    rider = overload.rider()
    stack.stop_process("web")
    try:
        title = f"arret-{uuid.uuid4().hex[:12]}"
        answer = rider.upload(overload.contest, PHOTO, title=title)
        # Never connected: nothing reached the app, so "send it again later" is safe.
        assert_overloaded_page(answer)
        assert overload.entries([title]) == []
    finally:
        stack.restart_process("web")
        wait_for(stack.healthy, timeout=60, what="gunicorn back")


def test_it_does_not_invite_a_resend_when_gunicorn_had_the_request(overload: Overload) -> None:
    stack = overload.stack
    rider = overload.rider()
    web = stack.procs["web"].popen
    assert web is not None
    # Gunicorn frozen: the kernel still accepts nginx's connection into its backlog, and the
    # request is sent there; then gunicorn dies with it unanswered (as a worker killed at
    # its timeout after the commit would: nginx cannot tell which).
    os.killpg(web.pid, signal.SIGSTOP)
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(rider.get("/mes-photos/")))
    try:
        thread.start()
        time.sleep(3)
        stack.kill_group("web")
        thread.join(timeout=30)
    finally:
        stack.restart_process("web")
        wait_for(stack.healthy, timeout=60, what="gunicorn back")
    (answer,) = answers
    assert answer.status_code == 503
    assert "Retry-After" not in answer.headers
    assert "Mes photos" in answer.text
    assert "My photos" in answer.text
    assert "Rien n’a été enregistré" not in answer.text


def test_it_asks_for_a_resend_later_past_the_connections_of_one_address(
    overload: Overload,
) -> None:
    stack = overload.stack
    # Uploads that never finish sending their body hold the address's 30 connections
    # (limit_conn per_address); nginx itself refuses the next request, nothing reached the app.
    held = []
    try:
        for _ in range(30):
            raw = socket.create_connection(("127.0.0.1", stack.https_port), timeout=10)
            sock = stack.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")
            sock.sendall(
                b"POST /concours/charge/envoyer/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Length: 100000\r\n\r\n"
            )
            held.append(sock)
        wait_for(
            lambda: Rider(stack).get("/healthz").status_code == 503,
            timeout=10,
            what="a 503 past the address's connections",
        )
        assert_overloaded_page(Rider(stack).get("/healthz"))
    finally:
        for sock in held:
            sock.close()
    wait_for(stack.healthy, timeout=30, what="the connections given back")
