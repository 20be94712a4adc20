"""The change feed: what this laptop holds beyond a peer's watermarks, in bounded batches of proven runs.

Changes are read from the store's change log in each origin's own order and carry
the content they still decide (fieldkit/store/content.py) and their proof
(fieldkit/store/chain.py). A batch is a list of runs: consecutive changes of one origin
with the hash before the first, and the origin's signature of the last (this laptop
signs its own when it sends them; another laptop's run ends where that laptop signed).

A change of a table the receiver's role may not hold travels as a `withheld`
placeholder (origin, seq, table and its body digest, nothing else) so the receiver's log
stays gap-free; a placeholder this laptop holds is forwarded only to a laptop that may
not hold that table either, and for any other the origin's feed stops before it, to be
completed by a laptop that has the content. An origin's feed also stops before a change
received before provenance (it cannot be proven to others), before a write this laptop
holds without some fields the receiver may hold (`incomplete`, decided by sync/scope.py:
the receiver would count it held and never get the rest), and after the last change a
revocation accepted.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from fieldkit.store import feeds
from fieldkit.store.chain import body
from fieldkit.store.changes import INSERT, PURGE, SET, WITHHELD, RemoteChange, watermarks
from fieldkit.store.content import Content
from fieldkit.store.store import Store

# Changes per batch (one transaction, one fsync on the receiver); a frame stays well under
# its 4 MiB limit at ~250 bytes per change, and a bigger one is split by the sender.
DEFAULT_BATCH = 4000
# The first batch is smaller, so the receiver starts proving and applying while the
# sender reads the next one instead of waiting for a whole batch to be read and signed.
FIRST_BATCH = 500

__all__ = ["DEFAULT_BATCH", "Run", "batches", "changes_since", "pending", "watermarks"]

_ROW = "SELECT origin, seq, tbl, row_id, hlc, op, proof, hash FROM changes"


@dataclass
class Run:
    """Consecutive changes of one origin and what proves them: the hash before the first,
    and the origin's signature of the last (None: this laptop's own, signed when sent)."""

    origin: str
    prev: bytes
    changes: list[RemoteChange]
    signature: bytes | None = None
    # Heads inside the run its origin also signed, as (seq, signature): where a laptop that
    # holds it may end a shorter run of it (relayed runs carry the ones this laptop holds).
    checkpoints: list[tuple[int, bytes]] = field(default_factory=list)


def pending(heads: dict[str, int], theirs: dict[str, int]) -> int:
    """How many changes a laptop with `heads` holds beyond `theirs` (logs have no gaps)."""
    return sum(max(0, head - theirs.get(origin, 0)) for origin, head in heads.items())


def changes_since(
    store: Store,
    theirs: dict[str, int],
    limit: int = DEFAULT_BATCH,
    *,
    may_hold: Callable[[str], bool] = lambda table: True,
) -> Iterator[list[RemoteChange]]:
    """The changes of `batches`, flattened: for applying within one trusted process (tests, tools)."""
    for runs in batches(store, theirs, limit, may_hold=may_hold):
        yield [change for run in runs for change in run.changes]


def batches(
    store: Store,
    theirs: dict[str, int],
    limit: int = DEFAULT_BATCH,
    *,
    may_hold: Callable[[str], bool] = lambda table: True,
    accepted_until: Mapping[str, int] | None = None,
    incomplete: Callable[[str, str], bool] = lambda origin, table: False,
) -> Iterator[list[Run]]:
    """Batches of about `limit` changes (the first of about FIRST_BATCH) beyond `theirs`, scoped by `may_hold(table)`.

    `accepted_until` maps a revoked origin to the last of its changes a revocation
    accepted. A run of another laptop ends only where it signed, so a batch may exceed
    `limit` by the rest of one signed run. Memory holds one batch at a time.
    """
    heads = watermarks(store)
    store.seal()  # this laptop's changes up to its head (and any written since) chained before they are read
    held_tables = [t for t in store.synced if may_hold(t)]
    batch: list[Run] = []
    size = 0
    cap = min(limit, FIRST_BATCH)
    for origin in sorted(heads):
        after = max(0, theirs.get(origin, 0))
        own = origin == store.device_id
        if own:
            end = heads[origin]
        else:
            partial = [t for t in held_tables if incomplete(origin, t)]
            end = _provable_end(store, origin, after, heads[origin], held_tables, partial, accepted_until)
        cuts = [] if own else feeds.signed_points(store.db, origin, after, end)
        end = end if own else (cuts[-1] if cuts else after)
        prev = feeds.hash_at(store.db, origin, after) if end > after else None
        if prev is None:
            continue
        position = after
        while position < end:
            room = max(cap - size, 1)
            if own:
                stop = min(end, position + room)
            else:
                within = bisect.bisect_right(cuts, position + room) - 1
                if within >= 0 and cuts[within] > position:
                    stop = cuts[within]
                elif size:
                    yield batch
                    batch, size, cap = [], 0, limit
                    continue
                else:
                    stop = cuts[bisect.bisect_right(cuts, position)]
            rows = store.db.execute(f"{_ROW} WHERE origin = ? AND seq > ? AND seq <= ? ORDER BY seq",
                                    [origin, position, stop]).fetchall()
            run = Run(origin, prev, _with_content(store, rows, may_hold))
            if not own:
                run.signature = feeds.signature_at(store.db, origin, stop)
                inside = cuts[bisect.bisect_right(cuts, position) : bisect.bisect_left(cuts, stop)]
                run.checkpoints = [(seq, feeds.signature_at(store.db, origin, seq)) for seq in inside]
            batch.append(run)
            size += len(rows)
            prev, position = rows[-1][7], stop
            if size >= cap:
                yield batch
                batch, size, cap = [], 0, limit
    if batch:
        yield batch


def _provable_end(
    store: Store,
    origin: str,
    after: int,
    head: int,
    held_tables: list[str],
    partial: list[str],
    accepted_until: Mapping[str, int] | None,
) -> int:
    """The last change of another laptop this one can send on: before one it cannot prove or whose
    content (or part of it) the receiver must get elsewhere, and not after what a revocation accepted."""
    end = head
    if accepted_until is not None and origin in accepted_until:
        end = min(end, accepted_until[origin])
    marks = ", ".join("?" for _ in held_tables) or "NULL"
    parts = ", ".join("?" for _ in partial) or "NULL"
    row = store.db.execute(
        f"SELECT min(seq) FROM changes WHERE origin = ? AND seq > ? AND seq <= ?"
        f" AND (proof IS NULL OR (op = ? AND tbl IN ({marks})) OR (op IN (?, ?) AND tbl IN ({parts})))",
        [origin, after, end, WITHHELD, *held_tables, INSERT, SET, *partial],
    ).fetchone()
    return end if row[0] is None else row[0] - 1


def _with_content(store: Store, rows: list[tuple], may_hold: Callable[[str], bool]) -> list[RemoteChange]:
    held = {table: may_hold(table) for table in {row[2] for row in rows}}  # asked once per table, not per row
    wanted: dict[str, list[str]] = defaultdict(list)
    for _origin, _seq, table, row_id, _hlc, op, _proof, _hash in rows:
        if op != WITHHELD and op != PURGE and held[table]:
            wanted[table].append(row_id)
    content = {table: Content.load(store.db, table, store.synced[table], ids) for table, ids in wanted.items()}
    changes = []
    for row in rows:
        origin, seq, table, row_id, hlc, op, proof, head = row
        if op == WITHHELD or not held[table]:
            # Only what places it in the chain: its body digest, never its row id, stamp or content.
            changes.append(RemoteChange(origin, seq, table, "", "", WITHHELD, None, _body(row), head))
        elif op == PURGE:
            changes.append(RemoteChange(origin, seq, table, row_id, hlc, op, json.loads(proof), proof, head))
        else:
            payload = content[table].payload(row[:6])
            changes.append(RemoteChange(origin, seq, table, row_id, hlc, op, payload, proof, head))
    return changes


def _body(row: tuple) -> bytes:
    _origin, _seq, _table, row_id, hlc, op, proof, _hash = row
    return body(row_id, hlc, op, proof)
