"""How this laptop stands with the others, in values and words: for the sync screen, the header, `sync status`."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from fieldkit.event.ca import ca_fingerprint, require_identity
from fieldkit.store import Store
from fieldkit.store.changes import watermarks
from sync.enroll import roster
from sync.peers import PeerRecord, load_peers, to_share

# A laptop synced with this recently (and not failing since) counts as in step: a few pulls.
LIVE_SECONDS = 20.0
LIVE, PAUSED, OFF, STARTING = "live", "paused", "off", "starting"


@dataclass(frozen=True)
class PeerStanding:
    """One other laptop of the event: who (from the roster), where, when, and what waits each way."""

    device_id: str
    name: str
    role: str
    address: str
    last_seen: float | None
    last_sync: float | None
    to_send: int | None  # None: never met, so what it holds is unknown
    to_receive: int | None
    revoked: bool = False
    problem: str = ""  # why the last attempt failed, if it did
    syncing: bool = False

    def state(self, now: float) -> str:
        """Its state in a few words."""
        if self.revoked:
            return "revoked"
        if self.syncing:
            return "syncing"
        if self.problem:
            return "trying again"
        if self.last_sync is not None and now - self.last_sync <= LIVE_SECONDS:
            return "in step"
        if self.last_seen is None:
            return "not seen yet"
        return "away"

    def cells(self, now: float) -> tuple[str, ...]:
        """Its row on the sync screen and in `fieldkit sync status`: name, role, address, last seen,
        last sync, changes to send, changes to get, state."""
        return (
            self.name, self.role, self.address or "-", when(self.last_seen, now), when(self.last_sync, now),
            _count(self.to_send), _count(self.to_receive), self.state(now),
        )


@dataclass(frozen=True)
class Progress:
    """A session moving many changes (a first sync): how far it is."""

    peer: str
    done: int
    total: int
    first: bool


@dataclass(frozen=True)
class Standing:
    """This laptop and its peers at one moment."""

    name: str
    role: str
    fingerprint: str
    peers: tuple[PeerStanding, ...]
    checkins_to_share: int
    changes_to_share: int
    mode: str = OFF  # live: syncing by itself; paused; off: not running here; starting
    serving: str = ""  # host:port this laptop serves on, when live
    progress: Progress | None = None
    problem: str = ""  # why continuous sync is not running, if it should be

    def in_step(self, now: float) -> list[PeerStanding]:
        return [p for p in self.peers if p.state(now) in ("in step", "syncing") and p.last_sync is not None]

    def sentence(self, now: float) -> str:
        """The header's line: "synced 4 s ago with 2 laptops" or "offline: 37 check-ins to share"."""
        share = self._share_words()
        if self.problem:
            return "offline: sync could not start (F5 says why)"
        if self.mode == STARTING:
            return "starting sync"
        if self.mode == PAUSED:
            return f"sync paused: {share}"
        in_step = self.in_step(now)
        if in_step:
            latest = max(p.last_sync for p in in_step if p.last_sync is not None)
            laptops = f"{len(in_step)} laptop{'' if len(in_step) == 1 else 's'}"
            return f"synced {ago(now - latest)} with {laptops}"
        return f"offline: {share}"

    def _share_words(self) -> str:
        if self.checkins_to_share:
            return f"{self.checkins_to_share} check-in{'' if self.checkins_to_share == 1 else 's'} to share"
        if self.changes_to_share:
            return f"{self.changes_to_share} change{'' if self.changes_to_share == 1 else 's'} to share"
        return "nothing to share"

    def as_json(self, now: float) -> dict:
        """The same as a JSON-ready dict (`fieldkit sync status --json`)."""
        return {
            "laptop": {"name": self.name, "role": self.role, "ca_fingerprint": self.fingerprint},
            "mode": self.mode,
            "serving": self.serving or None,
            "standing": self.sentence(now),
            "checkins_to_share": self.checkins_to_share,
            "changes_to_share": self.changes_to_share,
            "peers": [{**asdict(p), "state": p.state(now)} for p in self.peers],
            "progress": asdict(self.progress) if self.progress else None,
            "problem": self.problem or None,
        }


def ago(seconds: float) -> str:
    """How long ago, in the header's words: `just now`, `4 s ago`, `3 min ago`, `2 h ago`."""
    if seconds < 1:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"


def when(moment: float | None, now: float) -> str:
    """A past moment in a table cell: `never`, `4 s ago` within the hour, else the local date and time."""
    if moment is None:
        return "never"
    if now - moment < 3600:
        return ago(max(0.0, now - moment))
    return time.strftime("%d %b %H:%M", time.localtime(moment))


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


COLUMNS = ("Laptop", "Role", "Address", "Last seen", "Last sync", "To send", "To get", "State")


def short_fingerprint(ca_pem: str) -> str:
    """The event CA's SHA-256 fingerprint, first 8 bytes in groups: `3F9C 0E51 A2B4 7D68`."""
    digits = ca_fingerprint(ca_pem).hex().upper()[:16]
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


def peer_standings(
    store: Store,
    records: dict[str, PeerRecord],
    mine: dict[str, int],
    *,
    problems: dict[str, str] | None = None,
    syncing: frozenset[str] = frozenset(),
) -> tuple[PeerStanding, ...]:
    """Every other laptop of the roster (and any met that the roster lacks), with what is known of it."""
    problems = problems or {}
    entries = {e.device_id: e for e in roster(store) if e.device_id != store.device_id}
    out = []
    for device_id in list(entries) + [d for d in records if d not in entries and d != store.device_id]:
        entry, record = entries.get(device_id), records.get(device_id, PeerRecord(device_id))
        met = record.last_seen is not None
        to_send, to_receive = record.waiting(mine) if met else (None, None)
        out.append(PeerStanding(
            device_id=device_id,
            name=entry.name if entry else record.name or f"laptop {device_id[-6:]}",
            role=entry.role if entry else record.role,
            address=record.address,
            last_seen=record.last_seen,
            last_sync=record.last_sync,
            to_send=to_send,
            to_receive=to_receive,
            revoked=bool(entry and entry.revoked),
            problem=problems.get(device_id, ""),
            syncing=device_id in syncing,
        ))
    return tuple(out)


def standing_of(
    store: Store,
    *,
    mode: str = OFF,
    records: dict[str, PeerRecord] | None = None,
    fingerprint: str = "",
    problems: dict[str, str] | None = None,
    syncing: frozenset[str] = frozenset(),
    serving: str = "",
    progress: Progress | None = None,
    problem: str = "",
) -> Standing:
    """This laptop's standing read from its database: the peers its last runs saved (or `records`),
    and what the continuous sync running here says (mode, problems, sessions running)."""
    records = load_peers(store) if records is None else records
    mine = watermarks(store)
    checkins, changes = to_share(store, records)
    return Standing(
        name=store.device_name,
        role=store.role,
        fingerprint=fingerprint or short_fingerprint(require_identity(store)[0]),
        peers=peer_standings(store, records, mine, problems=problems, syncing=syncing),
        checkins_to_share=checkins,
        changes_to_share=changes,
        mode=mode,
        serving=serving,
        progress=progress,
        problem=problem,
    )
