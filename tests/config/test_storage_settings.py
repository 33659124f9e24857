"""Production storage settings: the riders' originals never share a public bucket by mistake."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _start(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST"))}
    env.update({"DEBUG": "0", "SECRET_KEY": "x" * 50, **variables})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_refuses_to_start_when_originals_would_share_the_public_bucket() -> None:
    started = _start(AWS_STORAGE_BUCKET_NAME="coverline-photos")
    assert started.returncode != 0
    assert "Originals would share the public bucket" in started.stderr


@pytest.mark.parametrize(
    "variables",
    [
        {"AWS_ORIGINALS_BUCKET_NAME": "coverline-originals"},
        {"AWS_ORIGINALS_SHARED_BUCKET_IS_PRIVATE": "1"},
    ],
)
def test_it_starts_with_a_private_bucket_for_originals(variables: dict[str, str]) -> None:
    started = _start(AWS_STORAGE_BUCKET_NAME="coverline-photos", **variables)
    assert started.returncode == 0, started.stderr
