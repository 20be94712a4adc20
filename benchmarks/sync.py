"""Sync over loopback TLS: a first sync of 100k changes, proven and not, 10 new changes into big peers, bytes per change.

Budgets (DESIGN.md): first sync of 100,000 changes, provenance verified, <= 5 s; 10 new
changes into a peer holding 100,000 <= 100 ms and no slower than into one holding 10,000
by more than 1.5x. The first sync is printed against the same sync into a second laptop
with proving switched off (`sync.trust.unverified()`, for this benchmark only: the sender
still signs, the receiver neither proves nor checks authority), and against copying the
same rows (synced tables, change log, field clocks) between two plain sqlite3 files with
executemany, measured in the same run. All databases are SQLCipher-encrypted event
databases, enrolled from one event; the serving laptop is a separate `fieldkit sync serve`
process, as on two laptops.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
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
from fieldkit.event import create_event  # noqa: E402
from fieldkit.store import new_id, open_store  # noqa: E402
from sync.enroll import enroll_device, join_event  # noqa: E402
from sync.transport import SyncServer, sync_with  # noqa: E402
from sync.trust import unverified  # noqa: E402

PASSPHRASE = "benchmark passphrase"
COPIED_TABLES = ("people", "registrations", "checkins", "changes", "field_clocks")


def populate(store, changes: int) -> None:
    """`changes` changes: per person a name, a registration and two check-ins (one a repeat)."""
    with store.transaction():
        for n in range(changes // 4):
            person = store.set_record("people", None, {"display_name": f"Person {n}", "search_name": f"person {n}"})
            registration = store.set_record("registrations", None, {"person_id": person, "source": "bench"})
            for repeat in (None, "first"):
                store.append_fact("checkins", {
                    "registration_id": registration, "person_id": person, "nonce": new_id(), "method": "pass",
                    "desk": store.device_name, "checked_in_at": "2026-12-05T10:00:00+00:00", "repeat_of": repeat,
                })


def event_pair(directory: Path, name: str, changes: int, *, peers: int = 1):
    """A coordinator holding `changes` changes and enrolled practitioner laptops holding none
    (the first, or a list of `peers` of them)."""
    template = sample_template()
    source = create_event(directory / f"{name}-source.db", template, PASSPHRASE)
    targets = [
        join_event(directory / f"{name}-target{n}.db", PASSPHRASE, enroll_device(source, f"peer-{n}", "practitioner"))
        for n in range(peers)
    ]
    populate(source, changes)
    return (source, targets[0]) if peers == 1 else (source, targets)


def serve_in_process(store) -> tuple[SyncServer, threading.Thread]:
    server = SyncServer(store, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    return server, thread


def serve_in_subprocess(db: Path, *, once: bool = True) -> tuple[subprocess.Popen, int]:
    """`fieldkit sync serve` on a free port, for one session or (not `once`) until interrupted."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FIELDKIT_PASSPHRASE": PASSPHRASE}
    server = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "sync", "serve", "--db", str(db), "--port", "0", *(["--once"] if once else [])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = server.stdout.readline()
    if "127.0.0.1:" not in line:
        server.kill()
        raise SystemExit("fieldkit sync serve did not start")
    return server, int(line.split("127.0.0.1:")[1].split()[0])


def copy_floor(source_db: Path, directory: Path) -> float:
    """Seconds to copy the same rows between two plain sqlite3 files with executemany."""
    store = open_store(source_db, PASSPHRASE)
    plain_a, plain_b = directory / "floor-a.db", directory / "floor-b.db"
    a, b = sqlite3.connect(plain_a), sqlite3.connect(plain_b)
    for conn in (a, b):
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    for table in COPIED_TABLES:
        (create,) = store.db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()
        a.execute(create)
        b.execute(create)
        rows = store.db.execute(f"SELECT * FROM [{table}]").fetchall()
        a.executemany(f"INSERT INTO [{table}] VALUES ({', '.join('?' * len(rows[0]))})", rows)
    a.commit()
    b.commit()
    store.close()
    started = time.perf_counter()
    for table in COPIED_TABLES:
        rows = a.execute(f"SELECT * FROM [{table}]").fetchall()
        b.executemany(f"INSERT INTO [{table}] VALUES ({', '.join('?' * len(rows[0]))})", rows)
    b.commit()
    elapsed = time.perf_counter() - started
    a.close()
    b.close()
    return elapsed


def first_sync(source_path: Path, target):
    """(summary, seconds) of `target`'s first sync from a `fieldkit sync serve` process."""
    server, port = serve_in_subprocess(source_path)
    started = time.perf_counter()
    summary = sync_with(target, "127.0.0.1", port)
    seconds = time.perf_counter() - started
    server.wait(timeout=60)
    return summary, seconds


def ten_new_changes(source, target, rounds: int) -> float:
    """Median seconds for `sync with` to bring 10 new changes into `target`."""
    server, thread = serve_in_process(source)
    host, port = server.address
    sync_with(target, host, port)  # start level
    times = []
    for _ in range(rounds):
        populate(source, 8)
        source.set_record("people", None, {"display_name": "One more"})
        source.set_record("people", None, {"display_name": "And one more"})
        started = time.perf_counter()
        summary = sync_with(target, host, port)
        times.append(time.perf_counter() - started)
        assert summary.received == 10, summary
    server.close()
    thread.join(timeout=5)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Tiny sizes, for a smoke run in CI.")
    args = parser.parse_args()
    big, small, rounds = (2_000, 200, 3) if args.quick else (100_000, 10_000, 7)

    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-sync-") as tmp:
        directory = Path(tmp)
        source, (target, unproven_target) = event_pair(directory, "big", big, peers=2)
        source_path = source.path
        source.close()

        first, first_seconds = first_sync(source_path, target)
        with unverified():
            unproven, unproven_seconds = first_sync(source_path, unproven_target)
        unproven_target.close()
        floor = copy_floor(source_path, directory)
        per_change = first.bytes_received / max(first.received, 1)
        print(f"first sync of {first.received:,} changes over loopback TLS, provenance verified:"
              f" {first_seconds:.2f} s (budget 5 s); the same sync unverified: {unproven_seconds:.2f} s;"
              f" ratio {first_seconds / unproven_seconds:.2f}x")
        print(f"executemany copy of the same rows between plain sqlite3 files: {floor:.3f} s;"
              f" ratio of the verified first sync to it {first_seconds / floor:.1f}x")
        print(f"bytes on the wire per change (frames, first sync): {per_change:.0f}"
              f" (unverified run: {unproven.bytes_received / max(unproven.received, 1):.0f})")

        source = open_store(source_path, PASSPHRASE)
        at_big = ten_new_changes(source, target, rounds)
        source.close()
        target.close()
        small_source, small_target = event_pair(directory, "small", small)
        at_small = ten_new_changes(small_source, small_target, rounds)
        small_source.close()
        small_target.close()
        print(f"10 new changes into a peer holding {small:,}: {at_small * 1000:.1f} ms;"
              f" holding {big:,}: {at_big * 1000:.1f} ms (budget 100 ms);"
              f" ratio {at_big / at_small:.2f} (budget 1.5)")


if __name__ == "__main__":
    main()
