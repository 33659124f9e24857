"""The production files agree with each other and with the settings (Dockerfile, compose,
nginx). Docker's daemon is not needed: the files are read, `docker compose config` and
`nginx -t` run where their clients are installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.config.compose import COMPOSE_FILE, ROOT, resolve, services

NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "coverline.conf.template"
DOCKERFILE = ROOT / "Dockerfile"


def stages() -> dict[str, str]:
    """The Dockerfile's stages by name: {"builder": "FROM ...\n...", ...}."""
    text = DOCKERFILE.read_text()
    parts = re.split(r"^(?=FROM )", text, flags=re.MULTILINE)
    found = {}
    for part in parts:
        match = re.match(r"FROM \S+ AS (\w+)", part)
        if match:
            found[match.group(1)] = part
    return found


def directives(name: str) -> list[str]:
    """The values of an nginx directive, wherever it appears in the template."""
    return re.findall(rf"^\s*{name}\s+([^;]+);", NGINX_TEMPLATE.read_text(), flags=re.MULTILINE)


def test_it_runs_every_part_of_the_system() -> None:
    names = set(services())
    assert {
        "web",
        "worker-renditions",
        "worker-email",
        "worker-exports",
        "worker-default",
        "beat",
        "postgres",
        "redis",
        "minio",
        "buckets",
        "nginx",
    } <= names
    web = services()["web"]
    assert "gunicorn" not in str(web.get("command", ""))  # the image's CMD, below
    assert "replicas" in services()["worker-renditions"]["deploy"]
    assert resolve(services()["beat"]["deploy"]["replicas"]) == "1"
    assert "mc mb" in services()["buckets"]["command"][0]


def test_redis_keeps_every_job_and_never_evicts_one() -> None:
    command = [resolve(part) for part in services()["redis"]["command"]]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert any(
        v["source"] if isinstance(v, dict) else v.split(":")[0] == "redisdata"
        for v in services()["redis"]["volumes"]
    )


def test_the_image_runs_as_a_user_with_everything_baked_in() -> None:
    app = stages()["app"]
    assert stages()["builder"].startswith("FROM python:3.11-slim AS builder")
    assert app.startswith("FROM python:3.11-slim AS app")
    users = re.findall(r"^USER\s+(\S+)", app, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0", "0:0")
    assert "pip wheel" in stages()["builder"]
    assert "--no-index" in app  # the runtime installs the builder's wheels, nothing else
    assert "collectstatic --noinput" in app
    assert "pybabel compile" in app
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (.+)$", app, flags=re.MULTILINE | re.DOTALL)
    assert healthcheck and "deploy/healthcheck.py" in healthcheck.group(1)
    assert "/healthz" in (ROOT / "deploy" / "healthcheck.py").read_text()
    assert re.search(r'^CMD \["gunicorn", "-c", "config/gunicorn.py"', app, flags=re.MULTILINE)
    # nginx serves what collectstatic wrote, from its own image.
    assert "COPY --from=app /app/staticfiles /srv/static" in stages()["nginx"]
    assert "alias /srv/static/;" in NGINX_TEMPLATE.read_text()


def test_nginx_takes_exactly_the_bodies_the_app_takes() -> None:
    assert directives("client_max_body_size") == ["${REQUEST_MAX_BYTES}"]
    app_value = resolve(services()["web"]["environment"]["REQUEST_MAX_BYTES"])
    nginx_value = resolve(services()["nginx"]["environment"]["REQUEST_MAX_BYTES"])
    assert nginx_value == app_value == str(settings.REQUEST_MAX_BYTES)


def test_nginx_buffers_slow_uploads_and_cuts_off_stalled_ones() -> None:
    assert directives("proxy_request_buffering") == ["on"]
    (body_timeout,) = directives("client_body_timeout")
    assert 10 <= int(body_timeout.rstrip("s")) <= 60
    assert directives("send_timeout")
    # Renditions come from the bucket, never from Django; originals are named nowhere.
    text = NGINX_TEMPLATE.read_text()
    assert "proxy_pass http://object_store/${MEDIA_BUCKET}/media/renditions/;" in text
    config = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert "originals" not in config.lower()
    assert not re.search(r"location[^{]*/media/[^{]*\{\s*proxy_pass http://coverline_web", text)


def test_compose_gives_nginx_every_variable_of_its_template() -> None:
    # The image leaves a variable it is not given as it is, and nginx then refuses to start.
    wanted = set(re.findall(r"\$\{(\w+)\}", NGINX_TEMPLATE.read_text()))
    assert wanted <= set(services()["nginx"]["environment"])


def _rendered_nginx_conf(tmp_path: Path) -> Path:
    """The template as the nginx image renders it, with test certificates and paths."""
    values = {
        "SITE_HOST": "concours.example.org",
        "MEDIA_HOST": "photos.concours.example.org",
        "REQUEST_MAX_BYTES": str(settings.REQUEST_MAX_BYTES),
        "MEDIA_BUCKET": "coverline-media",
        "S3_UPSTREAM": "127.0.0.1:9",
        "WEB_UPSTREAM": "127.0.0.1:9",
        "WEB_MAX_CONNS": "6",
    }
    text = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], NGINX_TEMPLATE.read_text())
    text = text.replace("/etc/nginx/certs", str(tmp_path)).replace("/srv/static/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(text)
    shutil.copy(NGINX_TEMPLATE.with_name("coverline-media.inc"), tmp_path)
    key, cert = str(tmp_path / "privkey.pem"), str(tmp_path / "fullchain.pem")
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*openssl, "-subj", "/CN=test", "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  client_body_temp_path {tmp_path}/body;\n"
        f"  proxy_temp_path {tmp_path}/proxy;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    return main


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if not nginx or not shutil.which("openssl"):
        pytest.skip("Debian's nginx (apt-get install nginx-light) and openssl are needed")
    main = _rendered_nginx_conf(tmp_path)
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("the docker client with its compose plugin is needed")
    env_file = str(ROOT / ".env.example")  # every variable the file requires, with a value
    done = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "--env-file", env_file, "config", "-q"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
