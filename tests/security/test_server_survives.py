"""Whatever goes wrong in one session or in accepting is one log line, and the server goes on serving."""

from __future__ import annotations

import errno
import logging
import threading

from fieldkit.people.registry import add_person
from sync import transport
from sync.transport import SyncServer, sync_with
from tests.security.conftest import QUICK


def _lines(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def test_an_unexpected_error_in_a_session_is_one_line_and_the_next_laptop_syncs(
    coordinator, enroll, server, sync_log, monkeypatch
):
    desk = enroll("desk-2", "desk")
    add_person(desk, "Ana Lima")
    real_admit, calls = transport.admit, []

    def admit_that_breaks_once(store, sock):  # on the serving side: sync_with calls it too
        calls.append(sock.server_side)
        if calls.count(True) == 1 and sock.server_side:
            raise MemoryError("a bug nobody foresaw")
        return real_admit(store, sock)

    monkeypatch.setattr(transport, "admit", admit_that_breaks_once)
    running = server(coordinator)
    try:
        sync_with(desk, *running.address)
    except Exception:  # the first laptop's session was lost; what it sees is not the point here
        pass
    assert sync_with(desk, *running.address).sent == 1
    errors = _lines(sync_log, logging.ERROR)
    assert errors == ["sync from 127.0.0.1 ended by an unexpected MemoryError (a bug nobody foresaw); the server goes on"]
    assert "Traceback" not in sync_log.text


class _ListenerOutOfFiles:
    """A listening socket whose first accept fails as when the process is out of file descriptors."""

    def __init__(self, listener):
        self.listener, self.accepts = listener, 0

    def accept(self):
        self.accepts += 1
        if self.accepts == 1:
            raise OSError(errno.EMFILE, "Too many open files")
        return self.listener.accept()

    def __getattr__(self, name):
        return getattr(self.listener, name)


def test_a_failing_accept_is_one_line_and_accepting_goes_on(coordinator, enroll, sync_log):
    desk = enroll("desk-2", "desk")
    running = SyncServer(coordinator, "127.0.0.1", 0, QUICK)
    running.listener = flaky = _ListenerOutOfFiles(running.listener)
    thread = threading.Thread(target=running.serve, daemon=True)
    thread.start()
    try:
        assert sync_with(desk, *running.address).peer_name == "coordinator"
    finally:
        running.close()
        thread.join(5)
    assert flaky.accepts >= 2
    assert _lines(sync_log, logging.ERROR) == [
        "sync server: OSError while accepting ([Errno 24] Too many open files); it goes on"
    ]
