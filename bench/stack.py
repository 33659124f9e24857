"""The production topology on loopback, without Docker (README "The stack on loopback").

Debian's nginx (deploy/nginx/coverline.conf.template, TLS with a throwaway certificate) in
front of gunicorn (config/gunicorn.py), one Celery worker per queue group as in
docker-compose.prod.yml, beat, against PostgreSQL (a database of its own, made and migrated
here), Redis (a database number of its own, or a redis-server of its own) and moto's S3
server. Used by the fault tests (tests/faults/), the load test (bench/load.py) and by hand:

    .venv/bin/python bench/stack.py up          # Ctrl-C stops everything
    make stack

From Python: `with Stack(StackConfig()) as stack: ...` starts it, waits for /healthz to
answer 200 through nginx, and stops it on the way out (TERM, a grace period, then KILL for
whatever is left of each process group).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import secrets
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
PYTHON = BIN / "python"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
POSTGRES = "postgres://coverline:coverline@127.0.0.1:5432"
MEDIA_BUCKET = "coverline-stack-media"
ORIGINALS_BUCKET = "coverline-stack-originals"
# The queue groups of docker-compose.prod.yml, with fewer processes (two cores here).
QUEUE_GROUPS = {"renditions": 2, "email": 1, "exports": 1, "default": 1}
QUEUE_OF_GROUP = {"renditions": "renditions", "email": "email", "exports": "exports"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Any, *, timeout: float, every: float = 0.2, what: str = "") -> Any:
    """Calls `check` until it returns something truthy; raises TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what or check}")
        time.sleep(every)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class TcpProxy:
    """A TCP relay on loopback that can be cut (new connections refused, open ones closed)
    and restored on the same port: a network partition between a process and a service."""

    def __init__(self, target_port: int, *, port: int = 0) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        return self._listener is not None

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not, and
            # that accept() would still take one more connection.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                for sock in (a, b):
                    self._sockets.discard(sock)
                    sock.close()


@dataclass
class StackConfig:
    database: str = "coverline_stack"
    # Broker and cache: database numbers of the shared Redis, or None with own_redis.
    redis_port: int = 6379
    broker_db: int = 12
    cache_db: int = 13
    # A redis-server of its own on a free port (the fault tests restart and empty it), with
    # the production broker's settings: append-only file, noeviction.
    own_redis: bool = False
    web_workers: int = 3
    # nginx's max_conns to gunicorn (the template's WEB_MAX_CONNS); None: 4 x web_workers, as
    # .env.example advises.
    web_max_conns: int | None = None
    groups: dict[str, int] = field(default_factory=lambda: dict(QUEUE_GROUPS))
    beat: bool = True
    # Extra environment for every process of the app, and for the Celery workers only (the
    # fault tests route the workers to PostgreSQL or S3 through a TcpProxy).
    env: dict[str, str] = field(default_factory=dict)
    worker_env: dict[str, str] = field(default_factory=dict)
    email_url: str = "consolemail://"
    # Drop and recreate the database, and flush the broker and cache databases, at start.
    fresh: bool = True
    # Drop the database when the stack stops (a name of the run's own, as the fault tests'
    # is: two runs on one PostgreSQL server must never share, or drop, each other's).
    drop_at_stop: bool = False
    # Where logs, certificates and nginx's files go (a new temporary folder by default).
    workdir: Path | None = None
    # Also the HTTPS port of nginx (0: a free one).
    port: int = 0
    # nginx's ceiling of open connections per client address (the template's 30), raised by
    # the load test, whose many riders all come from 127.0.0.1.
    conn_per_address: int | None = None


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class Stack:
    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.workdir = Path(self.config.workdir or tempfile.mkdtemp(prefix="coverline-stack-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        self.https_port = self.config.port or free_port()
        self.http_port = free_port()
        self.web_port = free_port()
        self.moto_port = free_port()
        self.redis_port = free_port() if self.config.own_redis else self.config.redis_port
        self.procs: dict[str, Proc] = {}
        self._secret = secrets.token_urlsafe(40)
        self.site_url = f"https://127.0.0.1:{self.https_port}"
        # The media host: another name for loopback, so another origin for the browser.
        self.media_host = f"localhost:{self.https_port}"
        self.cert = self.workdir / "certs" / "fullchain.pem"
        self.database_url = f"{POSTGRES}/{self.config.database}"
        self.s3_url = f"http://127.0.0.1:{self.moto_port}"

    # -- environment ------------------------------------------------------------------------
    @property
    def broker_url(self) -> str:
        db = 0 if self.config.own_redis else self.config.broker_db
        return f"redis://127.0.0.1:{self.redis_port}/{db}"

    @property
    def cache_url(self) -> str:
        db = 1 if self.config.own_redis else self.config.cache_db
        return f"rediscache://127.0.0.1:{self.redis_port}/{db}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of the app's processes, as docker-compose.prod.yml gives it."""
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        env = {
            **keep,
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "0",
            "SECRET_KEY": self._secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": self.site_url,
            "SITE_URL": self.site_url,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CACHE_URL": self.cache_url,
            "AWS_STORAGE_BUCKET_NAME": MEDIA_BUCKET,
            "AWS_ORIGINALS_BUCKET_NAME": ORIGINALS_BUCKET,
            "AWS_S3_ENDPOINT_URL": self.s3_url,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_S3_CUSTOM_DOMAIN": self.media_host,
            "MEDIA_ORIGIN": f"https://{self.media_host}",
            "BEHIND_TLS_PROXY": "1",
            "TRUSTED_PROXY_HOPS": "1",
            "LOG_FORMAT": "json",
            "EMAIL_URL": self.config.email_url,
            "COVERLINE_VAR_DIR": str(self.workdir / "var"),
            # Gunicorn's control socket goes to $HOME/.gunicorn: one per stack.
            "HOME": str(self.workdir),
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "WEB_CONCURRENCY": str(self.config.web_workers),
            **self.config.env,
            **extra,
        }
        return env

    # -- life cycle -------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        (self.workdir / "var").mkdir(exist_ok=True)
        if self.config.own_redis:
            self.start_redis()
        self._flush_redis()
        self._start_moto()
        self._prepare_database()
        self._collectstatic()
        self._nginx_config()
        self._spawn(
            "web",
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
            self.env(),
        )
        for group in self.config.groups:
            self.start_worker(group, wait=False)
        if self.config.beat:
            self._spawn(
                "beat",
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "beat",
                    "--loglevel=INFO",
                    "-s",
                    str(self.workdir / "var" / "celerybeat-schedule"),
                ],
                self.env(**self.config.worker_env),
            )
        self._spawn(
            "nginx",
            [
                NGINX,
                "-p",
                str(self.workdir),
                "-c",
                str(self.workdir / "nginx.conf"),
                "-e",
                str(self.workdir / "nginx-error.log"),
            ],
            {"PATH": os.environ.get("PATH", "")},
        )
        wait_for(self.healthy, timeout=90, every=0.5, what="/healthz through nginx")
        for group in self.config.groups:
            self.wait_worker(group)

    def stop(self) -> None:
        """TERM to every process, in the order a deployment stops them, then KILL leftovers."""
        order = [n for n in ("nginx", "web", "beat") if n in self.procs]
        order += [n for n in self.procs if n.startswith("worker-")]
        order += [n for n in self.procs if n not in order]
        for name in order:
            self.stop_process(name, wait=False)
        deadline = time.monotonic() + 30
        for name in order:
            proc = self.procs[name]
            if proc.popen is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            self._kill_group(proc)
        if self.config.drop_at_stop:
            self._drop_database()

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name=name, args=args, env=env, log=self.workdir / f"{name}.log")
        self.procs[name] = proc
        self.restart_process(name)
        return proc

    def restart_process(self, name: str) -> None:
        proc = self.procs[name]
        with proc.log.open("ab") as log:
            # A process group of its own: its children (prefork pool, gunicorn workers, nginx
            # workers) are stopped with it, and a Ctrl-C in the terminal reaches us only.
            proc.popen = subprocess.Popen(
                proc.args,
                cwd=REPO,
                env=proc.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop_process(self, name: str, *, sig: int = signal.SIGTERM, wait: bool = True) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.popen is None:
            return
        if proc.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.popen.pid, sig)
        if wait:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=60)
            self._kill_group(proc)

    def kill_group(self, name: str) -> None:
        """SIGKILL to the process and all its children at once (a machine that dies)."""
        proc = self.procs[name]
        self._kill_group(proc)

    @staticmethod
    def _kill_group(proc: Proc) -> None:
        if proc.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)

    # -- the parts ----------------------------------------------------------------------------
    def start_worker(self, group: str, *, wait: bool = True) -> None:
        name = f"worker-{group}"
        ready = self.workdir / "var" / f"{name}.ready"
        ready.unlink(missing_ok=True)
        if name in self.procs:
            self.restart_process(name)
        else:
            queue = QUEUE_OF_GROUP.get(group, "celery")
            args = [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "-n",
                f"{group}@%h",
                f"--concurrency={self.config.groups.get(group, 1)}",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
            ]
            if group == "renditions":
                args.append("--max-memory-per-child=600000")
            env = self.env(COVERLINE_WORKER_READY_FILE=str(ready), **self.config.worker_env)
            self._spawn(name, args, env)
        if wait:
            self.wait_worker(group)

    def wait_worker(self, group: str) -> None:
        ready = self.workdir / "var" / f"worker-{group}.ready"
        wait_for(ready.exists, timeout=90, what=f"the {group} worker")

    def worker_pids(self, group: str) -> list[int]:
        """The worker's main process and its pool's children."""
        proc = self.procs[f"worker-{group}"]
        if not proc.running() or proc.pid is None:
            return []
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True
        ).stdout
        return [proc.pid, *[int(p) for p in out.split()]]

    def rss_mb(self, group: str) -> float:
        """Resident memory of the worker and its children, in MB."""
        total = 0
        for pid in self.worker_pids(group):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def start_redis(self) -> None:
        data = self.workdir / "redis"
        data.mkdir(exist_ok=True)
        args = [
            REDIS_SERVER,
            "--bind", "127.0.0.1",
            "--port", str(self.redis_port),
            "--dir", str(data),
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--maxmemory-policy", "noeviction",
        ]  # fmt: skip
        if "redis" in self.procs:
            self.restart_process("redis")
        else:
            self._spawn("redis", args, {"PATH": os.environ.get("PATH", "")})
        wait_for(lambda: self.redis().ping(), timeout=20, what="redis-server")

    def redis(self, db: int | None = None) -> Any:
        import redis

        number = db if db is not None else int(self.broker_url.rsplit("/", 1)[1])
        return redis.Redis(host="127.0.0.1", port=self.redis_port, db=number)

    def _flush_redis(self) -> None:
        if self.config.fresh:
            self.redis().flushdb()
            self.redis(int(self.cache_url.rsplit("/", 1)[1])).flushdb()

    def _start_moto(self) -> None:
        self._spawn(
            "moto",
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.moto_port)],
            {**os.environ},
        )
        wait_for(lambda: port_open(self.moto_port), timeout=60, what="moto_server")
        s3 = self.s3()
        for bucket in (MEDIA_BUCKET, ORIGINALS_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def s3(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's
        )

    def s3_keys(self, bucket: str, prefix: str = "") -> list[str]:
        keys: list[str] = []
        for page in (
            self.s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        ):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return keys

    def _prepare_database(self) -> None:
        import psycopg

        name = self.config.database
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and self.config.fresh:
                conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
                exists = None
            if not exists:
                conn.execute(f"CREATE DATABASE {name}")
        self.manage("migrate", "--noinput", quiet=True)

    def _drop_database(self) -> None:
        import psycopg

        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn,
        ):
            conn.execute(f"DROP DATABASE IF EXISTS {self.config.database} WITH (FORCE)")

    def manage(self, *args: str, quiet: bool = False, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [str(PYTHON), "manage.py", *args],
            cwd=REPO,
            env=env or self.env(),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
        return "" if quiet else done.stdout

    def sql(self, query: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """Rows of the stack's database (the tests' own view of the truth)."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def _collectstatic(self) -> None:
        # The manifest storage of production: pages name hashed files, nginx serves them.
        self.manage("collectstatic", "--noinput", quiet=True)

    def _nginx_config(self) -> None:
        certs = self.workdir / "certs"
        certs.mkdir(exist_ok=True)
        if not self.cert.exists():
            subprocess.run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(certs / "privkey.pem"), "-out", str(self.cert),
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                ],
                check=True,
                capture_output=True,
            )  # fmt: skip
        template = (REPO / "deploy" / "nginx" / "coverline.conf.template").read_text()
        values = {
            "SITE_HOST": "127.0.0.1",
            "MEDIA_HOST": "localhost",
            "REQUEST_MAX_BYTES": self.env().get("REQUEST_MAX_BYTES", str(525336576)),
            "MEDIA_BUCKET": MEDIA_BUCKET,
            "S3_UPSTREAM": f"127.0.0.1:{self.moto_port}",
            "WEB_UPSTREAM": f"127.0.0.1:{self.web_port}",
            "WEB_MAX_CONNS": str(self.config.web_max_conns or 4 * self.config.web_workers),
        }
        conf = re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
        # Loopback ports instead of 80 and 443; no IPv6 listener.
        conf = re.sub(r"^\s*listen \[::\]:.*\n", "", conf, flags=re.M)
        conf = re.sub(r"listen 80 ", f"listen 127.0.0.1:{self.http_port} ", conf)
        conf = re.sub(r"listen 443 ", f"listen 127.0.0.1:{self.https_port} ", conf)
        conf = conf.replace("/etc/nginx/certs/", f"{certs}/")
        conf = conf.replace("alias /srv/static/;", f"alias {REPO / 'staticfiles'}/;")
        conf = conf.replace(
            "/etc/nginx/coverline-errors/", f"{REPO / 'deploy' / 'nginx' / 'errors'}/"
        )
        conf = conf.replace("/dev/stdout", str(self.workdir / "nginx-access.log"))
        if self.config.conn_per_address:
            conf, found = re.subn(
                r"limit_conn per_address \d+;",
                f"limit_conn per_address {self.config.conn_per_address};",
                conf,
            )
            assert found, "the template has no limit_conn per_address any more"
        leftover = re.findall(r"\$\{\w+\}", conf)
        assert not leftover, f"nginx template variables not set: {leftover}"
        (self.workdir / "coverline.conf").write_text(conf)
        shutil.copy(REPO / "deploy" / "nginx" / "coverline-media.inc", self.workdir)
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        temp = self.workdir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        (self.workdir / "nginx.conf").write_text(
            f"""{user}
worker_processes 2;
daemon off;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.workdir}/coverline.conf;
}}
"""
        )
        subprocess.run(
            [
                NGINX,
                "-t",
                "-q",
                "-p",
                str(self.workdir),
                "-c",
                str(self.workdir / "nginx.conf"),
                "-e",
                str(self.workdir / "nginx-error.log"),
            ],
            check=True,
            capture_output=True,
        )

    # -- probes ---------------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def get(self, path: str, *, timeout: float = 10) -> tuple[int, bytes]:
        request = urllib.request.Request(self.site_url + path)  # noqa: S310 - our own https URL
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=timeout, context=self.ssl_context()
            ) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def healthy(self) -> bool:
        status, _ = self.get("/healthz", timeout=10)
        return status == 200

    def celery_call(self, task: str, *args: Any, queue: str | None = None) -> None:
        """Sends a task as any process of the app would (`celery call`), through the broker."""
        command = [str(BIN / "celery"), "-A", "config", "call", task, "--args", json.dumps(args)]
        if queue:
            command += ["--queue", queue]
        subprocess.run(command, cwd=REPO, env=self.env(), check=True, capture_output=True)

    def seed(self, **options: Any) -> dict[str, Any]:
        """Riders with sessions, a contest, public entries to vote on (bench/stack_seed.py)."""
        args = [str(PYTHON), str(REPO / "bench" / "stack_seed.py"), json.dumps(options)]
        done = subprocess.run(args, cwd=REPO, env=self.env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{done.stderr[-4000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def describe(self) -> dict[str, Any]:
        return {
            "site": self.site_url + "/",
            "media": f"https://{self.media_host}/media/",
            "certificate": str(self.cert),
            "database": self.database_url,
            "broker": self.broker_url,
            "s3": self.s3_url,
            "workdir": str(self.workdir),
            "pids": {name: proc.pid for name, proc in self.procs.items()},
        }


class Rider:
    """A signed-in rider's browser (requests): the session a sign-in link left, the CSRF
    cookie of the pages it opened, and Origin/Referer as a browser sends them over HTTPS."""

    def __init__(self, stack: Stack, session_key: str | None = None, *, timeout: float = 60):
        import requests

        self.site = stack.site_url
        self.http = requests.Session()
        # Per request: the session's own `verify` loses to REQUESTS_CA_BUNDLE in the environment.
        self.verify = str(stack.cert)
        self.timeout = timeout
        if session_key:
            self.http.cookies.set("sessionid", session_key, domain="127.0.0.1", path="/")

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get(
            self.site + path,
            timeout=self.timeout,
            allow_redirects=False,
            verify=self.verify,
            **kwargs,
        )

    def csrf(self, page: str) -> str:
        token = self.http.cookies.get("csrftoken")
        # A person whose form page was turned away (nginx's 503) loads it again after the
        # wait before posting anything: no post without the form's cookie.
        for _attempt in range(10):
            if token:
                break
            answer = self.get(page)
            token = self.http.cookies.get("csrftoken")
            if not token and getattr(answer, "status_code", 0) == 503:
                time.sleep(min(float(answer.headers.get("Retry-After") or 1), 10.0))
        return str(token or "")

    def post(self, path: str, data: dict[str, str], *, page: str | None = None, **kw: Any) -> Any:
        page = page or path
        data = {**data, "csrfmiddlewaretoken": self.csrf(page)}
        headers = {"Origin": self.site, "Referer": self.site + page}
        return self.http.post(
            self.site + path,
            data=data,
            headers=headers,
            timeout=self.timeout,
            allow_redirects=False,
            verify=self.verify,
            **kw,
        )

    def upload(self, contest: str, photo: Path | tuple[str, bytes], *, title: str) -> Any:
        """The upload form posted with one photo; the answer (302 to "my photos" on success)."""
        path = f"/concours/{contest}/envoyer/"
        name, data = (photo.name, photo.read_bytes()) if isinstance(photo, Path) else photo
        fields = {
            "photos-TOTAL_FORMS": "1",
            "photos-INITIAL_FORMS": "0",
            "photos-MIN_NUM_FORMS": "1",
            "photos-MAX_NUM_FORMS": "1",
            "photos-0-title": title,
            "photos-0-caption": "Une photo du banc d'essai.",
        }
        return self.post(path, fields, files={"photos-0-photo": (name, data)})

    def vote(self, public_id: str) -> Any:
        return self.post(f"/photo/{public_id}/vote/", {}, page=f"/photo/{public_id}/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the stack and keep it up until Ctrl-C (or TERM)")
    up.add_argument("--port", type=int, default=8443, help="nginx's HTTPS port (0: any)")
    up.add_argument("--database", default="coverline_stack")
    up.add_argument("--keep", action="store_true", help="keep the database as it is")
    up.add_argument("--seed", type=int, default=0, help="riders to create, with sessions")
    args = parser.parse_args()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    config = StackConfig(database=args.database, port=args.port, fresh=not args.keep, workdir=None)
    with Stack(config) as stack:
        print(json.dumps(stack.describe(), indent=2))
        if args.seed:
            seeded = stack.seed(riders=args.seed)
            print(json.dumps({k: v for k, v in seeded.items() if k != "riders"}, indent=2))
            print(
                f"{len(seeded['riders'])} riders; their session cookies: "
                f"{stack.workdir / 'riders.json'}"
            )
            (stack.workdir / "riders.json").write_text(json.dumps(seeded["riders"]))
        print(f"Coverline is up on {stack.site_url}/ (logs in {stack.workdir}); Ctrl-C stops it.")
        try:
            while not stopping.wait(1):
                dead = [name for name, proc in stack.procs.items() if not proc.running()]
                if dead:
                    print(f"stopped by itself: {', '.join(dead)} (see its log)", file=sys.stderr)
                    return 1
        except KeyboardInterrupt:
            pass
        print("stopping...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
