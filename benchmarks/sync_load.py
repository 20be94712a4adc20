"""A real laptop's sync with a server holding 50 idle connections, against the same sync unloaded.

Budget (DESIGN.md): a sync server under 50 idle or hostile connections still syncs a
real peer, in at most 2x its unloaded time. The server is a separate `fieldkit sync
serve` process; each timed sync is the first sync of a newly enrolled laptop, so every
round moves the same changes. For a loaded sync, 50 plain TCP connections are opened to
the server and left silent (as a stranger on the clinic's Wi-Fi would), and stay open
until the sync is done: "held open" gives the server 0.25 s to accept them first (well
within its 5 s handshake deadline, so all 50 are still there during the sync); "arriving
with it" starts the sync at once, so it also pays for the server taking them on (a
thread each, about 1 ms). Unloaded and loaded syncs alternate.
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._event import sample_template  # noqa: E402
from benchmarks._timing import time_each  # noqa: E402
from benchmarks.sync import PASSPHRASE, populate, serve_in_subprocess  # noqa: E402
from fieldkit.event import create_event  # noqa: E402
from sync.enroll import enroll_device, join_event  # noqa: E402
from sync.transport import sync_with  # noqa: E402

IDLE_CONNECTIONS = 50
SETTLE_SECONDS = 0.25


@contextmanager
def idle_connections(address: tuple[str, int], settle: float):
    """IDLE_CONNECTIONS silent TCP connections to `address`, open while the block runs."""
    idle = [socket.create_connection(address, timeout=10) for _ in range(IDLE_CONNECTIONS)]
    try:
        time.sleep(settle)
        yield
    finally:
        for sock in idle:
            sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Tiny sizes, for a smoke run in CI.")
    args = parser.parse_args()
    changes, rounds = (400, 2) if args.quick else (20_000, 5)

    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-sync-load-") as tmp:
        directory = Path(tmp)
        source = create_event(directory / "coordinator.db", sample_template(), PASSPHRASE)
        populate(source, changes)
        laptops = [
            join_event(directory / f"laptop-{n}.db", PASSPHRASE, enroll_device(source, f"laptop-{n}", "practitioner"))
            for n in range(3 * rounds)
        ]
        source_path = source.path
        source.close()
        server, port = serve_in_subprocess(source_path, once=False)
        address = ("127.0.0.1", port)

        def first_sync(laptop) -> None:
            summary = sync_with(laptop, *address)
            assert summary.received >= changes, summary

        unloaded, held, arriving = [], [], []
        try:
            for n in range(rounds):
                unloaded += time_each(first_sync, [laptops[3 * n]])
                with idle_connections(address, SETTLE_SECONDS):
                    held += time_each(first_sync, [laptops[3 * n + 1]])
                with idle_connections(address, 0):
                    arriving += time_each(first_sync, [laptops[3 * n + 2]])
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
            for laptop in laptops:
                laptop.close()

        calm, busy, burst = (statistics.median(times) for times in (unloaded, held, arriving))
        print(f"first sync of {changes:,} changes from a `fieldkit sync serve` process (median of {rounds}):"
              f" unloaded {calm * 1000:.0f} ms; with {IDLE_CONNECTIONS} idle connections held open"
              f" {busy * 1000:.0f} ms, ratio {busy / calm:.2f} (budget 2); with them arriving at once"
              f" {burst * 1000:.0f} ms, ratio {burst / calm:.2f}")


if __name__ == "__main__":
    main()
