"""Fixtures for hostile-peer tests: the sync tests' event and laptops, and servers with short deadlines."""

from __future__ import annotations

import logging
import threading

import pytest

from sync.transport import ServerLimits, SyncServer
from tests.syncing.conftest import coordinator, enroll  # noqa: F401  (the same event and laptops)

# Short deadlines, so a test waits seconds for what takes minutes on the clinic's network.
QUICK = ServerLimits(handshake_seconds=1.5, session_seconds=4.0, idle_seconds=2.0, turn_away_seconds=1.0)


@pytest.fixture
def server():
    """server(store, limits) -> a SyncServer on 127.0.0.1 serving in a thread; closed after the test."""
    started = []

    def _start(store, limits: ServerLimits = QUICK) -> SyncServer:
        running = SyncServer(store, "127.0.0.1", 0, limits)
        thread = threading.Thread(target=running.serve, daemon=True)
        thread.start()
        started.append((running, thread))
        return running

    yield _start
    for running, thread in started:
        running.close()
        thread.join(timeout=5)
        running.wait_idle(10)


@pytest.fixture
def sync_log(caplog):
    caplog.set_level(logging.INFO, logger="fieldkit.sync")
    return caplog
