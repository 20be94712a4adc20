"""Applying changes received from another laptop: the write path for synced data.

A received change is written together with a change-log row that keeps its ORIGINAL
(origin, seq, hlc), so it relays to third laptops and is never applied twice. The
merge rules (docs/sync-protocol.md "Merge"):

- facts merge by id (union); a fact whose id has a whole-row tombstone never comes back;
- record fields are last-writer-wins by (hlc, origin);
- a purge wins over every older write; a record row exists while some `set` of it
  is newer than its whole-row tombstone, and its `origin` is the laptop of the
  oldest such `set` (the one that created it), its `hlc` the newest field stamp.

Every rule depends only on the set of changes held, never on the order they
arrived in, which is what makes any order of syncs converge.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any

from fieldkit.store import schema
from fieldkit.store.changes import (
    COMMON_COLUMNS,
    INSERT,
    PURGE,
    SET,
    WHOLE_ROW,
    WITHHELD,
    RemoteChange,
    Stamp,
)
from fieldkit.store.errors import BatchRefused, IdentityClash
from fieldkit.store.forks import clashing_origin
from fieldkit.store.hlc import MAX_AHEAD_MS, ahead_ms, format_stamp
from fieldkit.store.validate import validate

if TYPE_CHECKING:
    from fieldkit.store.store import Store

_CHUNK = 500
_VALUES_PER_STATEMENT = 2000  # values bound in one INSERT of many rows (SQLite takes up to 32,766)

@dataclass
class ApplyResult:
    applied: int = 0
    already_had: int = 0
    withheld: int = 0
    deferred: dict[str, int] = field(default_factory=dict)  # origin -> changes held back
    ahead_ms: int = 0  # how far ahead of this laptop the furthest held-back stamp was

    def add(self, other: ApplyResult) -> None:
        self.applied += other.applied
        self.already_had += other.already_had
        self.withheld += other.withheld
        for origin, count in other.deferred.items():
            self.deferred[origin] = self.deferred.get(origin, 0) + count
        self.ahead_ms = max(self.ahead_ms, other.ahead_ms)


# -- reading the log -----------------------------------------------------------


def _head(store: Store, origin: str) -> int:
    row = store.db.execute("SELECT max(seq) FROM changes WHERE origin = ?", [origin]).fetchone()
    return row[0] or 0


# -- applying ------------------------------------------------------------------


def apply_changes(
    store: Store,
    changes: Sequence[RemoteChange],
    *,
    max_ahead_ms: int = MAX_AHEAD_MS,
    held_back: Iterable[str] = (),
    validated: bool = False,
) -> ApplyResult:
    """Apply one received batch in one transaction, together with its log rows.

    Already-held changes are skipped (applying twice is a no-op). An origin in
    `held_back` (deferred earlier in this session) has its changes counted as
    deferred. Raises BatchRefused, applying nothing, when any change is malformed
    or an origin's sequence has a gap, and IdentityClash (a BatchRefused) when it shows
    that two laptops use one device id (fieldkit/store/forks.py).
    """
    if not validated:  # sync/trust.py validates each change before proving it
        for change in changes:
            validate(store, change)
    result = ApplyResult()
    with store.transaction():  # its failure also takes back what the clock observed
        store.seal()  # this laptop's own history chained before a received change is matched or applied
        fresh = _select_fresh(store, changes, max_ahead_ms, set(held_back), result)
        if fresh:
            _log(store, fresh)
            _apply_all(store, [c for c in fresh if c.op != WITHHELD])
            store.observe([c.hlc for c in fresh if c.op != WITHHELD])
    return result


def _select_fresh(
    store: Store, changes: Sequence[RemoteChange], max_ahead_ms: int, held_back: set[str], result: ApplyResult
) -> list[RemoteChange]:
    heads: dict[str, int] = {}
    fresh: list[RemoteChange] = []
    already_held: list[RemoteChange] = []
    now = store.wall()
    too_far = format_stamp(now + max_ahead_ms, 0)
    for c in changes:
        if c.origin in held_back:
            result.deferred[c.origin] = result.deferred.get(c.origin, 0) + 1
            continue
        if c.origin not in heads:
            heads[c.origin] = _head(store, c.origin)
        if c.seq <= heads[c.origin]:
            result.already_had += 1
            already_held.append(c)
            continue
        if c.origin == store.device_id:
            raise IdentityClash(c.origin)  # numbered as this laptop's own, yet it never made it
        if c.seq != heads[c.origin] + 1:
            raise BatchRefused(f"the changes of one laptop skip from {heads[c.origin]} to {c.seq}")
        if c.op != WITHHELD and c.hlc > too_far:  # stamps are fixed-width text: this compares times
            ahead = ahead_ms(c.hlc, now)
            if ahead > max_ahead_ms:
                # Held back with everything after it from that laptop, so its log keeps no gap.
                held_back.add(c.origin)
                result.deferred[c.origin] = result.deferred.get(c.origin, 0) + 1
                result.ahead_ms = max(result.ahead_ms, ahead)
                continue
        heads[c.origin] = c.seq
        fresh.append(c)
        if c.op == WITHHELD:
            result.withheld += 1
        else:
            result.applied += 1
    # Skipping an already-held number is only right if it is the same change.
    clash = clashing_origin(store, already_held) if already_held else None
    if clash is not None:
        raise IdentityClash(clash)
    return fresh


def _insert_all(store: Store, head: str, rows: list[tuple]) -> None:
    """`head` ("INSERT INTO t (a, b)") for each of `rows` (of one width), a few hundred rows a
    statement: executemany steps, resets and releases the GIL once per row (receiving 12,000
    changes: 7% fewer instructions in all). A failing row fails its batch all the same."""
    if not rows:
        return
    width = len(rows[0])
    per = max(1, _VALUES_PER_STATEMENT // width)
    one = f"({', '.join('?' * width)})"
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        store.db.conn.execute(f"{head} VALUES {', '.join([one] * len(part))}", list(chain.from_iterable(part)))


def _log(store: Store, changes: list[RemoteChange]) -> None:
    # Proofs and hashes bound as bytearray: sqlcipher3 binds bytes (and None) only after looking
    # for adapters on them, two failed attribute lookups (~2 us a value); a bytearray it binds as is.
    _insert_all(
        store,
        "INSERT INTO changes (origin, seq, tbl, row_id, hlc, op, proof, hash)",
        [
            (c.origin, c.seq, c.table, c.row_id, c.hlc, c.op, bytearray(c.proof), bytearray(c.hash))
            if c.hash is not None else (c.origin, c.seq, c.table, c.row_id, c.hlc, c.op, c.proof, None)
            for c in changes
        ],
    )


def _apply_all(store: Store, changes: list[RemoteChange]) -> None:
    by_table: dict[str, list[RemoteChange]] = defaultdict(list)
    for c in changes:
        by_table[c.table].append(c)
    for table, group in by_table.items():
        if store.synced[table] == schema.FACT:
            _apply_facts(store, table, group)
        else:
            _apply_records(store, table, group)
        _write_tombstones(store, table, group)


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _none_held(store: Store, greatest_sql: str, params: list, row_ids: list[str]) -> bool:
    """Whether every id sorts after the greatest text id `greatest_sql` finds (one index seek),
    so none is held: ULIDs grow with time, so a first sync's rows mostly do, and skip a seek each."""
    (greatest,) = store.db.execute(greatest_sql, params).fetchone()
    return not row_ids or greatest is None or (type(greatest) is str and min(row_ids) > greatest)


def _whole_tombstones(store: Store, table: str, row_ids: list[str]) -> dict[str, Stamp]:
    found: dict[str, Stamp] = {}
    if _none_held(store, "SELECT max(row_id) FROM tombstones WHERE tbl = ?", [table], row_ids):
        return found
    for chunk in _chunks(row_ids):
        marks = ", ".join("?" for _ in chunk)
        for row_id, hlc, origin in store.db.execute(
            f"SELECT row_id, hlc, origin FROM tombstones WHERE tbl = ? AND field = '' AND row_id IN ({marks})",
            [table, *chunk],
        ):
            found[row_id] = (hlc, origin)
    return found


def _write_tombstones(store: Store, table: str, changes: list[RemoteChange]) -> None:
    purges = [c for c in changes if c.op == PURGE]  # few, if any: no call per change
    if not purges:
        return
    store.db.conn.executemany(
        "INSERT INTO tombstones (tbl, row_id, field, hlc, origin, reason) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (tbl, row_id, field) DO UPDATE SET"
        " hlc = excluded.hlc, origin = excluded.origin, reason = excluded.reason"
        " WHERE (excluded.hlc, excluded.origin) > (tombstones.hlc, tombstones.origin)",
        [
            (table, c.row_id, f, c.hlc, c.origin, c.payload["reason"])
            for c in purges
            for f in c.payload["fields"]
        ],
    )


def _insert_rows(store: Store, table: str, rows: list[dict[str, Any]], verb: str = "INSERT") -> None:
    by_shape: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
    for row in rows:
        by_shape[tuple(row)].append(tuple(row.values()))
    triggered = len(rows) > 1 and _has_triggers(store, table)
    for names, values in by_shape.items():
        columns = ", ".join(f"[{n}]" for n in names)
        if triggered and not any(type(v) is float for row in values for v in row):
            # One statement for them all. SQLite opens a statement savepoint for each statement
            # that fires a trigger, and FTS5 (people_words) writes its pending terms out at each:
            # a segment per person, then merging them, 5x the work of the rows themselves. Text,
            # integers and NULL come back from JSON exactly; floats would not, so they never go.
            picks = ", ".join(f"value ->> {i}" for i in range(len(names)))
            store.db.conn.execute(
                f"{verb} INTO [{table}] ({columns}) SELECT {picks} FROM json_each(?)",
                [json.dumps(values, ensure_ascii=False)],
            )
        else:
            _insert_all(store, f"{verb} INTO [{table}] ({columns})", values)


def _has_triggers(store: Store, table: str) -> bool:
    row = store.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? LIMIT 1", [table])
    return row.fetchone() is not None


def _apply_facts(store: Store, table: str, changes: list[RemoteChange]) -> None:
    purged = {c.row_id for c in changes if c.op == PURGE and WHOLE_ROW in c.payload["fields"]}
    inserts = [c for c in changes if c.op == INSERT and c.payload is not None]
    gone = purged | set(_whole_tombstones(store, table, [c.row_id for c in inserts]))
    rows = [
        {"id": c.row_id, "origin": c.origin, "hlc": c.hlc, **c.payload}
        for c in inserts
        if c.row_id not in gone
    ]
    # A fact is immutable: the same id is the same fact, so a second copy is ignored.
    _insert_rows(store, table, rows, verb="INSERT OR IGNORE")
    store.db.conn.executemany(f"DELETE FROM [{table}] WHERE id = ?", [(i,) for i in purged])


@dataclass
class _RowState:
    """A record row while a batch is merged into it."""

    values: dict[str, Any] | None  # its columns as stored, None if absent
    clocks: dict[str, Stamp]
    whole: Stamp | None  # its whole-row tombstone
    first_set: Stamp | None = None  # the oldest `set` of it in this batch
    last_set: str | None = None


def _load_records(store: Store, table: str, row_ids: list[str]) -> dict[str, _RowState]:
    states = {row_id: _RowState(None, {}, None) for row_id in row_ids}
    if not _none_held(store, f"SELECT max(id) FROM [{table}]", [], row_ids):
        for chunk in _chunks(row_ids):
            cursor = store.db.execute(f"SELECT * FROM [{table}] WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
            names = [d[0] for d in cursor.description]
            for row in cursor:
                values = dict(zip(names, row))
                states[values["id"]].values = values
    if not _none_held(store, "SELECT max(row_id) FROM field_clocks WHERE tbl = ?", [table], row_ids):
        for chunk in _chunks(row_ids):
            for row_id, name, hlc, origin in store.db.execute(
                f"SELECT row_id, field, hlc, origin FROM field_clocks WHERE tbl = ? AND row_id IN"
                f" ({', '.join('?' * len(chunk))})", [table, *chunk],
            ):
                states[row_id].clocks[name] = (hlc, origin)
    for row_id, stamp in _whole_tombstones(store, table, row_ids).items():
        states[row_id].whole = stamp
    return states


def _merge_record_change(state: _RowState, c: RemoteChange, pending: dict[str, Any]) -> None:
    stamp = c.stamp
    if c.op == SET:
        if state.whole is not None and stamp < state.whole:
            return  # purged after it was written
        state.first_set = min(state.first_set or stamp, stamp)
        state.last_set = max(state.last_set or c.hlc, c.hlc)
        for name, value in c.payload.items():
            if name not in state.clocks or stamp > state.clocks[name]:
                state.clocks[name] = stamp
                pending[name] = value
        return
    fields = c.payload["fields"]
    if WHOLE_ROW in fields and (state.whole is None or stamp > state.whole):
        state.whole = stamp
        for name, clock in list(state.clocks.items()):
            if clock < stamp:
                del state.clocks[name]
                pending[name] = None
    for name in fields:
        if name == WHOLE_ROW or (state.whole is not None and stamp < state.whole):
            continue
        if name not in state.clocks or stamp > state.clocks[name]:
            state.clocks[name] = stamp
            pending[name] = None


def _apply_records(store: Store, table: str, changes: list[RemoteChange]) -> None:
    row_ids = list(dict.fromkeys(c.row_id for c in changes))
    states = _load_records(store, table, row_ids)
    clocked = [(table, row_id) for row_id in row_ids if states[row_id].clocks]  # rows with field clocks held
    pending: dict[str, dict[str, Any]] = {row_id: {} for row_id in row_ids}
    for c in changes:
        _merge_record_change(states[c.row_id], c, pending[c.row_id])

    inserts, updates, deletes, clocks = [], [], [], []
    for row_id in row_ids:
        state = states[row_id]
        existed = state.values is not None
        exists, origin = _existence(store, table, row_id, state)
        clocks.extend((table, row_id, name, hlc, o) for name, (hlc, o) in state.clocks.items())
        if not exists:
            if existed:
                deletes.append((row_id,))
            continue
        row = dict(state.values) if existed else {"id": row_id}
        row.update(pending[row_id])
        row["origin"] = origin
        # The newest field stamp: stamps are (hlc, origin), so the greatest has the newest hlc.
        newest = max(state.clocks.values())[0] if state.clocks else None
        row["hlc"] = newest or (state.values or {}).get("hlc") or state.last_set
        (updates if existed else inserts).append(row)

    store.db.conn.executemany("DELETE FROM field_clocks WHERE tbl = ? AND row_id = ?", clocked)
    _insert_all(store, "INSERT INTO field_clocks (tbl, row_id, field, hlc, origin)", clocks)
    store.db.conn.executemany(f"DELETE FROM [{table}] WHERE id = ?", deletes)
    _insert_rows(store, table, inserts)
    for row in updates:
        names = [n for n in row if n != "id"]
        store.db.execute(
            f"UPDATE [{table}] SET {', '.join(f'[{n}] = ?' for n in names)} WHERE id = ?",
            [*(row[n] for n in names), row["id"]],
        )


def _existence(store: Store, table: str, row_id: str, state: _RowState) -> tuple[bool, str | None]:
    """Whether a record row exists after the merge, and the laptop that created it."""
    existed = state.values is not None
    if state.whole is None:
        if not existed:
            return state.first_set is not None, state.first_set and state.first_set[1]
        if state.first_set is None:
            return True, state.values["origin"]  # no write of it arrived: its creator stays
    # Otherwise the log decides (one seek in changes_by_record): the row's `hlc` is its newest
    # *field* stamp, which can be older than the write that created it (a write whose fields
    # all arrived already decided by others carries none), so it cannot tell whether an
    # arriving write is older than the creator's.
    after = state.whole or ("", "")
    row = store.db.execute(
        "SELECT origin FROM changes WHERE tbl = ? AND row_id = ? AND op = 'set'"
        " AND (hlc, origin) > (?, ?) ORDER BY hlc, origin LIMIT 1",
        [table, row_id, *after],
    ).fetchone()
    return (row is not None, row[0] if row else None)


# -- seeding a joining laptop --------------------------------------------------


def apply_snapshot(
    store: Store,
    rows: dict[str, list[dict[str, Any]]],
    field_clocks: list[tuple[str, str, str, str, str]],
    tombstones: list[tuple[str, str, str, str, str, str]],
) -> None:
    """Copy rows exactly as another laptop holds them (origin, hlc and field clocks
    included), without log entries: used once, when a laptop joins, for the event
    and its roster. When the same changes later arrive by sync they change nothing.
    """
    stamps = []
    with store.transaction():
        for table, table_rows in rows.items():
            if table not in store.synced:
                raise BatchRefused(f"the join file names a table this laptop does not sync ({table})")
            for row in table_rows:
                validate(store, RemoteChange(row["origin"], 1, table, row["id"], row["hlc"],
                                             INSERT if store.synced[table] == schema.FACT else SET,
                                             {k: v for k, v in row.items() if k not in COMMON_COLUMNS}))
                stamps.append(row["hlc"])
            _insert_rows(store, table, table_rows, verb="INSERT OR REPLACE")
        store.db.conn.executemany(
            "INSERT OR REPLACE INTO field_clocks (tbl, row_id, field, hlc, origin) VALUES (?, ?, ?, ?, ?)",
            field_clocks,
        )
        store.db.conn.executemany(
            "INSERT OR REPLACE INTO tombstones (tbl, row_id, field, hlc, origin, reason)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            tombstones,
        )
        stamps.extend(t[3] for t in field_clocks)
        store.observe(stamps)
