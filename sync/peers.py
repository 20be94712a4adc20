"""What this laptop remembers of each other laptop between runs: when it was last seen and synced, and what it held.

Kept in the local, unsynced `fieldkit_meta` under one key (`sync_peers`), as JSON keyed
by device id (the id in the peer's TLS certificate, never anything mDNS said). What a
peer holds is known from the watermarks exchanged in the handshake: after a completed
session it holds at least what both held when it started, so the changes waiting to go
to it are this laptop's changes beyond that, and the changes waiting to come from it are
those it held at the last handshake that this laptop still lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from fieldkit.store import Store
from sync.feed import pending

META_KEY = "sync_peers"


@dataclass(frozen=True)
class PeerRecord:
    """One other laptop as this one last knew it; times are wall-clock seconds (time.time())."""

    device_id: str
    name: str = ""
    role: str = ""
    address: str = ""  # host:port where it was last reached
    last_seen: float | None = None  # its certificate was last checked in a handshake
    last_sync: float | None = None  # a session with it last completed
    held: dict[str, int] = field(default_factory=dict)  # what it holds at least, per origin
    offered: dict[str, int] = field(default_factory=dict)  # what it held at the last handshake

    def waiting(self, mine: dict[str, int]) -> tuple[int, int]:
        """(changes waiting to go to it, changes waiting to come from it), from watermarks."""
        return pending(mine, self.held), pending(self.offered, mine)

    def met(self, when: float, address: str, theirs: dict[str, int]) -> PeerRecord:
        """After a handshake: seen now, at `address`, holding `theirs`."""
        return replace(self, last_seen=when, address=address, offered=dict(theirs), held=dict(theirs))

    def synced(self, when: float, mine_at_start: dict[str, int]) -> PeerRecord:
        """After a completed session: it now holds at least what this laptop held when it began."""
        return replace(self, last_sync=when, last_seen=when, held=merged(self.held, self.offered, mine_at_start))


def merged(*marks: dict[str, int]) -> dict[str, int]:
    """The highest seq per origin over several watermark maps."""
    out: dict[str, int] = {}
    for one in marks:
        for origin, seq in one.items():
            if seq > out.get(origin, 0):
                out[origin] = seq
    return out


def load_peers(store: Store) -> dict[str, PeerRecord]:
    """The records saved by this laptop's last runs (read afresh: another process may have saved since)."""
    row = store.db.execute("SELECT value FROM fieldkit_meta WHERE key = ?", [META_KEY]).fetchone()
    if not row:
        return {}
    try:
        saved = json.loads(row[0])
    except ValueError:
        return {}  # a damaged record is forgotten, not fatal: the next sessions rebuild it
    records = {}
    for device_id, values in saved.items() if isinstance(saved, dict) else ():
        try:
            records[device_id] = PeerRecord(device_id=device_id, **values)
        except TypeError:
            continue
    return records


def save_peers(store: Store, records: dict[str, PeerRecord]) -> None:
    """Keep the records in this laptop's local meta (one small write, not synced)."""
    values = {
        r.device_id: {
            "name": r.name, "role": r.role, "address": r.address, "last_seen": r.last_seen,
            "last_sync": r.last_sync, "held": r.held, "offered": r.offered,
        }
        for r in records.values()
    }
    with store.transaction():
        store.set_meta(META_KEY, json.dumps(values, sort_keys=True, separators=(",", ":")))


def own_head(store: Store) -> int:
    """The seq of this laptop's newest change: one index seek, cheap enough to ask five times a second."""
    return store.db.execute("SELECT max(seq) FROM changes WHERE origin = ?", [store.device_id]).fetchone()[0] or 0


def to_share(store: Store, records: dict[str, PeerRecord]) -> tuple[int, int]:
    """(check-ins, changes) this laptop made that no other laptop is known to hold yet."""
    shared = max((r.held.get(store.device_id, 0) for r in records.values()), default=0)
    changes = max(0, own_head(store) - shared)
    checkins = store.db.execute(
        "SELECT count(*) FROM changes WHERE origin = ? AND seq > ? AND tbl = 'checkins'", [store.device_id, shared]
    ).fetchone()[0] if changes else 0
    return checkins, changes
