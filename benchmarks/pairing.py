"""Pairing a new laptop, from the code entered to its first sync done (budget <= 10 s).

The coordinator is a separate `fieldkit device pair` process on an encrypted event of
N people (a person, a registration and two check-ins each, what a desk receives). The
new laptop's side runs in this process as `fieldkit init --pair` runs it: parse the code,
reach the coordinator at the code's address hint, pinned TLS + SPAKE2 + the sealed
enrollment, create its encrypted database, first sync. The floor is the bare part of
that: a laptop enrolled beforehand doing a TLS connect and the same first sync against
`fieldkit sync serve` on the same database. Also measured: the same with a stale address
hint (the coordinator found by mDNS on 127.0.0.1), and the whole `fieldkit init --pair`
command as a process (interpreter start included), which is what a person waits for.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._event import sample_template  # noqa: E402
from benchmarks.sync import PASSPHRASE, populate, serve_in_subprocess  # noqa: E402
from fieldkit.event import create_event  # noqa: E402
from fieldkit.store import open_store  # noqa: E402
from sync.enroll import enroll_device, join_event  # noqa: E402
from sync.pairing import join_by_code  # noqa: E402
from sync.pairing_code import parse_code  # noqa: E402
from sync.transport import sync_with  # noqa: E402

LOOPBACK = ["127.0.0.1"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "FIELDKIT_PASSPHRASE": PASSPHRASE}


class PairingCoordinator:
    """`fieldkit device pair NAME` in its own process; `code` once it shows one."""

    def __init__(self, db: Path, name: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fieldkit", "device", "pair", name, "--role", "desk", "--db", str(db),
             "--interface", "127.0.0.1"],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line.startswith("Pairing code: "):
                self.code = line.split(": ", 1)[1].strip()
                return
        self.process.kill()
        raise SystemExit(f"fieldkit device pair showed no code: {self.process.stderr.read()}")

    def done(self) -> None:
        if self.process.wait(timeout=60) != 0:
            raise SystemExit(f"fieldkit device pair failed: {self.process.stderr.read()}")


def pair_in_process(code_text: str, db: Path, *, stale_hint: bool = False) -> tuple[float, float, float]:
    """Seconds from the code entered to the first sync done, as `fieldkit init --pair` does it,
    and of those the pairing protocol's and the database creation's."""
    started = time.perf_counter()
    code = parse_code(code_text)
    if stale_hint:
        code = replace(code, port=1)  # nothing listens there: mDNS must find the coordinator
    enrollment = join_by_code(code, interfaces=LOOPBACK)
    enrolled = time.perf_counter()
    store = join_event(db, PASSPHRASE, enrollment.bundle)
    created = time.perf_counter()
    summary = sync_with(store, enrollment.host, enrollment.sync_port)
    elapsed = time.perf_counter() - started
    store.close()
    assert summary.received > 0, summary
    return elapsed, enrolled - started, created - enrolled


def pair_as_process(code_text: str, db: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fieldkit", "init", "--pair", code_text, "--db", str(db), "--interface", "127.0.0.1"],
        env=ENV, check=True, capture_output=True, timeout=120,
    )
    return time.perf_counter() - started


def floor(coordinator_db: Path, db: Path, name: str) -> float:
    """Seconds for a TLS connect and the same first sync by a laptop enrolled beforehand."""
    coordinator = open_store(coordinator_db, PASSPHRASE)
    laptop = join_event(db, PASSPHRASE, enroll_device(coordinator, name, "desk"))
    coordinator.close()
    server, port = serve_in_subprocess(coordinator_db)
    started = time.perf_counter()
    sync_with(laptop, "127.0.0.1", port)
    elapsed = time.perf_counter() - started
    server.wait(timeout=60)
    laptop.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Tiny sizes, for a smoke run in CI.")
    args = parser.parse_args()
    people, rounds = (50, 1) if args.quick else (2_000, 5)

    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-pairing-") as tmp:
        directory = Path(tmp)
        coordinator_db = directory / "coordinator.db"
        store = create_event(coordinator_db, sample_template(), PASSPHRASE)
        populate(store, people * 4)
        store.close()

        paired, floors = [], []
        for n in range(rounds):
            coordinator = PairingCoordinator(coordinator_db, f"desk-{n}")
            paired.append(pair_in_process(coordinator.code, directory / f"desk-{n}.db"))
            coordinator.done()
            floors.append(floor(coordinator_db, directory / f"floor-{n}.db", f"floor-{n}"))
        coordinator = PairingCoordinator(coordinator_db, "by-mdns")
        by_mdns = pair_in_process(coordinator.code, directory / "by-mdns.db", stale_hint=True)[0]
        coordinator.done()
        coordinator = PairingCoordinator(coordinator_db, "by-command")
        by_command = pair_as_process(coordinator.code, directory / "by-command.db")
        coordinator.done()

    pairing, protocol, creating = (statistics.median(part) for part in zip(*paired))
    bare = statistics.median(floors)
    print(f"pairing, code entered to first sync done ({people:,} people, {rounds} rounds): median {pairing:.2f} s"
          f" (budget 10 s); bare TLS connect + the same first sync: {bare:.3f} s; ratio {pairing / bare:.1f}x")
    print(f"  of which the pairing protocol (TLS, SPAKE2, enrollment on the coordinator): {protocol:.3f} s;"
          f" creating the encrypted database: {creating:.3f} s")
    print(f"with a stale address hint (coordinator found by mDNS): {by_mdns:.2f} s")
    print(f"`fieldkit init --pair` as a process, interpreter start included: {by_command:.2f} s (budget 10 s)")


if __name__ == "__main__":
    main()
