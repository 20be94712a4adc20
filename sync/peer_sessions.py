"""The laptops continuous sync has found, and one thread for each that keeps this laptop in step with it.

A laptop found (an mDNS record, or an address given) gets a worker thread that syncs
with it when asked (this laptop wrote something: `nudge`), when its pull is due, and
after a failure only once a wait that doubles up to a cap has passed. Who it is comes
from its TLS certificate when a handshake completes; what it held then is kept as a
`PeerRecord`. Workers borrow store connections from a small pool, so a laptop found
late does not wait for a new connection's key derivation, and none holds one while idle.
A laptop found by mDNS where no TLS handshake with this event's certificate succeeded
UNREACHED_TRIES times in a row (nothing there, a stranger's fake record) is handed to
`on_unreached`, which sets it aside in discovery; never one already met in this run or
at an address where a laptop of the roster last synced.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from fieldkit.errors import Refused
from fieldkit.store import DB_ERRORS, Store
from sync.discovery import Sighting
from sync.peers import PeerRecord, merged
from sync.protocol import Peer, SyncSummary
from sync.standing import Progress
from sync.transport import sync_with

PROGRESS_FROM = 200  # a session moving this many changes shows its progress
UNREACHED_TRIES = 3  # failures in a row before any TLS handshake, before a sighting is given up on
log = logging.getLogger("fieldkit.sync")


@dataclass(eq=False)
class Target:
    """A laptop to keep in step with, as found; its device id once a handshake told it."""

    key: str
    hosts: tuple[str, ...]
    port: int
    wanted: bool = True  # a sync is asked for (a local write, a resume)
    next_at: float = 0.0  # monotonic time of the next pull
    failures: int = 0
    unreached: int = 0  # failures in a row where no TLS handshake with this event's certificate succeeded
    device_id: str = ""
    gone: bool = False
    problem: str = ""

    @property
    def where(self) -> str:
        return f"{self.hosts[0]}:{self.port}"


class PeerSessions:
    """Every laptop found, each with its worker; thread-safe, and nothing here waits on the caller's thread."""

    def __init__(
        self,
        opener: Callable[[], Store],
        *,
        pull_seconds: float,
        backoff: tuple[float, float],
        wall: Callable[[], float],
        note: Callable[[str], None],
        changed: Callable[[], None],
        on_unreached: Callable[[str], None] = lambda key: None,
    ):
        self.opener = opener
        self.records: dict[str, PeerRecord] = {}
        self.paused = False
        self._pull = pull_seconds
        self._backoff = backoff
        self._wall = wall
        self._note = note
        self._changed = changed
        self._on_unreached = on_unreached
        self._cond = threading.Condition()
        self._targets: dict[str, Target] = {}
        self._syncing: set[str] = set()
        self._served: set[str] = set()
        self._progress: dict[str, Progress] = {}
        self._pool: list[Store] = []
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # -- asked by the engine ---------------------------------------------------------------
    def sighted(self, kind: str, sighting: Sighting) -> None:
        """Discovery's report: a laptop of this event appeared (or changed address) or left."""
        with self._cond:
            target = self._targets.get(sighting.instance)
            if kind == "removed":
                if target is not None:
                    target.gone = True
                    del self._targets[sighting.instance]
                    self._cond.notify_all()
                return
            if target is not None:
                target.hosts, target.port = sighting.hosts, sighting.port
                return
            if self._stopping:
                return
            target = Target(sighting.instance, sighting.hosts, sighting.port)
            self._targets[target.key] = target
            thread = threading.Thread(target=self._work, args=(target,), name="fieldkit-live-peer", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        self._note(f"Found a laptop of this event at {target.where}.")
        thread.start()

    def nudge(self) -> None:
        """Sync with every peer now (those failing keep their wait)."""
        with self._cond:
            for target in self._targets.values():
                if not target.failures:
                    target.wanted = True
            self._cond.notify_all()

    def set_paused(self, paused: bool) -> None:
        with self._cond:
            self.paused = paused
            if not paused:
                for target in self._targets.values():
                    target.wanted, target.failures, target.next_at = True, 0, 0.0
            self._cond.notify_all()

    def served(self, summary: SyncSummary) -> None:
        """A peer completed a session with this laptop's server: it is alive and in step."""
        with self._cond:
            device_id = summary.peer_device
            record = self.records.get(device_id, PeerRecord(device_id, name=summary.peer_name))
            now = self._wall()
            self.records[device_id] = replace(record, last_seen=now, last_sync=now)
            self._served.add(device_id)
            for target in self._targets.values():
                if target.device_id == device_id and target.failures:
                    target.failures, target.problem, target.next_at = 0, "", time.monotonic()
            self._cond.notify_all()
        self._changed()
        if summary.sent or summary.received:
            self._note(summary.sentence())

    def absorb_served(self, mine: Callable[[], dict[str, int]]) -> None:
        """Peers that synced with the server took what this laptop held: record it (`mine()` if any did)."""
        with self._cond:
            served, self._served = self._served, set()
        if not served:
            return
        marks = mine()
        with self._cond:
            for device_id in served:
                record = self.records.get(device_id, PeerRecord(device_id))
                self.records[device_id] = replace(record, held=merged(record.held, marks))

    def snapshot(self) -> tuple[dict[str, PeerRecord], dict[str, str], frozenset[str], Progress | None]:
        """(records, problems by device, devices syncing, the largest session's progress)."""
        with self._cond:
            problems = {t.device_id: t.problem for t in self._targets.values() if t.device_id and t.problem}
            progress = max(self._progress.values(), key=lambda p: p.total, default=None)
            return dict(self.records), problems, frozenset(self._syncing), progress

    def spare(self, store: Store) -> None:
        """A connection for the first session to borrow."""
        with self._cond:
            self._pool.append(store)

    def stop(self, timeout: float) -> None:
        """End every worker (a session in progress ends by its own deadlines) and close the pool."""
        with self._cond:
            self._stopping = True
            for target in self._targets.values():
                target.gone = True
            self._cond.notify_all()
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            stores, self._pool = self._pool, []
        for store in stores:
            store.close()

    # -- each peer's worker ----------------------------------------------------------------
    def _work(self, target: Target) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping or target.gone:
                        return
                    now = time.monotonic()
                    if not self.paused and (target.wanted or now >= target.next_at):
                        break
                    self._cond.wait(None if self.paused else max(0.02, target.next_at - now))
                target.wanted = False
            try:
                self._attempt(target)
            except Exception as exc:  # a bug or a broken store must not end this peer's thread silently
                log.exception("continuous sync with %s failed unexpectedly", target.where)
                self._failed(target, f"{type(exc).__name__}: {exc}")

    def _attempt(self, target: Target) -> None:
        store = self._take_store()
        started: dict[str, dict[str, int]] = {}
        summary, problem, ours = None, "", False
        proven: set[str] = set()  # hosts whose TLS handshake showed this event's certificate
        try:
            for host in list(target.hosts):
                try:
                    summary = sync_with(
                        store, host, target.port, busy_waits=(), on_tls=lambda at=host: proven.add(at),
                        on_start=lambda peer, theirs, mine, at=host: self._met(target, at, peer, theirs, mine, started),
                        on_plan=lambda total: self._plan(target, total),
                        progress=lambda count: self._step(target, count),
                    )
                    break
                except Refused as exc:
                    problem = exc.message
                    if started:  # it answered as a Field Kit laptop: its other addresses would say the same
                        break
                except DB_ERRORS as exc:
                    problem = f"this laptop's database was busy ({exc})."
                    ours = True  # not the peer's doing
                    break
        finally:
            self._give_back(store)
        if summary is None:
            self._failed(target, problem, unreached=not proven and not ours)
        else:
            self._synced(target, summary, started.get("mine", {}))

    def _met(self, target: Target, host: str, peer: Peer, theirs: dict, mine: dict, started: dict) -> None:
        started["mine"] = mine
        with self._cond:
            target.device_id = peer.device_id
            record = self.records.get(peer.device_id, PeerRecord(peer.device_id))
            record = record.met(self._wall(), f"{host}:{target.port}", theirs)
            self.records[peer.device_id] = replace(record, role=peer.role)
            self._syncing.add(peer.device_id)
            for other in self._targets.values():  # an old record of the same laptop (it restarted): drop it
                if other is not target and other.device_id == peer.device_id and other.failures:
                    other.gone = True
            self._targets = {k: t for k, t in self._targets.items() if not t.gone}
            self._cond.notify_all()
        self._changed()

    def _plan(self, target: Target, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        with self._cond:
            record = self.records.get(target.device_id, PeerRecord(target.device_id))
            self._progress[target.key] = Progress(record.name or target.where, 0, total, first=record.last_sync is None)
        self._changed()

    def _step(self, target: Target, count: int) -> None:
        with self._cond:
            progress = self._progress.get(target.key)
            if progress is None:
                return
            self._progress[target.key] = replace(progress, done=min(progress.total, progress.done + count))
        self._changed()

    def _synced(self, target: Target, summary: SyncSummary, mine_at_start: dict[str, int]) -> None:
        with self._cond:
            device_id = summary.peer_device
            record = self.records.get(device_id, PeerRecord(device_id))
            self.records[device_id] = replace(
                record.synced(self._wall(), mine_at_start), name=record.name or summary.peer_name
            )
            self._syncing.discard(device_id)
            self._progress.pop(target.key, None)
            target.failures, target.unreached, target.problem = 0, 0, ""
            target.next_at = time.monotonic() + self._pull
        self._changed()
        if summary.sent or summary.received:
            self._note(summary.sentence())

    def _failed(self, target: Target, problem: str, *, unreached: bool = False) -> None:
        first, cap = self._backoff
        with self._cond:
            target.failures += 1
            target.unreached = target.unreached + 1 if unreached else 0
            where = {f"{host}:{target.port}" for host in target.hosts}
            known = target.device_id or any(r.last_sync and r.address in where for r in self.records.values())
            give_up = target.unreached >= UNREACHED_TRIES and not known
            wait = min(cap, first * 2 ** (target.failures - 1)) * random.uniform(0.8, 1.2)
            target.next_at = time.monotonic() + wait
            said_before, target.problem = target.problem, problem or "it did not answer."
            self._syncing.discard(target.device_id)
            self._progress.pop(target.key, None)
            record = self.records.get(target.device_id)
        self._changed()
        if target.problem != said_before:  # once per new reason, not at every retry
            who = record.name if record is not None and record.name else target.where
            self._note(f"Could not sync with {who}: {target.problem} Trying again by itself.")
        if give_up:  # outside the lock: discovery tells `sighted` it is removed
            self._on_unreached(target.key)

    # -- store connections -----------------------------------------------------------------
    def _take_store(self) -> Store:
        with self._cond:
            if self._pool:
                return self._pool.pop()
        return self.opener()

    def _give_back(self, store: Store) -> None:
        with self._cond:
            if not self._stopping:
                self._pool.append(store)
                return
        store.close()
