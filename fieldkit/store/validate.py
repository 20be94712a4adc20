"""Checking a received change before anything of its batch is applied: well formed for this database, or refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fieldkit.store import schema
from fieldkit.store.changes import INSERT, OPS, PURGE, SET, WHOLE_ROW, WITHHELD, RemoteChange
from fieldkit.store.columns import held_types
from fieldkit.store.errors import BatchRefused
from fieldkit.store.hlc import STAMP

if TYPE_CHECKING:
    from fieldkit.store.store import Store

_MAX_TEXT_ID = 64
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_stamp = STAMP.fullmatch


def validate(store: Store, change: RemoteChange) -> None:
    """Raise BatchRefused unless `change` is well formed for this database (it runs for every
    change received, so each test is inline and each table's rules are one lookup: a first
    sync makes a hundred thousand of them)."""
    c = change
    origin, seq, table, op = c.origin, c.seq, c.table, c.op
    if type(origin) is not str or not 0 < len(origin) <= _MAX_TEXT_ID or type(seq) is not int or seq <= 0:
        raise BatchRefused("a change has no valid origin and sequence number")
    rules = _rules(store, table) if type(table) is str else None
    if rules is None:
        raise BatchRefused(f"a change names a table this laptop does not sync ({str(table)[:40]!r})")
    kind, columns, held = rules
    if op == WITHHELD:
        if c.payload is not None or c.row_id != "" or c.hlc != "":
            raise BatchRefused("a withheld change carries content")
        return
    row_id, hlc = c.row_id, c.hlc
    if op not in OPS or type(row_id) is not str or not 0 < len(row_id) <= _MAX_TEXT_ID:
        raise BatchRefused("a change has an unknown operation or no row id")
    if type(hlc) is not str or _stamp(hlc) is None:
        raise BatchRefused("a change has no valid clock stamp")
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
    for name, value in payload.items():
        kind = type(value)
        if kind not in held[name] or (kind is int and not _INT64_MIN <= value <= _INT64_MAX):
            raise BatchRefused(f"a change to {table} holds a value its column does not hold")


def _rules(store: Store, table: str) -> tuple[str, frozenset[str], dict[str, frozenset[type]]] | None:
    """A synced table's kind, the columns a change may carry, and column name -> the Python
    types a received value of it may have (columns.held_types); None for a table not synced.
    Worked out once per table: the schema does not change while the store is open."""
    rules = store._held.get(table)
    if rules is None:
        kind = store.synced.get(table)
        if kind is None:
            return None
        held = {name: held_types(declared) for name, declared in store.column_types(table).items()}
        rules = store._held[table] = (kind, store.settable_columns(table), held)
    return rules


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
