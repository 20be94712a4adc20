"""Helpers for sync tests: small stores, in-process sessions over a socketpair, canonical dumps."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from fieldkit.store import Store, create_store, new_id
from fieldkit.store.changes import WITHHELD
from sync.frames import Channel
from sync.protocol import Peer, ProtocolError, Session, SyncRefused, SyncSummary


def new_store(tmp: Path, name: str, event_id: str, role: str = "coordinator", **kwargs) -> Store:
    """A plain (unencrypted, fast) store of one event, for property tests."""
    return create_store(
        tmp / f"{name}-{new_id()}.db", None, device_name=name, role=role, event_id=event_id, **kwargs
    )


class CutChannel(Channel):
    """A channel that drops the connection after sending `cut_after` frames."""

    def __init__(self, sock: socket.socket, cut_after: int | None):
        super().__init__(sock, timeout=10)
        self.cut_after = cut_after
        self.frames = 0

    def send(self, message: dict) -> None:
        if self.cut_after is not None and self.frames >= self.cut_after:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            raise ConnectionResetError("cut by the test")
        super().send(message)
        self.frames += 1


def sync_pair(
    a: Store, b: Store, *, cut_after: int | None = None, batch_size: int = 1000
) -> tuple[SyncSummary | Exception, SyncSummary | Exception]:
    """Sync a (initiator) with b (responder) in-process; either may end in an error.

    The connection is cut after `cut_after` frames sent by a (the initiator).
    Identity comes from the hello, as both laptops are trusted test stores.
    """
    left, right = socket.socketpair()
    outcome: dict[str, SyncSummary | Exception] = {}

    def respond() -> None:
        channel = Channel(right, timeout=10)
        try:
            outcome["b"] = Session(b, channel, initiator=False, batch_size=batch_size).run()
        except (ProtocolError, SyncRefused) as exc:
            outcome["b"] = exc
        finally:
            channel.close()

    thread = threading.Thread(target=respond)
    thread.start()
    channel = CutChannel(left, cut_after)
    try:
        outcome["a"] = Session(a, channel, initiator=True, batch_size=batch_size).run()
    except (ProtocolError, SyncRefused) as exc:
        outcome["a"] = exc
    finally:
        channel.close()
        thread.join(timeout=30)
    return outcome["a"], outcome["b"]


def peer_of(store: Store) -> Peer:
    return Peer(store.device_id, store.role)


def canonical_dump(store: Store, *, with_log: bool = True) -> dict:
    """Everything that must converge: synced rows, field clocks, tombstones, the change log."""
    dump = {}
    for table in sorted(store.synced):
        cursor = store.db.execute(f"SELECT * FROM [{table}] ORDER BY id")
        dump[table] = [tuple(row) for row in cursor]
    for table, order in (("field_clocks", "tbl, row_id, field"), ("tombstones", "tbl, row_id, field")):
        dump[table] = [tuple(r) for r in store.db.execute(f"SELECT * FROM {table} ORDER BY {order}")]
    if with_log:
        dump["changes"] = [
            tuple(r)
            for r in store.db.execute(
                "SELECT origin, seq, tbl, row_id, hlc, op FROM changes WHERE op != ? ORDER BY origin, seq",
                [WITHHELD],
            )
        ]
    return dump
