"""Every benchmark runs once at a tiny size (`--quick`), so none of them rots.

Figures are never asserted (speed is measured by the benchmarks, not by timed tests);
each must finish and print its ratio to the floor it measures in the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

# Modules starting with "_" are helpers the scripts share, not benchmarks.
BENCHMARKS = sorted(p for p in (REPO_ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_runs_quick_and_prints_a_ratio(script):
    done = subprocess.run(
        [sys.executable, str(script), "--quick"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ratio" in done.stdout.lower(), done.stdout
