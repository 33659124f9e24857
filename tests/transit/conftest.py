"""The real GTFS feeds of ../shared/data/gtfs, and broken copies of them in tmp_path."""

from __future__ import annotations

import csv
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

GTFS = Path(__file__).resolve().parents[3] / "shared" / "data" / "gtfs"
GOOGLE = GTFS / "google-sample-feed-1"
NANTES = GTFS / "nantes-tan-2016"


def data_rows(path: Path) -> int:
    """Rows of a GTFS file under its header, counted by the csv module itself."""
    with path.open(encoding="utf-8-sig", newline="") as text:
        return sum(1 for row in csv.reader(text) if row) - 1


def edit_line(path: Path, number: int, old: str, new: str) -> None:
    """Replaces `old` by `new` on line `number` (1 is the header), which must hold it."""
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    assert old in lines[number - 1], (old, lines[number - 1])
    lines[number - 1] = lines[number - 1].replace(old, new)
    path.write_bytes("".join(lines).encode("utf-8"))


def drop_lines(path: Path, keep: Callable[[str], bool]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if keep(line)), encoding="utf-8")


def zip_folder(folder: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
        for name, data in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return target


@pytest.fixture
def feed_copy(tmp_path: Path) -> Callable[[Path], Path]:
    """A copy of a real feed (its data files, not SOURCE.md) that a test may break."""

    def copy(feed: Path) -> Path:
        target = tmp_path / f"copy-{feed.name}"
        shutil.copytree(feed, target, ignore=shutil.ignore_patterns("*.md"))
        return target

    return copy
