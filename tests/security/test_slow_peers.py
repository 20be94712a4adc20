"""Idle, trickling and crowding peers cannot hold the server: deadlines end them, and a real laptop syncs meanwhile.

The servers here use short deadlines (conftest.QUICK: 1.5 s handshake, 2 s idle, 4 s
session) so each test takes seconds; the defaults are 5 s, 30 s and 120 s.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import pytest

from fieldkit.people.registry import add_person
from sync import transport
from sync.transport import SyncFailed, sync_with
from tests.security.conftest import QUICK
from tests.security.hostile import client_context, held_open, hello_of, trickle
from tests.syncing.kit import canonical_dump


def _sync_within(store, address, seconds: float, **kwargs):
    """sync_with in a thread, given at most `seconds`: a server that hangs fails the test, not the run."""
    outcome = {}

    def run() -> None:
        try:
            outcome["summary"] = sync_with(store, *address, **kwargs)
        except Exception as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the sync did not finish within {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["summary"]


def test_fifty_idle_connections_do_not_hold_up_a_real_sync(coordinator, enroll, server):
    desk = enroll("desk-2", "desk")
    add_person(coordinator, "Ana Lima")
    # A handshake deadline longer than the test: the idle connections are still there when it syncs.
    running = server(coordinator, dataclasses.replace(QUICK, handshake_seconds=30))
    with held_open(running.address, 50) as idle:
        summary = _sync_within(desk, running.address, 10)
        assert summary.received >= 1
        assert all(sock.fileno() != -1 for sock in idle)


def test_fifty_idle_tls_sessions_of_one_laptop_hold_at_most_two_places(coordinator, enroll, server, sync_log):
    hostile, desk = enroll("desk-3", "desk"), enroll("desk-2", "desk")
    running = server(coordinator, dataclasses.replace(QUICK, idle_seconds=30, session_seconds=30))
    with held_open(running.address, 50, client_context(hostile)):
        summary = _sync_within(desk, running.address, 10)
    assert summary.peer_name == "coordinator"
    assert sync_log.text.count("turned away: busy") >= 48


@pytest.mark.parametrize("enrolled", [False, True], ids=["before the handshake", "after the handshake"])
def test_a_peer_trickling_one_byte_a_second_is_cut_off_by_the_deadline(coordinator, enroll, server, sync_log, enrolled):
    hostile, desk = enroll("desk-3", "desk"), enroll("desk-2", "desk")
    running = server(coordinator)
    before = canonical_dump(coordinator)
    raw = socket.create_connection(running.address, timeout=10)
    sock = client_context(hostile).wrap_socket(raw) if enrolled else raw
    held = {}
    trickler = threading.Thread(
        target=lambda: held.update(seconds=trickle(sock, hello_of(hostile) * 10, every=1.0, for_at_most=15)),
        daemon=True,
    )
    trickler.start()
    time.sleep(0.5)
    assert _sync_within(desk, running.address, 5).peer_name == "coordinator"  # while it trickles
    trickler.join(20)
    sock.close()
    limit = QUICK.session_seconds if enrolled else QUICK.handshake_seconds
    assert held["seconds"] < limit + 2.5
    reason = "ran over its 4-second limit" if enrolled else "no handshake within 1.5 s"
    assert reason in sync_log.text
    assert canonical_dump(coordinator) == before


def _hold_sessions(address, laptops) -> list:
    """One session per laptop, each past the handshake and then silent."""
    return [client_context(laptop).wrap_socket(socket.create_connection(address, timeout=10)) for laptop in laptops]


def test_a_busy_server_says_so_and_the_laptop_tries_again(coordinator, enroll, server, sync_log):
    holders = [enroll(f"desk-{n}", "desk") for n in (3, 4)]
    desk = enroll("desk-2", "desk")
    running = server(coordinator, dataclasses.replace(QUICK, sessions=2))
    notes = []
    held = _hold_sessions(running.address, holders)
    try:
        summary = _sync_within(desk, running.address, 15, on_busy=notes.append, busy_waits=(1.0,) * 6)
    finally:
        for sock in held:
            sock.close()
    host, port = running.address
    assert notes and notes[0] == f"The laptop at {host}:{port} is busy; trying again in 1 s."
    assert summary.peer_name == "coordinator"
    assert "turned away: busy with 2 sessions" in sync_log.text


def test_a_server_busy_to_the_end_says_try_again_later_not_that_it_is_not_field_kit(coordinator, enroll, server):
    holders = [enroll(f"desk-{n}", "desk") for n in (3, 4)]
    desk = enroll("desk-2", "desk")
    running = server(coordinator, dataclasses.replace(QUICK, sessions=2, idle_seconds=30, session_seconds=30))
    held = _hold_sessions(running.address, holders)
    try:
        with pytest.raises(SyncFailed) as failed:
            _sync_within(desk, running.address, 10, busy_waits=(0.2,))
    finally:
        for sock in held:
            sock.close()
    host, port = running.address
    assert str(failed.value) == f"The laptop at {host}:{port} is busy with other laptops: try again in a minute."


def test_a_full_queue_makes_a_laptop_wait_not_fail(coordinator, enroll, server):
    desk = enroll("desk-2", "desk")
    running = server(coordinator, dataclasses.replace(QUICK, connections=4))
    with held_open(running.address, 4):
        # No place until the handshake deadline drops one of the four: the sync waits for it.
        assert _sync_within(desk, running.address, 10).peer_name == "coordinator"


def test_a_server_that_never_answers_the_handshake_is_called_slow(coordinator, enroll, monkeypatch):
    desk = enroll("desk-2", "desk")
    monkeypatch.setattr(transport, "CLIENT_HANDSHAKE_SECONDS", 1.0)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (by the kernel), never answers
        host, port = silent.getsockname()[:2]
        with pytest.raises(SyncFailed) as failed:
            _sync_within(desk, (host, port), 10)
    assert str(failed.value).startswith(f"The laptop at {host}:{port} did not answer within 1 s: it may be busy")
