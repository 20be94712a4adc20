"""Helpers for sync tests: small stores, in-process sessions over a socketpair, canonical dumps."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fieldkit.keys import certificate_message, install_device_key, key_id_of, raw_private, raw_public, signer_for
from fieldkit.store import Store, create_store, new_id
from fieldkit.store.apply import ApplyResult, apply_snapshot
from fieldkit.store.chain import ZERO, body, feed_message, link, proof_of
from fieldkit.store.changes import WITHHELD, watermarks
from sync.batches import decode_runs
from sync.frames import Channel
from sync.outgoing import frames_for
from sync.protocol import Peer, ProtocolError, Session, SyncRefused, SyncSummary
from sync.trust import Gate, apply_admitted

# Each test event's key is held by no store: its roster reaches every store as a join
# snapshot would, so plain stores prove their changes to each other as enrolled laptops do.
_EVENT_KEYS: dict[str, tuple[str, Ed25519PrivateKey]] = {}
_ROSTERS: dict[str, list[tuple[dict, list]]] = {}  # event id -> (rows, field clocks) per laptop
_MEMBERS: dict[str, list[Store]] = {}
_DEVICE_KEYS: dict[str, Ed25519PrivateKey] = {}  # a twin (same device id) shares its key
_ROSTER_STAMP = "0000000000001-000000"


def new_store(tmp: Path, name: str, event_id: str, role: str = "coordinator", **kwargs) -> Store:
    """A plain (unencrypted, fast) store of one event, enrolled in its roster, for property tests."""
    store = create_store(
        tmp / f"{name}-{new_id()}.db", None, device_name=name, role=role, event_id=event_id, **kwargs
    )
    event_device, event_key = _EVENT_KEYS.setdefault(event_id, (new_id(), Ed25519PrivateKey.generate()))
    store.set_meta("event_public_key", f"{event_device}:{raw_public(event_key.public_key()).hex()}")
    device_key = _DEVICE_KEYS.setdefault(store.device_id, Ed25519PrivateKey.generate())
    install_device_key(store, raw_private(device_key).hex())
    entry = _roster_entry(event_device, event_key, store.device_id, name, role, raw_public(device_key.public_key()))
    members = [m for m in _MEMBERS.setdefault(event_id, []) if _is_open(m)]
    for rows, clocks in _ROSTERS.setdefault(event_id, []):
        apply_snapshot(store, rows, clocks, [])
    for member in [*members, store]:
        apply_snapshot(member, *entry, [])
    _ROSTERS[event_id].append(entry)
    _MEMBERS[event_id] = [*members, store]
    return store


def _roster_entry(event_device, event_key, device_id, name, role, public) -> tuple[dict, list]:
    common = {"origin": event_device, "hlc": _ROSTER_STAMP}
    device = {"id": device_id, **common, "name": name, "role": role, "enrolled_at": "2026-01-01T00:00:00+00:00"}
    key = {
        "id": key_id_of(public), **common, "public_key": public.hex(), "device_id": device_id, "role": "device",
        "certificate": event_key.sign(certificate_message(public, device_id)).hex(),
        "created_at": device["enrolled_at"],
    }
    rows = {"devices": [device], "signing_keys": [key]}
    clocks = [
        [table, row["id"], name_, _ROSTER_STAMP, event_device]
        for table, (row,) in rows.items()
        for name_ in row
        if name_ not in ("id", "origin", "hlc")
    ]
    return rows, clocks


def _is_open(store: Store) -> bool:
    try:
        store.db.execute("SELECT 1")
        return True
    except Exception:
        return False


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


def signed_frame(store: Store, rows: list[list], *, origin: str | None = None, prev: bytes = ZERO) -> dict:
    """A batch frame of one run, proven and signed with `store`'s own key, from rows
    [seq, table, row_id, hlc, op, content] (what a laptop whose code was changed could send)."""
    origin = origin or store.device_id
    head, changes = prev, []
    for seq, table, row_id, hlc, op, payload in rows:
        proof = proof_of(op, payload) if isinstance(payload, dict) else ZERO
        head = link(head, origin, seq, table, body(row_id, hlc, op, proof))
        wire = proof.hex() if op == WITHHELD else None
        changes.append([seq, table, row_id, hlc, op, payload, wire])
    signature = signer_for(store).private_key.sign(feed_message(origin, rows[-1][0], head))
    return {"type": "batch", "origins": [origin], "runs": [[0, prev.hex(), signature.hex(), len(rows), []]],
            "changes": changes}


def pull(dst: Store, src: Store, limit: int = 3) -> ApplyResult:
    """Everything `src` holds beyond `dst`'s watermarks, sent and admitted as in a session
    (proven, signed, checked against the roster), without a socket."""
    gate, held, result = Gate(dst, src.device_name, lambda device: device), set(), ApplyResult()
    for messages in frames_for(src, dst.role, watermarks(dst), limit):
        for message in messages:
            result.add(apply_admitted(dst, gate, decode_runs(json.loads(json.dumps(message))), held))
    return result
