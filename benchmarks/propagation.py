"""A check-in reaching every other laptop of three running continuous sync on loopback (budget p95 <= 2 s), and pairing.

Three encrypted laptops of one event (a coordinator and two desks enrolled beforehand)
each run `fieldkit sync auto --interface 127.0.0.1` as its own process: they find each
other by mDNS, nobody types an address. This process checks people in on each laptop in
turn at a steady rate, through the desk's own path (`Desk.scan` of a signed pass, a
durable commit to that laptop's database, as `fieldkit checkin` or the app does), and
watches the two other laptops' databases (one reader thread each, polling every 10 ms)
for the check-in's id. Propagation is the time from the commit to the check-in being on
the other laptop: p50, p95 and max over every (check-in, other laptop). The floor is one
bare `sync_with` session carrying one new change between two laptops on loopback, in
this process. Also: pairing a new laptop by code while the three run, from the code
entered to its first sync done (benchmarks/pairing.py's measurement; budget 10 s).

All of it shares this machine's cores with the three sync processes, which real laptops
would not: the figures are an upper bound.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._event import sample_template  # noqa: E402
from benchmarks._timing import percentile  # noqa: E402
from benchmarks.pairing import PairingCoordinator, pair_in_process  # noqa: E402
from benchmarks.sync import PASSPHRASE, serve_in_process  # noqa: E402
from fieldkit.checkin import Desk  # noqa: E402
from fieldkit.event import create_event  # noqa: E402
from fieldkit.store import open_store  # noqa: E402
from fieldkit.tokens import PASS, sign_token  # noqa: E402
from sync.enroll import enroll_device, join_event  # noqa: E402
from sync.transport import sync_with  # noqa: E402

BUDGET_SECONDS = 2.0
PAIRING_BUDGET_SECONDS = 10.0
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "FIELDKIT_PASSPHRASE": PASSPHRASE}


class Laptop:
    """`fieldkit sync auto` on one database, in its own process, until `stop()`."""

    def __init__(self, db: Path):
        self.db = db
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fieldkit", "sync", "auto", "--db", str(db), "--interface", "127.0.0.1",
             "--port", "0"],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if "Syncing automatically as" in line:
                self.ready.set()

    def stop(self) -> None:
        stop_gracefully(self.process)


def stop_gracefully(process: subprocess.Popen) -> int:
    """SIGTERM (`sync auto` takes it as Ctrl+C: withdrawn from mDNS, peers saved), SIGKILL if that hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return process.returncode


class Watcher:
    """Polls one laptop's database for check-in ids; `seen[id]` is when each first showed."""

    def __init__(self, db: Path):
        self.store = open_store(db, PASSPHRASE)
        self.wanted: set[str] = set()
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def expect(self, checkin_id: str) -> None:
        with self.lock:
            self.wanted.add(checkin_id)

    def _run(self) -> None:
        while not self.stopping.wait(0.01):
            with self.lock:
                wanted = list(self.wanted)
            if not wanted:
                continue
            marks = ", ".join("?" for _ in wanted)
            found = [r[0] for r in self.store.db.execute(f"SELECT id FROM checkins WHERE id IN ({marks})", wanted)]
            now = time.perf_counter()
            with self.lock:
                for checkin_id in found:
                    self.wanted.discard(checkin_id)
                    self.seen[checkin_id] = now

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.store.close()


def make_event(directory: Path, people: int) -> list[Path]:
    """A coordinator with `people` registrations and two desks enrolled from it; their database paths."""
    coordinator = create_event(directory / "coordinator.db", sample_template(), PASSPHRASE)
    with coordinator.transaction():
        for n in range(people):
            person = coordinator.set_record("people", None, {"display_name": f"P {n}", "search_name": f"p {n}"})
            coordinator.set_record("registrations", None, {"person_id": person, "source": "bench"})
    paths = [directory / "coordinator.db"]
    for name in ("desk-1", "desk-2"):
        join_event(directory / f"{name}.db", PASSPHRASE, enroll_device(coordinator, name, "desk")).close()
        paths.append(directory / f"{name}.db")
    coordinator.close()
    return paths


def passes(coordinator: Path, count: int) -> list[str]:
    store = open_store(coordinator, PASSPHRASE)
    try:
        ids = [r[0] for r in store.db.execute("SELECT id FROM registrations ORDER BY id LIMIT ?", [count])]
        return [sign_token(store, PASS, registration) for registration in ids]
    finally:
        store.close()


def bare_session(directory: Path, rounds: int) -> float:
    """Median seconds of one `sync_with` session bringing one new change, on loopback, in process."""
    source = open_store(directory / "coordinator.db", PASSPHRASE)
    target = join_event(directory / "floor.db", PASSPHRASE, enroll_device(source, "floor", "desk"))
    server, thread = serve_in_process(source)
    sync_with(target, *server.address)
    times = []
    for n in range(rounds):
        source.set_record("people", None, {"display_name": f"Floor {n}"})
        started = time.perf_counter()
        sync_with(target, *server.address)
        times.append(time.perf_counter() - started)
    server.close()
    thread.join(timeout=5)
    target.close()
    source.close()
    return statistics.median(times)


def propagate(paths: list[Path], codes: list[str], rate: float) -> list[float]:
    """Check in one pass every 1/rate s, on each laptop in turn; seconds until each reached each other laptop."""
    watchers = {db: Watcher(db) for db in paths}
    desks = {db: Desk(open_store(db, PASSPHRASE)) for db in paths}
    committed: list[tuple[str, Path, float]] = []
    try:
        next_at = time.perf_counter()
        for n, code in enumerate(codes):
            db = paths[n % len(paths)]
            time.sleep(max(0.0, next_at - time.perf_counter()))
            result = desks[db].scan(code)
            done = time.perf_counter()
            for other in paths:
                if other != db:
                    watchers[other].expect(result.checkin_id)
            committed.append((result.checkin_id, db, done))
            next_at += 1 / rate
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and any(w.wanted for w in watchers.values()):
            time.sleep(0.05)
    finally:
        for watcher in watchers.values():
            watcher.close()
        for desk in desks.values():
            desk.store.close()
    latencies = []
    for checkin_id, db, done in committed:
        for other in paths:
            if other != db:
                seen = watchers[other].seen.get(checkin_id)
                if seen is None:
                    raise SystemExit(f"a check-in made on {db.name} never reached {other.name} within 30 s")
                latencies.append(seen - done)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Tiny sizes, for a smoke run in CI.")
    args = parser.parse_args()
    people, seconds, rate = (60, 3, 2.0) if args.quick else (2_000, 30, 3.0)

    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-propagation-") as tmp:
        directory = Path(tmp)
        paths = make_event(directory, people)
        codes = passes(paths[0], int(seconds * rate))
        floor = bare_session(directory, 3 if args.quick else 20)
        laptops = [Laptop(db) for db in paths]
        try:
            for laptop in laptops:
                if not laptop.ready.wait(120):
                    raise SystemExit(f"fieldkit sync auto on {laptop.db.name} did not start")
            time.sleep(3)  # they find each other and make their first syncs
            latencies = propagate(paths, codes, rate)
            coordinator = PairingCoordinator(paths[0], "desk-new")
            pairing = pair_in_process(coordinator.code, directory / "desk-new.db")[0]
            coordinator.done()
        finally:
            for laptop in laptops:
                laptop.stop()

    p50, p95, worst = (percentile(latencies, 50), percentile(latencies, 95), max(latencies))
    print(f"propagation, 3 laptops on loopback running `fieldkit sync auto`, {len(codes)} check-ins at "
          f"{rate:g}/s over the three, {len(latencies)} arrivals:")
    print(f"  p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {worst * 1000:.0f} ms "
          f"(budget p95 {BUDGET_SECONDS:g} s; ratio p95/budget {p95 / BUDGET_SECONDS:.2f})")
    print(f"  one bare sync session bringing one change on loopback: {floor * 1000:.1f} ms; "
          f"ratio p50/bare session {p50 / floor:.1f}x")
    print(f"pairing while the three sync, code entered to first sync done: {pairing:.2f} s "
          f"(budget {PAIRING_BUDGET_SECONDS:g} s; ratio {pairing / PAIRING_BUDGET_SECONDS:.2f})")


if __name__ == "__main__":
    main()
