"""What a logged change still carries: the rows, field clocks and tombstones of one table that a batch of changes needs.

Read when changes are sent (sync/feed.py) and when an existing database's own changes
are chained at the upgrade that introduced provenance (fieldkit/store/history.py).
"""

from __future__ import annotations

from collections import defaultdict
from operator import itemgetter
from typing import Any

from fieldkit.store.changes import COMMON_COLUMNS, INSERT, PURGE, SET
from fieldkit.store.synced import RECORD

_CHUNK = 500
_NO_CLOCKS: dict[str, tuple[str, str]] = {}

LogRow = tuple[str, int, str, str, str, str]  # (origin, seq, tbl, row_id, hlc, op)


class Content:
    """The rows, field clocks and (on request) tombstones of one table that a batch needs."""

    def __init__(self, kind: str):
        self.kind = kind
        self.rows: dict[str, dict[str, Any]] = {}  # id -> its columns but the common ones
        self.clocks: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        self.tombstones: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)

    @classmethod
    def load(cls, db: Any, table: str, kind: str, row_ids: list[str], *, tombstones: bool = False) -> Content:
        """`db` is the store's sqlite-utils Database (or anything with `execute`)."""
        found = cls(kind)
        unique = list(dict.fromkeys(row_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            cursor = db.execute(f"SELECT * FROM [{table}] WHERE id IN ({marks})", chunk)
            names = [d[0] for d in cursor.description]
            at_id = names.index("id")
            kept = [i for i, name in enumerate(names) if name not in COMMON_COLUMNS]
            fields = [names[i] for i in kept]
            pick = itemgetter(*kept, at_id)  # the id last: always a tuple, and zip stops before it
            for values in cursor:
                found.rows[values[at_id]] = dict(zip(fields, pick(values)))
            if kind == RECORD:
                for row_id, name, hlc, origin in db.execute(
                    f"SELECT row_id, field, hlc, origin FROM field_clocks WHERE tbl = ? AND row_id IN ({marks})",
                    [table, *chunk],
                ):
                    found.clocks[row_id][name] = (hlc, origin)
            if tombstones:
                for row_id, name, hlc, origin, reason in db.execute(
                    f"SELECT row_id, field, hlc, origin, reason FROM tombstones WHERE tbl = ? AND row_id IN ({marks})",
                    [table, *chunk],
                ):
                    found.tombstones[row_id].append((name, hlc, origin, reason))
        return found

    def payload(self, row: LogRow) -> dict[str, Any] | None:
        """What the change still decides: a fact's columns (None once purged), a record
        write's fields whose clock is still its stamp, a purge's tombstones still its own."""
        origin, _seq, _table, row_id, hlc, op = row
        stamp = (hlc, origin)
        if op == INSERT:
            values = self.rows.get(row_id)
            if values is None:
                return None  # purged since: only the log entry travels, the tombstone follows
            return values.copy()
        if op == SET:
            values = self.rows.get(row_id, {})
            # Only the fields this change still decides: later writes travel with their own changes.
            decided = {}
            for name, clock in self.clocks.get(row_id, _NO_CLOCKS).items():
                if clock == stamp and name in values:
                    decided[name] = values[name]
            return decided
        if op == PURGE:
            mine = [t for t in self.tombstones.get(row_id, []) if (t[1], t[2]) == stamp]
            return {"fields": [t[0] for t in mine], "reason": mine[0][3] if mine else ""}
        raise ValueError(f"unknown operation {op!r} in the change log")
