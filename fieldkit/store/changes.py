"""The change log's vocabulary: one change as it is logged and as it travels, its operations, and each origin's head.

Shared by the write path (store.py), merging received changes (apply.py), telling
forked identities apart (forks.py) and the sync protocol, so none of them imports another
for these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Store(Protocol):
    """What the log queries need of an open store (its database), without importing store.py."""

    db: Any

INSERT, SET, PURGE, WITHHELD = "insert", "set", "purge", "withheld"
OPS = (INSERT, SET, PURGE, WITHHELD)
WHOLE_ROW = ""
COMMON_COLUMNS = ("id", "origin", "hlc")

Stamp = tuple[str, str]  # (hlc, origin): the last-writer-wins order
_set_fields = object.__setattr__


@dataclass(frozen=True)
class Change:
    """One entry of the change log."""

    origin: str
    seq: int
    table: str
    row_id: str
    hlc: str
    op: str


@dataclass(frozen=True)
class RemoteChange(Change):
    """One change-log entry as it travels between laptops, with what it carries.

    payload: insert -> the fact's columns; set -> the fields this change still
    decides; purge -> {"fields": [...], "reason": str}; withheld -> None (a
    placeholder for a change of a table the receiving laptop's role may not hold).
    proof and hash: its place in its origin's hash chain (fieldkit/store/chain.py), as
    the sender holds them or as verified on arrival; None for a change not proven.
    """

    payload: dict[str, Any] | None = None
    proof: bytes | None = None
    hash: bytes | None = None

    def __init__(self, origin: str, seq: int, table: str, row_id: str, hlc: str, op: str,
                 payload: dict[str, Any] | None = None, proof: bytes | None = None, hash: bytes | None = None):
        # The dataclass's own frozen __init__ sets each of the nine fields through
        # object.__setattr__ (1.5 us a change); a first sync makes three per change.
        _set_fields(self, "__dict__", {"origin": origin, "seq": seq, "table": table, "row_id": row_id, "hlc": hlc,
                                       "op": op, "payload": payload, "proof": proof, "hash": hash})

    @property
    def stamp(self) -> Stamp:
        return (self.hlc, self.origin)

    def proven(self, proof: bytes, hash: bytes) -> RemoteChange:
        """This change with the proof and hash verified for it (a copy of its fields, not nine arguments)."""
        fields = self.__dict__.copy()
        fields["proof"], fields["hash"] = proof, hash
        change = object.__new__(RemoteChange)
        _set_fields(change, "__dict__", fields)
        return change


# Each origin's newest log entry, by index seeks: the cost grows with the number of laptops.
_HEADS_SQL = """
WITH RECURSIVE o(origin) AS (
  SELECT min(origin) FROM changes
  UNION ALL
  SELECT (SELECT min(origin) FROM changes WHERE origin > o.origin) FROM o WHERE o.origin IS NOT NULL
)
SELECT c.origin, c.seq, c.tbl, c.row_id, c.hlc, c.op FROM o
JOIN changes c ON c.origin = o.origin
 AND c.seq = (SELECT max(seq) FROM changes m WHERE m.origin = o.origin)
"""


def head_entries(store: Store) -> dict[str, Change]:
    """The newest change held of each origin."""
    return {row[0]: Change(*row) for row in store.db.execute(_HEADS_SQL)}


def watermarks(store: Store) -> dict[str, int]:
    """The highest seq held per origin; each origin's log is held without gaps."""
    return {origin: entry.seq for origin, entry in head_entries(store).items()}
