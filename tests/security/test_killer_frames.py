"""The frames that stopped `fieldkit sync serve` are one log line each now, change nothing, and the server serves on."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from fieldkit.people.registry import add_person
from sync.frames import Channel
from sync.tls import tls_context
from sync.transport import SyncFailed, sync_with
from tests.security.hostile import KILLER_NAMES, client_context, killer_frames, send_and_wait
from tests.syncing.kit import canonical_dump


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("name", KILLER_NAMES)
def test_a_killer_frame_from_an_enrolled_laptop_is_one_log_line(coordinator, enroll, server, sync_log, name):
    desk = enroll("desk-2", "desk")
    add_person(coordinator, "Ana Lima")
    running = server(coordinator)
    sync_with(desk, *running.address)
    before = canonical_dump(coordinator)
    payload, reason = {n: (p, r) for n, p, r in killer_frames(desk)}[name]

    send_and_wait(running.address, payload, client_context(desk))

    assert canonical_dump(coordinator) == before
    lines = warnings(sync_log)
    assert len(lines) == 1 and reason in lines[0], lines
    # The server goes on: the same laptop syncs what it wrote since.
    add_person(desk, "Bo Chen")
    assert sync_with(desk, *running.address).sent == 1
    assert coordinator.db.execute("SELECT count(*) FROM people").fetchone() == (2,)


def test_every_killer_frame_in_a_row_then_two_real_laptops_sync_at_once(coordinator, enroll, server, sync_log):
    desk, practitioner = enroll("desk-2", "desk"), enroll("intake-1", "practitioner")
    running = server(coordinator)
    before = canonical_dump(coordinator)
    for _, payload, _ in killer_frames(desk):
        send_and_wait(running.address, payload, client_context(desk))
    assert canonical_dump(coordinator) == before
    assert len(warnings(sync_log)) == len(killer_frames(desk))

    add_person(desk, "Bo Chen")
    add_person(practitioner, "Cy Diaz")
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda laptop: sync_with(laptop, *running.address), [desk, practitioner]))
    assert [s.sent for s in done] == [1, 1]
    names = {r[0] for r in coordinator.db.execute("SELECT display_name FROM people")}
    assert names == {"Bo Chen", "Cy Diaz"}


def _hostile_server(store, payload: bytes) -> tuple[tuple[str, int], threading.Thread]:
    """A laptop of the event serving one session: it reads the hello and answers with `payload`."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    context = tls_context(store, ssl.PROTOCOL_TLS_SERVER)

    def answer() -> None:
        with listener:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as sock:
                Channel(sock, timeout=10).recv()
                sock.sendall(payload)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return listener.getsockname()[:2], thread


@pytest.mark.parametrize("name", ["200,000 [", "wall 10**400", "wall 10**17", "huge watermark", "garbage"])
def test_sync_with_a_laptop_that_answers_with_a_killer_frame_says_so_and_changes_nothing(
    coordinator, enroll, name
):
    desk, hostile = enroll("desk-2", "desk"), enroll("desk-3", "desk")
    add_person(desk, "Ana Lima")
    before = canonical_dump(desk)
    payload, reason = {n: (p, r) for n, p, r in killer_frames(hostile)}[name]
    address, thread = _hostile_server(hostile, payload)
    with pytest.raises(SyncFailed, match=f"The sync stopped: .*{reason}.* Run it again"):
        sync_with(desk, *address)
    thread.join(timeout=10)
    assert canonical_dump(desk) == before
