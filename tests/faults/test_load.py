"""A few seconds of bench/load.py's plan on the fault tests' stack: what must hold at any
size (nothing lost, no server error, each burst answer clean, every vote counted once).
The timings are the full run's to judge (README "Load test"), not a shared CI machine's."""

from __future__ import annotations

import pytest

from tests.faults.conftest import Faults

pytestmark = pytest.mark.slow


def test_it_loses_nothing_and_counts_every_vote_once_under_load(stack_faults: Faults) -> None:
    from load import Plan, run

    plan = Plan(
        upload_rate=1.0,
        upload_seconds=8,
        page_rate=10.0,
        vote_rate=10.0,
        vote_seconds=6,
        double_tap_every=5,
        burst_rate=4.0,
        burst_seconds=3,
        drain_limit=180,
        public_entries=3,
    )
    report = run(stack_faults.stack, plan, log=lambda _line: None)
    targets = report["targets"]
    assert report["accepted"] == 20, report
    assert targets["0 lost"], report
    assert report["unfinished_at_drain_limit"] == 0, report
    assert targets["0 server errors"], report
    assert targets["burst: each accepted or a clean 429/503"], report
    assert targets["votes counted exactly once"], report["votes"]
    assert report["votes"]["pairs_answered_302"] == 60, report["votes"]
    assert not report["failed"], report["failed"]
