"""Cold start of the app to its first interactive screen, against bare `import textual.app`.

Budget (DESIGN.md): <= 0.6 s. Each run is a fresh Python process that opens the
encrypted demo database (SQLCipher key derivation included), mounts the home screen and
exits as soon as the app reports it is ready.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import sys
from fieldkit.store import open_store
from fieldkit.tui.app import FieldKitApp

class ReadyThenExit(FieldKitApp):
    def on_ready(self) -> None:
        self.exit()

ReadyThenExit(open_store(sys.argv[1], sys.argv[2])).run(headless=True)
"""


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each (median is reported)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 runs each")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs

    from fieldkit.cli.event import DEMO_PASSPHRASE, make_demo

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        db = make_demo(Path(tmp))
        floor = [timed([sys.executable, "-c", "import textual.app"], env) for _ in range(runs)]
        app = [timed([sys.executable, "-c", CHILD, str(db), DEMO_PASSPHRASE], env) for _ in range(runs)]
    f, a = statistics.median(floor), statistics.median(app)
    print(f"floor  python -c 'import textual.app': median {f * 1000:7.1f} ms over {runs} runs")
    print(f"app    cold start to first screen:     median {a * 1000:7.1f} ms over {runs} runs")
    print(f"ratio  app / floor: {a / f:.2f}x   budget 600 ms: {'ok' if a <= 0.6 else 'OVER'}")


if __name__ == "__main__":
    main()
