"""Smoke run of the intake benchmark, so it never rots (figures are not asserted)."""

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_intake_benchmark_runs_quick():
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "intake.py"), "--quick"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "ratio   intake / floor" in done.stdout
