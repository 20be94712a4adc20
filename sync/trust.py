"""Admitting a received batch: each run proven against its origin's signature, each change within its origin's authority, revoked laptops cut off, before anything is applied.

For every run (consecutive changes of one origin, sync/batches.py) a laptop recomputes
the hash chain from the content received (fieldkit/store/chain.py), checks the origin's
signature of the last hash with the key the event key certified for it, checks that the
run continues the changes it holds of that origin, and checks every change against the
authority table (fieldkit/store/authority.py) with the role the roster gives the origin,
as the event key's laptop wrote it, never as the change or the sender says. A batch
with one change that fails is refused whole. The event key's own runs are admitted
first, so a batch may carry a new laptop's roster entry and that laptop's changes.

Held back instead of refused: changes of a laptop the roster does not list yet (the
roster reaches this laptop later), and of a revoked laptop after the last change its
revocation accepted. See docs/sync-protocol.md "Provenance" and "Authority".
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fieldkit.errors import Refused
from fieldkit.keys import certified_keys, event_key, signer_for
from fieldkit.roles import ROLES
from fieldkit.store import Store, feeds
from fieldkit.store.apply import ApplyResult, apply_changes
from fieldkit.store.authority import EVENT, may_author, refusal
from fieldkit.store.chain import body, fact_proof, feed_message, link, purge_proof, set_proof
from fieldkit.store.changes import INSERT, PURGE, SET, RemoteChange, watermarks
from fieldkit.store.errors import IdentityClash
from fieldkit.store.validate import validate
from sync.batches import Arrived
from sync.scope import hidden_fields, missing_from

log = logging.getLogger("fieldkit.sync")
_verify = True  # off only inside `unverified()`, which benchmarks/sync.py uses to time the difference


@contextlib.contextmanager
def unverified() -> Iterator[None]:
    """For benchmarks/sync.py only: apply received batches without proving them (and keep
    them unproven, never relayed), to measure what proving costs."""
    global _verify
    _verify = False
    try:
        yield
    finally:
        _verify = True


class TrustRefused(Refused):
    """A received batch holds a change this laptop does not trust; nothing of it was applied."""

    code = "untrusted_batch"

    def __init__(self, message: str, origin: str):
        super().__init__(message)
        self.origin = origin


def accepted_until(store: Store) -> dict[str, int]:
    """Revoked laptop -> the last of its changes its revocation accepted (all this laptop
    holds, for a revocation made before revocations named one)."""
    pinned = event_key(store)
    if pinned is None:
        return {}
    held = watermarks(store)
    rows = store.db.execute(
        "SELECT device_id, last_seq FROM device_revocations WHERE origin = ? ORDER BY hlc DESC", [pinned[0]]
    )
    return {device: held.get(device, 0) if last is None else last for device, last in rows}


@dataclass
class Gate:
    """The checks one session applies to every batch it receives."""

    store: Store
    peer: str  # the sending laptop's name, for sentences
    name_of: Callable[[str], str]
    strangers: Counter = field(default_factory=Counter)  # origin -> changes held back
    after_revocation: Counter = field(default_factory=Counter)  # origin -> changes refused

    def admit(self, runs: list[Arrived], held_back: set[str]) -> Iterator[list[RemoteChange]]:
        """The batch's changes to apply, proven, in two parts: the event key's, then the rest
        (checked against the roster as the first part left it). Raises TrustRefused."""
        pinned = event_key(self.store)
        event_device = pinned[0] if pinned else None
        first = [r for r in runs if r.origin == event_device]
        rest = [r for r in runs if r.origin != event_device]
        for part in (first, rest):
            if part:
                yield [c for run in part for c in self._admit_run(run, held_back, event_device)]

    def _admit_run(self, run: Arrived, held_back: set[str], event_device: str | None) -> list[RemoteChange]:
        if run.origin in held_back:
            return run.changes  # counted as deferred when applied
        if not _verify:
            return run.changes
        if run.origin in self.strangers:
            self.strangers[run.origin] += len(run.changes)
            return []
        principal, keys = self._credentials(run.origin, event_device)
        if principal is None:
            # Not applied, not logged: its changes come again once the roster lists it.
            self.strangers[run.origin] += len(run.changes)
            log.info("held back changes of laptop %s: this laptop's roster does not list it yet", run.origin)
            return []
        proven = self._proven(run)
        head, last = proven[-1].hash, proven[-1].seq
        signed = [(last, run.signature), *run.checkpoints]
        hashes = {c.seq: c.hash for c in proven} if run.checkpoints else {last: head}
        for seq, signature in signed:
            if seq not in hashes or not _signed(keys, signature, feed_message(run.origin, seq, hashes[seq])):
                raise self._forged(run.origin, "their signature does not match them")
        self._check_continuity(run, proven)
        proven = self._within_revocation(run.origin, proven, event_device)
        for change in proven:
            purged = change.payload["fields"] if change.op == PURGE else None
            if not may_author(principal, change.table, change.op, purged):
                raise self._unauthorised(run.origin, principal, change)
        kept = proven[-1].seq if proven else 0
        for seq, signature in signed:
            if seq <= kept:
                feeds.keep_signature(self.store.db, run.origin, seq, signature)
        return proven

    def _credentials(self, origin: str, event_device: str | None) -> tuple[str | None, list[Ed25519PublicKey]]:
        if origin == event_device:
            return EVENT, certified_keys(self.store, origin)
        row = self.store.db.execute(
            "SELECT d.role FROM devices d JOIN field_clocks f ON f.tbl = 'devices' AND f.row_id = d.id"
            " AND f.field = 'role' AND f.origin = ? WHERE d.id = ?",
            [event_device, origin],
        ).fetchone()
        keys = certified_keys(self.store, origin) if row and row[0] in ROLES else []
        return (row[0], keys) if keys else (None, [])

    def _proven(self, run: Arrived) -> list[RemoteChange]:
        """The run's changes with the proof and hash each must have, recomputed from what arrived."""
        store, role = self.store, self.store.role
        hidden: dict[str, frozenset[str]] = {}  # per table, looked up once per run
        prev, proven = run.prev, []
        for c, extra in zip(run.changes, run.proofs):
            validate(store, c)
            op = c.op
            if op == INSERT or op == SET:
                if extra is None:
                    raise self._forged(run.origin, "a change without content carries no proof")
                if op == SET:
                    proof = set_proof(c.payload, extra)
                elif c.payload is None:
                    proof = fact_proof({}, extra)
                else:
                    if c.table not in hidden:
                        hidden[c.table] = hidden_fields(role, c.table)
                    if extra and (
                        len(extra) > len(hidden[c.table] - c.payload.keys()) or missing_from(c.table, c.payload)
                    ):
                        raise self._forged(run.origin, "a fact leaves out fields this laptop may hold")
                    proof = fact_proof(c.payload, extra)
            elif op == PURGE:
                proof = purge_proof(c.payload)
            else:
                proof = extra  # a placeholder: its body
            prev = link(prev, c.origin, c.seq, c.table, body(c.row_id, c.hlc, op, proof))
            proven.append(c.proven(proof, prev))
        return proven

    def _check_continuity(self, run: Arrived, proven: list[RemoteChange]) -> None:
        """The run must follow the hash held before it, and be what is held where it overlaps."""
        first, db = proven[0].seq, self.store.db
        before = feeds.hash_at(db, run.origin, first - 1)
        if before is not None and before != run.prev:
            raise self._forged(run.origin, "they do not follow the changes this laptop holds")
        held = dict(db.execute(
            "SELECT seq, hash FROM changes WHERE origin = ? AND seq BETWEEN ? AND ? AND hash IS NOT NULL",
            [run.origin, first, proven[-1].seq],
        ).fetchall())
        if any(c.seq in held and held[c.seq] != c.hash for c in proven):
            raise IdentityClash(run.origin)  # signed by its key, yet other changes under held numbers
        if before is None and first > 1:
            feeds.adopt_hash(db, run.origin, first - 1, run.prev)

    def _within_revocation(
        self, origin: str, proven: list[RemoteChange], event_device: str | None
    ) -> list[RemoteChange]:
        row = self.store.db.execute(
            "SELECT last_seq, last_hash FROM device_revocations WHERE device_id = ? AND origin = ?"
            " ORDER BY hlc LIMIT 1",
            [origin, event_device],
        ).fetchone()
        if row is None:
            return proven
        last_seq, last_hash = row
        if last_seq is None:
            last_seq = watermarks(self.store).get(origin, 0)
        for c in proven:
            if c.seq == last_seq and last_hash and c.hash.hex() != last_hash:
                raise self._forged(origin, "they differ from what the coordinator accepted before revoking it")
        kept = [c for c in proven if c.seq <= last_seq]
        if len(kept) < len(proven):
            self.after_revocation[origin] += len(proven) - len(kept)
            log.warning(
                "refused %d changes of %s (%s) made after its revocation",
                len(proven) - len(kept), self.name_of(origin), origin,
            )
        return kept

    def _forged(self, origin: str, why: str) -> TrustRefused:
        name = self.name_of(origin)
        log.warning(
            "refused a batch from %s: changes of %s (%s) are not as it signed them: %s", self.peer, name, origin, why
        )
        return TrustRefused(
            f"{self.peer} sent changes of {name} that {name} did not sign as they are ({why}): nothing of that "
            f"batch was applied. If {self.peer} was not changed on purpose, sync it with the coordinator's laptop; "
            f"otherwise revoke it there with `fieldkit device revoke {self.peer}`.",
            origin,
        )

    def _unauthorised(self, origin: str, principal: str, change: RemoteChange) -> TrustRefused:
        name = self.name_of(origin)
        log.warning(
            "refused a batch from %s: %s (%s, %s) may not make a %s of %s",
            self.peer, name, origin, principal, change.op, change.table,
        )
        return TrustRefused(
            f"{self.peer} sent a change this laptop refuses: {refusal(principal, change.table, change.op, name)} "
            f"Nothing of that batch was applied; if {name} was not changed on purpose, revoke it on the "
            f"coordinator's laptop with `fieldkit device revoke {name}`.",
            origin,
        )


def feed_signer(store: Store) -> Callable[[str, int, bytes], bytes]:
    """How this laptop signs the heads of its own feed (its certified key; the event key on the
    coordinator's laptop that created the event), read when first needed."""
    signer = None

    def sign(origin: str, seq: int, head: bytes) -> bytes:
        nonlocal signer
        signer = signer or signer_for(store)
        return signer.private_key.sign(feed_message(origin, seq, head))

    return sign


def apply_admitted(store: Store, gate: Gate, runs: list[Arrived], held_back: set[str]) -> ApplyResult:
    """One received batch in one transaction: the event key's changes first, then the rest."""
    result = ApplyResult()
    consent: list[RemoteChange] = []  # what consent says received, for what it no longer allows here
    with store.transaction():
        store.seal()  # this laptop's own history chained before received runs are matched against it
        for part in gate.admit(runs, held_back):
            result.add(apply_changes(store, part, held_back=held_back, validated=_verify))
            consent += [c for c in part if c.table == "consent_facts"]
        if consent:
            from fieldkit.consent.withdrawal import purge_on_receipt

            purge_on_receipt(store, consent)
    return result


def _signed(keys: list[Ed25519PublicKey], signature: bytes, message: bytes) -> bool:
    for key in keys:
        try:
            key.verify(signature, message)
            return True
        except InvalidSignature:
            continue
    return False
