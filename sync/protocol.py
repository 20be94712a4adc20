"""The sync protocol: handshake, watermarks, batches both ways (docs/sync-protocol.md).

One session over one connection: both laptops say hello (protocol, schema, event,
device, watermarks); the responder sends what the initiator lacks, then the
initiator sends what the responder lacks; each received batch is applied in one
transaction. Anything malformed closes the session with a logged reason and
applies nothing of the frame that broke the rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldkit.errors import Refused
from fieldkit.store import DB_ERRORS, Change, Store
from fieldkit.store.apply import ApplyResult, BatchRefused, IdentityClash
from fieldkit.store.changes import RemoteChange, head_entries
from fieldkit.store.forks import forked_origin, mark
from fieldkit.store.hlc import MAX_AHEAD_MS
from fieldkit.store.schema import schema_version
from sync import feed, scope
from sync.batches import decode_runs, without_cycle_collection
from sync.frames import Channel, FrameError
from sync.outgoing import encoded_frames_for
from sync.scope import ROLES
from sync.trust import Gate, TrustRefused, apply_admitted

# 2: the hello carries each origin's head change and the database id; 3: batches are runs
# with their proofs and their origins' signatures (docs/sync-protocol.md).
PROTOCOL_VERSION = 3
SYNC_CACHE_KIB = 65536  # page cache of a connection moving more than one batch
log = logging.getLogger("fieldkit.sync")


class SyncRefused(Refused):
    """One laptop refused to sync with the other; str() says what to do."""

    code = "sync_refused"


class ProtocolError(Exception):
    """The peer broke the protocol; str() is the reason logged."""


class CertificateRevoked(ProtocolError):
    """The peer refused this laptop's certificate as revoked (a TLS alert after the handshake)."""


class PeerBusy(Exception):
    """The serving laptop had as many sessions as it takes and turned this one away: try again."""


@dataclass(frozen=True)
class Peer:
    """Who is on the other end, as proven by its certificate."""

    device_id: str
    role: str


@dataclass
class SyncSummary:
    peer_name: str = ""
    peer_device: str = ""
    sent: int = 0
    received: int = 0
    result: ApplyResult = field(default_factory=ApplyResult)
    seconds: float = 0.0
    bytes_sent: int = 0
    bytes_received: int = 0
    clock_note: str | None = None
    strangers: int = 0  # changes of laptops this one's roster does not list yet, held back
    after_revocation: int = 0  # changes revoked laptops made after their revocation, refused

    @property
    def applied(self) -> int:
        return self.result.applied

    @property
    def already_had(self) -> int:
        return self.result.already_had

    def _withheld_words(self) -> str:
        # Placeholders are counted as received; say so, or the numbers do not add up.
        withheld = self.result.withheld
        return f", {withheld} withheld from this laptop's role" if withheld else ""

    def sentence(self) -> str:
        text = (
            f"Synced with {self.peer_name or 'the other laptop'}: sent {self.sent}, received "
            f"{self.received} (applied {self.applied}, already had {self.already_had}"
            f"{self._withheld_words()}) in {self.seconds:.2f} s."
        )
        if self.result.deferred:
            held = sum(self.result.deferred.values())
            text += (
                f" {held} changes stamped {self.result.ahead_ms // 60000} minutes ahead of this laptop's"
                " clock were held back: set the right time on the laptop that is wrong."
            )
        if self.strangers:
            text += (
                f" {self.strangers} changes of laptops this laptop's roster does not list yet were held back:"
                " sync with the coordinator's laptop, then again."
            )
        if self.after_revocation:
            text += f" {self.after_revocation} changes revoked laptops made after their revocation were refused."
        if self.clock_note:
            text += " " + self.clock_note
        return text


Progress = Callable[[int], None]


def _hello(store: Store, heads: dict[str, Change]) -> dict[str, Any]:
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "schema": schema_version(),
        "event": store.event_id,
        "device": store.device_id,
        "database": store.database_id,
        "name": store.device_name,
        "role": store.role,
        "wall": store.wall(),
        "watermarks": {origin: entry.seq for origin, entry in heads.items()},
        # The change at each watermark, so either side can tell a forked origin (forks.py).
        "heads": {origin: list(mark(entry)) for origin, entry in heads.items()},
    }


def device_name(store: Store, device_id: str) -> str:
    """The roster's name for a laptop, e.g. desk-2."""
    if device_id == store.device_id:
        return store.device_name
    row = store.db.execute("SELECT name FROM devices WHERE id = ?", [device_id]).fetchone()
    return row[0] if row and row[0] else f"laptop {device_id[-6:]}"


def identity_clash(store: Store, device_id: str, *, nothing_moved: bool = True) -> SyncRefused:
    """The refusal when two laptops use one identity, logged where it is found."""
    name = device_name(store, device_id)
    log.warning("identity clash: two laptops sync as %s (device %s); the session is refused", name, device_id)
    return SyncRefused(
        f"Two laptops are using the identity of {name}: re-enroll one of them with `fieldkit device enroll` "
        f"and a new join file; nothing {'was' if nothing_moved else 'more was'} synced."
    )


# Bounds on what a hello may carry, so nothing in it can make the checks below misbehave.
_MAX_ID = 64  # device, event, database and origin ids (26-character ULIDs)
_MAX_ORIGINS = 10_000  # laptops that ever wrote to one event
_VERSIONS = range(1, 2**31)
_WALL = range(0, 2**47)  # milliseconds since 1970: until the year 6429
_SEQS = range(0, 2**63)


def _field(message: dict, name: str, kind: type, within: range | int | None = None) -> Any:
    """message[name] if it is a `kind` (an int in range `within`, a str of at most `within`
    characters); ProtocolError otherwise."""
    value = message.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ProtocolError(f"malformed {message.get('type')} frame: {name} is missing or not a {kind.__name__}")
    if isinstance(within, range) and value not in within:
        raise ProtocolError(f"malformed {message.get('type')} frame: {name} is out of range")
    if isinstance(within, int) and len(value) > within:
        raise ProtocolError(f"malformed {message.get('type')} frame: {name} is longer than {within} characters")
    return value


def _name_in(hello: dict) -> str:
    name = hello.get("name")
    return name[:64] if isinstance(name, str) and name else "the other laptop"


def _check_hello(
    store: Store, hello: dict, peer: Peer | None, revoked: Callable[[str], bool], mine: dict[str, Change]
) -> Peer:
    """The peer's identity if it may sync with this laptop; SyncRefused otherwise."""
    if hello.get("type") == "refuse":
        raise SyncRefused(str(hello.get("reason", "The other laptop refused to sync."))[:500])
    if hello.get("type") == "busy":
        raise PeerBusy("the other laptop is busy with other sessions")
    if hello.get("type") != "hello":
        raise ProtocolError(f"expected hello, got {str(hello.get('type'))[:40]!r}")
    theirs = _field(hello, "protocol", int, _VERSIONS)
    name = _name_in(hello)
    me = store.device_name
    if theirs != PROTOCOL_VERSION:
        older, newer = (name, me) if theirs < PROTOCOL_VERSION else (me, name)
        raise SyncRefused(
            f"{older} speaks an older sync protocol than {newer} "
            f"({min(theirs, PROTOCOL_VERSION)} vs {max(theirs, PROTOCOL_VERSION)}): "
            f"upgrade Field Kit on {older}, then sync again."
        )
    schema = _field(hello, "schema", int, _VERSIONS)
    if schema != schema_version():
        older, newer = (name, me) if schema < schema_version() else (me, name)
        raise SyncRefused(
            f"{older} has an older database schema than {newer} "
            f"({min(schema, schema_version())} vs {max(schema, schema_version())}): "
            f"upgrade Field Kit on {older}, then sync again."
        )
    if _field(hello, "event", str, _MAX_ID) != store.event_id:
        raise SyncRefused(f"{name} belongs to another event: only laptops of the same event sync.")
    device = _field(hello, "device", str, _MAX_ID)
    role = _field(hello, "role", str, _MAX_ID)
    _field(hello, "wall", int, _WALL)
    marks = _field(hello, "watermarks", dict)
    if len(marks) > _MAX_ORIGINS or not all(
        isinstance(k, str) and 0 < len(k) <= _MAX_ID and type(v) is int and v in _SEQS for k, v in marks.items()
    ):
        raise ProtocolError("malformed hello frame: watermarks are not origin -> number")
    heads = _heads_of(hello, marks)
    if peer is not None and device != peer.device_id:
        raise SyncRefused(f"{name} presented another laptop's certificate: it is not allowed to sync.")
    if device == store.device_id:
        if _field(hello, "database", str, _MAX_ID) == store.database_id:
            raise SyncRefused("This is the same laptop: sync with another one.")
        raise identity_clash(store, device)
    if revoked(device):
        raise SyncRefused(f"{name} was revoked by the coordinator: it can no longer sync with this event.")
    proven = peer or Peer(device, role)
    if proven.role not in ROLES:
        raise SyncRefused(f"{name} is enrolled with an unknown role: enroll it again.")
    forked = forked_origin(store, mine, device, marks, heads)
    if forked is not None:
        raise identity_clash(store, forked)
    return proven


def _heads_of(hello: dict, marks: dict[str, int]) -> dict[str, tuple[str, str]]:
    heads = _field(hello, "heads", dict)
    if set(heads) != set(marks) or not all(
        isinstance(h, list) and len(h) == 2 and all(isinstance(part, str) and len(part) <= _MAX_ID for part in h)
        for h in heads.values()
    ):
        raise ProtocolError("malformed hello frame: heads are not origin -> [table, digest] for each watermark")
    return {origin: (h[0], h[1]) for origin, h in heads.items()}


def _clock_note(store: Store, hello: dict) -> str | None:
    skew = hello["wall"] - store.wall()
    if abs(skew) <= MAX_AHEAD_MS:
        return None
    name = _name_in(hello)
    minutes = round(abs(skew) / 60000)
    direction = "ahead of" if skew > 0 else "behind"
    return (
        f"{name}'s clock is about {minutes} minutes {direction} this laptop's: set the right time "
        f"on whichever laptop is wrong; changes stamped more than "
        f"{MAX_AHEAD_MS // 60000} minutes ahead wait until then."
    )


class Session:
    """One sync session on an open channel; `run()` returns its summary."""

    def __init__(
        self,
        store: Store,
        channel: Channel,
        *,
        initiator: bool,
        peer: Peer | None = None,
        revoked: Callable[[str], bool] = lambda device_id: False,
        progress: Progress | None = None,
        batch_size: int = feed.DEFAULT_BATCH,
        refusal: SyncRefused | None = None,
    ):
        self.store = store
        self.channel = channel
        self.initiator = initiator
        self.peer = peer
        self.revoked = revoked
        self.progress = progress or (lambda n: None)
        self.batch_size = batch_size
        # Set when the transport already refused the peer: only a refusal is sent.
        self.refusal = refusal
        self.summary = SyncSummary()
        self.on_plan: Callable[[int], None] = lambda total: None
        self.on_start: Callable[[Peer, dict[str, int], dict[str, int]], None] = lambda peer, theirs, mine: None

    def run(self) -> SyncSummary:
        started = time.perf_counter()
        try:
            self._run()
        except FrameError as exc:
            raise ProtocolError(str(exc)) from None
        except OSError as exc:
            if getattr(exc, "reason", None) == "SSLV3_ALERT_CERTIFICATE_REVOKED":
                raise CertificateRevoked("the other laptop refused this laptop's certificate as revoked") from None
            raise ProtocolError(f"the connection was lost ({exc.__class__.__name__})") from None
        finally:
            self.summary.seconds = time.perf_counter() - started
            self.summary.bytes_sent = self.channel.bytes_sent
            self.summary.bytes_received = self.channel.bytes_received
        return self.summary

    def _refuse(self, exc: SyncRefused, *, drain: bool = False) -> None:
        """Tell the peer why; with `drain`, read until it hangs up, because a peer still
        sending would otherwise see a reset connection instead of the refusal."""
        try:
            self.channel.send({"type": "refuse", "reason": str(exc)})
            while drain and self.channel.sock.recv(1 << 16):
                pass
        except OSError:
            pass

    def _run(self) -> None:
        heads = head_entries(self.store)
        mine = _hello(self.store, heads)
        if self.initiator:
            if self.refusal is not None:
                self._refuse(self.refusal)
                raise self.refusal
            self.channel.send(mine)
            theirs = self.channel.recv()
            try:
                peer = _check_hello(self.store, theirs, self.peer, self.revoked, heads)
            except SyncRefused as exc:
                if theirs.get("type") != "refuse":
                    # So the serving laptop, already sending, logs why too.
                    self._refuse(exc, drain=True)
                raise
        else:
            # Read the hello even when refusing, so the refusal is not lost to a reset connection.
            theirs = self.channel.recv()
            try:
                if self.refusal is not None:
                    raise self.refusal
                peer = _check_hello(self.store, theirs, self.peer, self.revoked, heads)
            except SyncRefused as exc:
                self._refuse(exc)
                raise
            self.channel.send(mine)
        self.summary.peer_name = str(theirs.get("name", ""))[:64]
        self.summary.peer_device = peer.device_id
        self.summary.clock_note = _clock_note(self.store, theirs)
        their_marks, my_marks = theirs["watermarks"], mine["watermarks"]
        self.on_start(peer, their_marks, my_marks)
        planned = feed.pending(my_marks, their_marks) + feed.pending(their_marks, my_marks)
        self.on_plan(planned)
        if planned > feed.DEFAULT_BATCH:  # pages kept in memory are not read and decrypted again
            self.store.keep_in_memory(SYNC_CACHE_KIB)
        if self.initiator:
            # What they sent they hold, though their hello predates it (taken in from another session): not sent back.
            self._receive(marks := dict(their_marks))
            self._send(marks, peer)
            self._expect("thanks")
        else:
            self._send(their_marks, peer)
            self._receive()
            self.channel.send({"type": "thanks"})

    def _expect(self, kind: str) -> dict:
        message = self.channel.recv()
        if message["type"] == "refuse":
            raise SyncRefused(str(message.get("reason", ""))[:500])
        if message["type"] != kind:
            raise ProtocolError(f"expected {kind}, got {message['type'][:40]!r}")
        return message

    def _send(self, their_marks: dict[str, int], peer: Peer) -> None:
        outgoing = encoded_frames_for(self.store, peer.role, their_marks, self.batch_size)
        while True:
            try:
                messages = next(outgoing, None)
            except FrameError as exc:
                raise ProtocolError(str(exc)) from None
            if messages is None:
                break
            for message, wire in messages:
                self.channel.send(wire)
                self.summary.sent += len(message["changes"])
                self.progress(len(message["changes"]))
        self.channel.send({"type": "done", "sent": self.summary.sent})

    def _receive(self, their_marks: dict[str, int] | None = None) -> None:
        held_back: set[str] = set()
        gate = Gate(self.store, self.summary.peer_name or "the other laptop", lambda d: device_name(self.store, d))
        while True:
            with without_cycle_collection():  # a batch makes many objects, none in cycles
                message = self.channel.recv()
                if message["type"] == "done":
                    return
                if message["type"] == "refuse":
                    raise SyncRefused(str(message.get("reason", ""))[:500])
                if message["type"] != "batch":
                    raise ProtocolError(f"expected batch or done, got {message['type'][:40]!r}")
                runs = decode_runs(message)
                self._check_scope([c for run in runs for c in run.changes])
                try:
                    result = apply_admitted(self.store, gate, runs, held_back)
                except IdentityClash as exc:
                    moved = self.summary.sent or self.summary.received
                    refusal = identity_clash(self.store, exc.device_id, nothing_moved=not moved)
                    self._refuse(refusal, drain=True)
                    raise refusal from None
                except TrustRefused as exc:
                    refusal = SyncRefused(str(exc))
                    self._refuse(refusal, drain=True)
                    raise refusal from None
                except BatchRefused as exc:
                    raise ProtocolError(f"batch refused: {exc}") from None
                except DB_ERRORS as exc:
                    raise ProtocolError(f"batch refused by the database: {exc.__class__.__name__}") from None
                held_back.update(result.deferred)
                for run in runs if their_marks is not None else ():  # raised (a stranger's seq was never checked)
                    if type(last := run.changes[-1].seq) is int and last > their_marks.get(run.origin, 0):
                        their_marks[run.origin] = last
                count = sum(len(run.changes) for run in runs)
                self.summary.received += count
                self.summary.result.add(result)
                self.summary.strangers = sum(gate.strangers.values())
                self.summary.after_revocation = sum(gate.after_revocation.values())
                self.progress(count)

    def _check_scope(self, changes: list[RemoteChange]) -> None:
        if (why := scope.out_of_scope(self.store.role, changes)) is not None:
            raise ProtocolError(why)
