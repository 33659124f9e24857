"""`make run` as a newcomer runs it: on a port of their choice, then stopped with Ctrl-C.

The real Makefile recipe runs here (migrate, demo, web server, worker and beat) in a folder of
its own, on SQLite and the filesystem broker, in a process group of its own as a terminal
would start it. Only the install and translation steps are skipped (`make -o`): `make test`
has just done them.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

READY = "Ctrl-C stops the web server, the worker and beat."
# What the operator's shell may hold that would point the dev run at other services.
NOT_PASSED = ("PYTEST", "DATABASE_URL", "CELERY_", "SITE_URL", "REDIS", "AWS_", "CACHE_URL")


@dataclass
class DevRun:
    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"{text!r} never came; make run printed:\n{self.output[-6000:]}")
            time.sleep(0.2)
        return self.output

    def stop(self, sig: signal.Signals, *, group: bool) -> float:
        """Sends sig (to the whole group, as a terminal's Ctrl-C does); seconds until all ended."""
        start = time.monotonic()
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        self.process.wait(timeout=60)
        while _group_alive(self.process.pid) and time.monotonic() - start < 60:
            time.sleep(0.1)
        return time.monotonic() - start


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(var_dir: Path) -> DevRun:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_PASSED)}
    env.update({"COVERLINE_VAR_DIR": str(var_dir), "PORT": str(port)})
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-o", "install", "-o", "messages", "run"],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = DevRun(process=process, port=port)
    assert process.stdout is not None
    reader = threading.Thread(
        target=lambda: run.lines.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    return run


def _kill(run: DevRun) -> None:
    # Whatever a failed test left running; the group is the run's own.
    if _group_alive(run.process.pid):
        os.killpg(run.process.pid, signal.SIGKILL)
    run.process.wait(timeout=30)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("make-run")


@pytest.fixture(scope="module")
def dev_run(var_dir: Path) -> Iterator[DevRun]:
    run = _start(var_dir)
    try:
        run.wait_for(READY, timeout=300)
        yield run
    finally:
        _kill(run)


def test_it_prints_a_login_per_staff_role_after_the_worker_and_server_are_up(
    dev_run: DevRun,
) -> None:
    output = dev_run.output
    logins = output.index("Staff logins")
    assert re.search(r"celery@\S+ ready\.", output[:logins]), output
    assert "Quit the server with" in output[:logins]
    base = f"http://127.0.0.1:{dev_run.port}"
    assert f"Coverline is ready on {base}/" in output[logins - 400 :]
    for line in (
        f"Moderator   {base}/moderation/",
        "user: moderation ",
        "user: marketing ",
        "user: jury ",
        f"Juror       {base}/connexion/lien/?jeton=",
    ):
        assert line in output[logins:], line
    # Nothing but the reminder of how to stop comes after the logins.
    assert output.rstrip().endswith(READY)


def test_it_mails_a_sign_in_link_to_its_own_port_printed_plainly(dev_run: DevRun) -> None:
    base = f"http://127.0.0.1:{dev_run.port}"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{base}/connexion/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    form = {"csrfmiddlewaretoken": token.group(1), "email": "lea@example.org", "next": "/"}
    sent = browser.open(
        urllib.request.Request(
            f"{base}/connexion/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": f"{base}/connexion/"},
        ),
        timeout=30,
    )
    assert sent.status == 200
    dev_run.wait_for("To: lea@example.org", timeout=60)
    # The whole message is printed once its text part's link is (the HTML part follows it).
    output = dev_run.wait_for("/connexion/lien/?jeton=", timeout=60)
    mail = output[output.rindex("\nSubject: ") :]
    # The e-mail as an e-mail: its headers start their lines, no log prefix before them.
    assert "\nSubject: " in mail
    assert "\nTo: lea@example.org\n" in mail
    assert "WARNING/" not in mail
    assert re.search(rf"\n{re.escape(base)}/connexion/lien/\?jeton=\S+&suite=%2F\n", mail), mail


def test_it_stops_every_process_within_seconds_on_ctrl_c(dev_run: DevRun) -> None:
    seen = len(dev_run.output)
    seconds = dev_run.stop(signal.SIGINT, group=True)
    assert seconds < 15
    assert not _group_alive(dev_run.process.pid)
    after = dev_run.output[seen:]
    assert "Segmentation fault" not in after
    assert "Traceback" not in after
    assert dev_run.process.returncode in (0, -signal.SIGINT), after


def test_it_stops_every_process_within_seconds_when_make_is_terminated(
    dev_run: DevRun, var_dir: Path
) -> None:
    # A second run in the same folder: the demo is already there, so it starts fast.
    if dev_run.process.poll() is None:
        dev_run.stop(signal.SIGINT, group=True)
    run = _start(var_dir)
    try:
        run.wait_for(READY, timeout=300)
        seen = len(run.output)
        # `kill <make's pid>`, as a supervisor or `timeout` does: make passes it on.
        seconds = run.stop(signal.SIGTERM, group=False)
        assert seconds < 15
        assert not _group_alive(run.process.pid)
        after = run.output[seen:]
        assert "Segmentation fault" not in after
        assert "Traceback" not in after
    finally:
        _kill(run)
