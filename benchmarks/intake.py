"""CPU used by the intake screen with 50 running timers, against the same app idle at home.

Budget (issue 5): < 5% of one core over 10 seconds. Each phase is a fresh headless
app process on an encrypted event database; CPU time is the process's own
(`time.process_time`, all threads) over a measured window after the screen settled.
The floor is the same app idle on the home screen for the same window.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSPHRASE = "benchmark-passphrase"
CHILD = """
import json, sys, time
from fieldkit.store import open_store
from fieldkit.tui.app import FieldKitApp

path, passphrase, mode, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

class Measured(FieldKitApp):
    def on_ready(self) -> None:
        if mode != "home":
            self.switch_mode(mode)
        self.set_timer(1.0, self.begin)  # let the screen mount and settle first

    def begin(self) -> None:
        self.start = (time.process_time(), time.perf_counter())
        self.set_timer(seconds, self.finish)

    def finish(self) -> None:
        cpu, wall = time.process_time() - self.start[0], time.perf_counter() - self.start[1]
        rows = len(self.screen.query("#intake-timers").first().rows) if mode == "intake" else 0
        self.exit({"cpu": cpu, "wall": wall, "rows": rows})

print(json.dumps(Measured(open_store(path, passphrase)).run(headless=True, size=(100, 60))))
"""


def measure(db: Path, mode: str, seconds: float) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), PASSPHRASE, mode, str(seconds)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=seconds + 60, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_event(directory: Path, timers: int) -> Path:
    from benchmarks._event import sample_template
    from fieldkit.event import create_event
    from fieldkit.intake.timers import start_timer

    path = directory / "bench.db"
    store = create_event(path, sample_template(), PASSPHRASE)
    try:
        for _ in range(timers):
            start_timer(store)
    finally:
        store.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=50, help="running timers on the intake screen")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per phase")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 timers, 1 second each")
    args = parser.parse_args()
    timers, seconds = (5, 1.0) if args.quick else (args.timers, args.seconds)

    with tempfile.TemporaryDirectory() as tmp:
        db = make_event(Path(tmp), timers)
        floor = measure(db, "home", seconds)
        intake = measure(db, "intake", seconds)
    if intake["rows"] != timers:
        raise SystemExit(f"the intake screen showed {intake['rows']} timers, expected {timers}")
    f_share, i_share = floor["cpu"] / floor["wall"], intake["cpu"] / intake["wall"]
    print(f"floor   home screen idle:                 {f_share * 100:6.2f}% of one core over {floor['wall']:.1f} s")
    print(f"intake  {timers} running timers, 1 s tick:    {i_share * 100:6.2f}% of one core over {intake['wall']:.1f} s")
    ratio = i_share / f_share if f_share else float("inf")
    print(f"ratio   intake / floor: {ratio:.2f}x   budget 5% of one core: {'ok' if i_share < 0.05 else 'OVER'}")


if __name__ == "__main__":
    main()
