"""Reading docker-compose.prod.yml as compose would: YAML, then `${VAR:-default}` defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.prod.yml"

_VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def resolve(value: object) -> str:
    """A value with every `${VAR:-default}` replaced by its default (the file as shipped)."""
    return _VARIABLE.sub(lambda m: m.group(2) or "", str(value))


def services() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    return dict(data["services"])


def worker_queues(service: dict[str, Any]) -> set[str]:
    """The queues a `celery worker -Q a,b` command consumes; empty when not a worker."""
    command = [resolve(part) for part in service.get("command") or []]
    if "worker" not in command or "-Q" not in command:
        return set()
    return set(command[command.index("-Q") + 1].split(","))
