"""Fixtures for sync tests: an event with an enrolled laptop, a TLS server in a thread, `sync auto` processes."""

from __future__ import annotations

import threading

import pytest

from fieldkit.event import create_event
from sync.enroll import enroll_device, join_event
from sync.transport import SyncServer

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def coordinator(tmp_path, template):
    store = create_event(tmp_path / "coordinator.db", template, PASSPHRASE, device_name="coordinator")
    yield store
    store.close()


@pytest.fixture
def enroll(tmp_path, coordinator):
    """enroll(name, role) -> that laptop's own encrypted store, joined from its bundle."""
    opened = []

    def _enroll(name: str, role: str = "desk", event=None):
        bundle = enroll_device(event or coordinator, name, role)
        store = join_event(tmp_path / f"{name}.db", PASSPHRASE, bundle)
        opened.append(store)
        return store

    yield _enroll
    for store in opened:
        store.close()


@pytest.fixture
def serving():
    """serving(store) -> (host, port) of a SyncServer on 127.0.0.1 running in a thread."""
    servers = []

    def _serve(store):
        server = SyncServer(store, "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server.address

    yield _serve
    for server, thread in servers:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def auto_sync():
    """auto_sync(db, *args) -> a running live_kit.AutoSync; every one still running is stopped afterwards (by pid)."""
    from live_kit import AutoSync  # beside the tests that use it (tests/security imports this module too)

    started: list[AutoSync] = []

    def _start(db, *args: str, **kwargs) -> AutoSync:
        laptop = AutoSync(db, *args, **kwargs)
        started.append(laptop)
        return laptop

    yield _start
    for laptop in started:
        laptop.stop()
