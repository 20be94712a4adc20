"""Checking a received change before anything of its batch is applied: well formed for this database, or refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldkit.store import schema
from fieldkit.store.changes import INSERT, OPS, PURGE, SET, WHOLE_ROW, WITHHELD, RemoteChange
from fieldkit.store.columns import held_types
from fieldkit.store.errors import BatchRefused
from fieldkit.store.hlc import is_stamp

if TYPE_CHECKING:
    from fieldkit.store.store import Store

_MAX_TEXT_ID = 64
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _text_id(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= _MAX_TEXT_ID


def validate(store: Store, change: RemoteChange) -> None:
    """Raise BatchRefused unless `change` is well formed for this database (it runs for every
    change received, so each test is inline: a first sync makes a hundred thousand of them)."""
    c = change
    origin, seq, table, op = c.origin, c.seq, c.table, c.op
    if type(origin) is not str or not 0 < len(origin) <= _MAX_TEXT_ID or type(seq) is not int or seq <= 0:
        raise BatchRefused("a change has no valid origin and sequence number")
    kind = store.synced.get(table) if type(table) is str else None
    if kind is None:
        raise BatchRefused(f"a change names a table this laptop does not sync ({str(table)[:40]!r})")
    if op == WITHHELD:
        if c.payload is not None or c.row_id != "" or c.hlc != "":
            raise BatchRefused("a withheld change carries content")
        return
    if op not in OPS or not _text_id(c.row_id):
        raise BatchRefused("a change has an unknown operation or no row id")
    if not is_stamp(c.hlc):
        raise BatchRefused("a change has no valid clock stamp")
    columns = store.settable_columns(table)
    if op == PURGE:
        _validate_purge(c, kind, columns)
        return
    if not ((op == INSERT and kind == schema.FACT) or (op == SET and kind == schema.RECORD)):
        raise BatchRefused(f"{op} is not allowed on {kind} table {table}")
    payload = c.payload
    if payload is None and op == INSERT:
        return  # the sender no longer holds the row (purged): only the log entry travels
    if not isinstance(payload, dict) or not columns.issuperset(payload):
        raise BatchRefused(f"a change to {table} names columns it does not have")
    held = _held_types(store, table)
    for name, value in payload.items():
        kind = type(value)
        if kind not in held[name] or (kind is int and not _INT64_MIN <= value <= _INT64_MAX):
            raise BatchRefused(f"a change to {table} holds a value its column does not hold")


def _held_types(store: Store, table: str) -> dict[str, frozenset[type]]:
    """Column name -> the Python types a received value of it may have (columns.held_types), once per table."""
    held = store._held.get(table)
    if held is None:
        held = store._held[table] = {name: held_types(kind) for name, kind in store.column_types(table).items()}
    return held


def _validate_purge(c: RemoteChange, kind: str, columns: set[str]) -> None:
    p = c.payload
    if not isinstance(p, dict) or set(p) != {"fields", "reason"} or not isinstance(p["reason"], str):
        raise BatchRefused(f"a purge of {c.table} is malformed")
    fields = p["fields"]
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise BatchRefused(f"a purge of {c.table} is malformed")
    allowed = {WHOLE_ROW} if kind == schema.FACT else {WHOLE_ROW} | columns
    if not set(fields) <= allowed:
        raise BatchRefused(f"a purge of {c.table} names columns it does not have")
