"""The sync benchmark runs end to end at a tiny size (--quick) and prints its figures with ratios."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_sync_benchmark_quick():
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "sync.py"), "--quick"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "first sync of 2,005 changes" in done.stdout and "ratio" in done.stdout
    assert "bytes on the wire per change" in done.stdout
    assert "10 new changes into a peer holding 200" in done.stdout
