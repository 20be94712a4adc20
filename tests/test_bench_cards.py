"""Smoke run of the referral-cards benchmark, so it never rots (figures are not asserted)."""

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_cards_benchmark_runs_quick():
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "cards.py"), "--quick"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "ratio  vector / no QR" in done.stdout and "QR decoded                20 of 20" in done.stdout
