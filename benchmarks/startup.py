"""Cold start of `fieldkit app` to its first interactive screen, against bare `import textual.app`.

Budget (DESIGN.md): <= 0.6 s and <= 3x the floor. Each run is a fresh Python process that
runs the real command, `fieldkit app --db DEMO`, as a person types it:

- passphrase given (from the environment, as `--passphrase-file` gives it): the command opens
  the encrypted database (SQLCipher's key derivation included) and the app opens on the
  laptop's first screen; live sync starts as it does at an event, on 127.0.0.1 only;
- passphrase asked: the app opens on its unlock screen.

The time is from starting the process to the moment Textual reports the app ready (its first
screen mounted and drawn), noted by a hook the child installs before anything is imported;
Textual's own TEXTUAL_PRESS then quits the app, and TEXTUAL_DRIVER runs it headless.
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

# Before anything is imported: when textual.app is imported (by the command), its App._ready
# is wrapped to print the wall-clock time; then the command runs as the console script would.
CHILD = """
import sys, time

class NoteReady:
    def find_spec(self, name, path=None, target=None):
        if name != "textual.app":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec
        spec = find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            ready = module.App._ready

            async def noted(app):
                print(f"ready-at {time.time()!r}", file=sys.stderr, flush=True)
                await ready(app)

            module.App._ready = noted

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, NoteReady())
from fieldkit.cli import main
main(sys.argv[1:])
"""


def to_ready(args: list[str], env: dict) -> float:
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, check=True, capture_output=True, text=True, timeout=60
    )
    noted = [float(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("ready-at ")]
    if not noted:
        raise SystemExit(f"the app never became ready: {done.stderr[-500:]}")
    return noted[0] - start


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each (median is reported)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 runs each")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs

    from fieldkit.cli.event import DEMO_PASSPHRASE, make_demo
    from fieldkit.cli.options import PASSPHRASE_ENV

    env = {
        **{k: v for k, v in os.environ.items() if k != PASSPHRASE_ENV},
        "PYTHONPATH": str(ROOT),
        "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
        "TEXTUAL_PRESS": "ctrl+q",
    }
    with tempfile.TemporaryDirectory() as tmp:
        db = make_demo(Path(tmp))
        command = ["app", "--db", str(db), "--interface", "127.0.0.1"]
        floor, given, asked = [], [], []
        for _ in range(runs):  # in turn, so all three see the same neighbours
            floor.append(timed([sys.executable, "-c", "import textual.app"], env))
            given.append(to_ready(command, {**env, PASSPHRASE_ENV: DEMO_PASSPHRASE}))
            asked.append(to_ready(command, env))
    f = statistics.median(floor)
    print(f"floor  python -c 'import textual.app'              median {f * 1000:6.1f} ms over {runs} runs")
    for label, times in (("passphrase given, to the first screen", given), ("passphrase asked, to the unlock screen", asked)):
        t = statistics.median(times)
        verdict = "ok" if t <= 0.6 and t <= 3 * f else "OVER"
        print(f"app    {label:<42} median {t * 1000:6.1f} ms  ratio {t / f:.2f}x  budget 0.6 s and 3x: {verdict}")


if __name__ == "__main__":
    main()
