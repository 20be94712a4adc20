"""The change feed: what this laptop holds beyond a peer's watermarks, in bounded batches.

Changes are read from the store's change log in each origin's own order and carry
the content they still decide (see fieldkit/store/apply.py). A change of a table the
receiver's role may not hold travels as a `withheld` placeholder (origin, seq and
table, nothing else) so the receiver's log stays gap-free; a placeholder this
laptop holds is forwarded only to a laptop that may not hold that table either,
and for any other the origin's feed stops there, to be completed by a laptop that
has the content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from fieldkit.store import schema
from fieldkit.store.changes import COMMON_COLUMNS, INSERT, PURGE, SET, WITHHELD, RemoteChange, watermarks
from fieldkit.store.store import Store

# Changes per batch (one transaction, one fsync on the receiver); a frame stays well under
# its 4 MiB limit at ~225 bytes per change, and a bigger one is split by the sender.
DEFAULT_BATCH = 4000
_CHUNK = 500

__all__ = ["DEFAULT_BATCH", "changes_since", "pending", "watermarks"]


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
    """Batches of at most `limit` changes beyond `theirs`, scoped by `may_hold(table)`.

    Memory holds one batch at a time, whatever the size of the database.
    """
    heads = watermarks(store)
    batch: list[tuple] = []
    for origin in sorted(heads):
        after = max(0, theirs.get(origin, 0))
        stopped = False
        while after < heads[origin] and not stopped:
            rows = store.db.execute(
                "SELECT origin, seq, tbl, row_id, hlc, op FROM changes"
                " WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
                [origin, after, limit - len(batch)],
            ).fetchall()
            if not rows:
                break
            for row in rows:
                if row[5] == WITHHELD and may_hold(row[2]):
                    stopped = True  # content this laptop never had: the receiver gets it elsewhere
                    break
                batch.append(row)
                after = row[1]
            if len(batch) >= limit:
                yield _with_content(store, batch, may_hold)
                batch = []
    if batch:
        yield _with_content(store, batch, may_hold)


def _withheld(row: tuple) -> RemoteChange:
    return RemoteChange(row[0], row[1], row[2], "", "", WITHHELD, None)


def _with_content(store: Store, rows: list[tuple], may_hold: Callable[[str], bool]) -> list[RemoteChange]:
    wanted: dict[str, list[str]] = defaultdict(list)
    for origin, seq, table, row_id, hlc, op in rows:
        if op != WITHHELD and may_hold(table):
            wanted[table].append(row_id)
    content = {table: _Content.load(store, table, ids) for table, ids in wanted.items()}
    changes = []
    for row in rows:
        origin, seq, table, row_id, hlc, op = row
        if op == WITHHELD or not may_hold(table):
            changes.append(_withheld(row))
        else:
            changes.append(RemoteChange(origin, seq, table, row_id, hlc, op, content[table].payload(row)))
    return changes


class _Content:
    """The rows, field clocks and tombstones of one table that a batch needs."""

    def __init__(self, kind: str):
        self.kind = kind
        self.rows: dict[str, dict[str, Any]] = {}
        self.clocks: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        self.tombstones: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)

    @classmethod
    def load(cls, store: Store, table: str, row_ids: list[str]) -> _Content:
        found = cls(store.synced[table])
        unique = list(dict.fromkeys(row_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            cursor = store.db.execute(f"SELECT * FROM [{table}] WHERE id IN ({marks})", chunk)
            names = [d[0] for d in cursor.description]
            for values in cursor:
                row = dict(zip(names, values))
                found.rows[row["id"]] = row
            if found.kind == schema.RECORD:
                for row_id, name, hlc, origin in store.db.execute(
                    f"SELECT row_id, field, hlc, origin FROM field_clocks WHERE tbl = ? AND row_id IN ({marks})",
                    [table, *chunk],
                ):
                    found.clocks[row_id][name] = (hlc, origin)
            for row_id, name, hlc, origin, reason in store.db.execute(
                f"SELECT row_id, field, hlc, origin, reason FROM tombstones WHERE tbl = ? AND row_id IN ({marks})",
                [table, *chunk],
            ):
                found.tombstones[row_id].append((name, hlc, origin, reason))
        return found

    def payload(self, row: tuple) -> dict[str, Any] | None:
        origin, _seq, _table, row_id, hlc, op = row
        stamp = (hlc, origin)
        if op == INSERT:
            values = self.rows.get(row_id)
            if values is None:
                return None  # purged since: only the log entry travels, the tombstone follows
            return {k: v for k, v in values.items() if k not in COMMON_COLUMNS}
        if op == SET:
            values = self.rows.get(row_id, {})
            # Only the fields this change still decides: later writes travel with their own changes.
            return {
                name: values.get(name)
                for name, clock in self.clocks.get(row_id, {}).items()
                if clock == stamp and name in values
            }
        if op == PURGE:
            mine = [t for t in self.tombstones.get(row_id, []) if (t[1], t[2]) == stamp]
            return {"fields": [t[0] for t in mine], "reason": mine[0][3] if mine else ""}
        raise ValueError(f"unknown operation {op!r} in the change log")
