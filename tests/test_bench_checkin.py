"""Smoke run of the check-in benchmark, so it never rots (figures are not asserted)."""

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_checkin_benchmark_runs_quick():
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "checkin.py"), "--quick"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for label in ("domain Desk.scan", "app    Enter to result on screen", "search Desk.search"):
        assert label in done.stdout
    assert "ratio p50" in done.stdout
