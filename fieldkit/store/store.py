"""The event store: one open database and the one write path to its synced tables."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlite_utils import Database

from fieldkit.private_files import new_database
from fieldkit.roles import COORDINATOR
from fieldkit.store import feeds, schema
from fieldkit.store.authority import EVENT, may_author, refusal
from fieldkit.store.chain import purge_proof, set_proof
from fieldkit.store.changes import COMMON_COLUMNS, INSERT, PURGE, SET, Change
from fieldkit.store.columns import as_stored, dump_json  # noqa: F401 (dump_json: re-exported)
from fieldkit.store.connection import apply_pragmas, check_new_passphrase, connect
from fieldkit.store.errors import CannotCreate, WriteRefused
from fieldkit.store.faults import storage_fault
from fieldkit.store.hlc import HybridClock, wall_millis
from fieldkit.store.ids import new_id
from fieldkit.store.times import utc_text

DB_ERRORS = (sqlite3.Error, sqlcipher3.Error)
INTEGRITY_ERRORS = (sqlite3.IntegrityError, sqlcipher3.IntegrityError)

# What a local write continues after, in one statement: the newest stamp received by sync, and
# this laptop's newest change (its seq and stamp: one index seek); no row before its first.
_RECEIVED = "SELECT value FROM fieldkit_meta WHERE key = 'hlc'"
_CLOCK_AND_HEAD = f"SELECT ({_RECEIVED}), seq, hlc FROM changes WHERE origin = ? ORDER BY seq DESC LIMIT 1"
_BEFORE_FIRST = f"SELECT ({_RECEIVED}), 0, NULL"


class Store:
    """An open event database. All writes to synced tables go through its methods."""

    def __init__(self, db: Database, path: Path, wall: Callable[[], int] = wall_millis):
        self.db = db
        self.path = path
        self.wall = wall
        self._meta = {row["key"]: row["value"] for row in db["fieldkit_meta"].rows}
        self.clock = HybridClock.resume(self._meta.get("hlc"), now=wall)
        # A local write's stamp is kept in its change-log row, not copied to fieldkit_meta.
        own = db.execute(_CLOCK_AND_HEAD, [self.device_id]).fetchone() if "device_id" in self._meta else None
        if own:
            self.clock.observe(own[2])
        self.synced = {row["name"]: row["kind"] for row in db["synced_tables"].rows}
        self._columns: dict[str, dict[str, str]] = {}
        self._settable: dict[str, frozenset[str]] = {}
        self._held: dict[str, tuple] = {}  # validate.py's rules, per table
        self._open = 0  # transactions and savepoints of this store open now, outermost = 1
        self._torn = 0  # the outermost of them holding a fact without its change-log row (0: none)
        self._inserts: dict[tuple[str, ...], str] = {}  # a fact's INSERT, by table and columns

    # -- identity ---------------------------------------------------------
    @property
    def device_id(self) -> str:
        return self._meta["device_id"]

    @property
    def device_name(self) -> str:
        return self._meta["device_name"]

    @property
    def role(self) -> str:
        return self._meta.get("role", COORDINATOR)

    @property
    def principal(self) -> str:
        """Who this laptop writes as (fieldkit/store/authority.py): the event key's holder, or its role."""
        return EVENT if self._meta.get("event_signing_key") else self.role

    @property
    def event_id(self) -> str:
        return self._meta["event_id"]

    @property
    def database_id(self) -> str:
        """This database file's own id (never synced): tells a copy of this laptop's identity
        on another laptop from this laptop itself."""
        if "database_id" not in self._meta:
            # Made on first use for databases created before it existed; OR IGNORE keeps
            # whichever process on this laptop got there first.
            self.db.execute(
                "INSERT OR IGNORE INTO fieldkit_meta (key, value) VALUES ('database_id', ?)", [new_id()]
            )
            row = self.db.execute("SELECT value FROM fieldkit_meta WHERE key = 'database_id'").fetchone()
            self._meta["database_id"] = row[0]
        return self._meta["database_id"]

    @property
    def encrypted(self) -> bool:
        return self._meta.get("encrypted") == "1"

    def meta(self, key: str, default: str | None = None) -> str | None:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: str) -> None:
        """Local, unsynced settings of this laptop (device id, keys, watermarks)."""
        self.db.execute(
            "INSERT INTO fieldkit_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        self._meta[key] = value

    def now(self) -> datetime:
        """The current time in UTC, from the same (injectable) wall clock as the HLC."""
        return datetime.fromtimestamp(self.wall() / 1000, tz=timezone.utc)

    def now_text(self) -> str:
        """The current time as stored (fieldkit/store/times.py)."""
        return utc_text(self.now())

    # -- the one write path -----------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group several writes into one transaction (nested calls join it: a savepoint)."""
        # BEGIN IMMEDIATE takes the write lock first, so a read inside the transaction
        # never has to be upgraded under another process's commit (app and sync together).
        conn = self.db.conn
        nested = conn.in_transaction
        before = (self.clock.millis, self.clock.counter)
        level = self._open = self._open + 1
        try:
            # A nested write is a savepoint of one constant name (SQLite releases and rolls back
            # to the innermost of that name), so its statements are prepared once, not per write.
            conn.execute("SAVEPOINT fieldkit_nested" if nested else "BEGIN IMMEDIATE")
            yield self
            if self._torn and level == 1:  # a write failed half-way and its error was caught
                raise WriteRefused("A write failed half-way through this transaction: none of it was saved.")
            conn.execute("RELEASE fieldkit_nested" if nested else "COMMIT")
            self._torn = min(self._torn, level - 1)  # a torn write is now the enclosing level's
        except BaseException:
            # An error such as a RAISE(ROLLBACK) may already have ended the whole transaction.
            if conn.in_transaction:
                if nested:
                    conn.execute("ROLLBACK TO fieldkit_nested")
                    conn.execute("RELEASE fieldkit_nested")
                else:
                    conn.execute("ROLLBACK")
            if self._torn >= level or not conn.in_transaction:
                self._torn = 0  # rolled back with what it wrote
            # The clock goes back with the data: a stamp never outlives the write it stamped.
            self.clock.millis, self.clock.counter = before
            raise
        finally:
            self._open = level - 1

    @contextlib.contextmanager
    def _stamped_write(self) -> Iterator[tuple[str, int]]:
        """One write transaction, its clock stamp and its place (seq) in this laptop's feed;
        the clock is restored if it fails."""
        with self.transaction():
            yield self._place()

    def _place(self) -> tuple[str, int]:
        """The next write's clock stamp and place in this laptop's feed, inside its transaction."""
        # Another process on this laptop (the app while `sync with` runs) may have written
        # since: continue after its stamps, never beside them. Stamps received by sync are
        # kept in fieldkit_meta; this laptop's own are in its newest change-log row.
        conn = self.db.conn
        received, seq, own = (
            conn.execute(_CLOCK_AND_HEAD, [self.device_id]).fetchone() or conn.execute(_BEFORE_FIRST).fetchone()
        )
        for persisted in (received, own):
            if persisted:
                self.clock.observe(persisted)
        return self.clock.tick(), (seq or 0) + 1

    def observe(self, stamps: Iterable[str]) -> None:
        """Continue this laptop's clock after received stamps, inside the transaction that applies them."""
        stamps = list(stamps)
        if stamps:
            self.clock.observe(max(stamps))
            self._save_clock(self.clock.last)

    def column_types(self, table: str) -> dict[str, str]:
        """Column name -> declared type (TEXT, INTEGER...), cached: the schema does not change while open."""
        if table not in self._columns:
            self._columns[table] = {c.name: c.type.upper() for c in self.db[table].columns}
        return self._columns[table]

    def columns_of(self, table: str) -> set[str]:
        """The columns of one of this database's tables."""
        return set(self.column_types(table))

    def settable_columns(self, table: str) -> frozenset[str]:
        """The columns a change may carry: all but id, origin and hlc (cached)."""
        if table not in self._settable:
            self._settable[table] = frozenset(self.column_types(table)) - frozenset(COMMON_COLUMNS)
        return self._settable[table]

    def _check(self, table: str, kind: str, op: str, values: dict[str, Any]) -> dict[str, Any]:
        """`values` as SQLite will store them, if this laptop may write them; WriteRefused otherwise."""
        if self.synced.get(table) != kind:
            raise WriteRefused(f"{table} is not a synced {kind} table.")
        if not may_author(self.principal, table, op, values if op == PURGE else None):
            raise WriteRefused(refusal(self.principal, table, op) + " Do it on that laptop.")
        types = self.column_types(table)
        if not values.keys() <= types.keys():
            raise WriteRefused(f"{table} has no column {', '.join(sorted(values.keys() - types.keys()))}.")
        # Stored exactly as hashed: what SQLite would make of the value, or a refusal.
        return {name: as_stored(value, types[name], table, name) for name, value in values.items()}

    def _log(self, place: tuple[str, int], table: str, row_id: str, op: str, proof: bytes | None = None) -> None:
        """The change-log row of a write; `seal` chains it later, and proves it then if it is a
        fact (whose row stays as written), so a check-in hashes nothing. Blobs: apply._log."""
        stamp, seq = place
        self.db.conn.execute(
            "INSERT INTO changes (origin, seq, tbl, row_id, hlc, op, proof) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [self.device_id, seq, table, row_id, stamp, op, None if proof is None else bytearray(proof)],
        )

    def seal(self) -> int:
        """Chain (and prove) this laptop's changes written since it last did (feeds.seal_own), off the
        write path: when a desk is idle, before changes are sent or applied, before a purge, at close."""
        if not (self.db.conn.in_transaction or feeds.unsealed(self.db, self.device_id)):
            return 0  # nothing new: no write, no lock
        with self.transaction():
            return feeds.seal_own(self.db, self.device_id)

    def _stamp_fields(self, table: str, row_id: str, fields: Iterable[str], stamp: str) -> None:
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO field_clocks (tbl, row_id, field, hlc, origin)"
            " VALUES (?, ?, ?, ?, ?)",
            [(table, row_id, name, stamp, self.device_id) for name in fields],
        )

    def _save_clock(self, stamp: str) -> None:
        self.db.execute("UPDATE fieldkit_meta SET value = ? WHERE key = 'hlc'", [stamp])
        self._meta["hlc"] = stamp

    def append_fact(self, table: str, values: dict[str, Any]) -> str:
        """Append an immutable fact; returns its id. The row and its change log
        entry are committed together or not at all."""
        row = dict(values)
        if "id" not in row:  # (not setdefault: a new id costs a read of the system's randomness)
            row["id"] = new_id()
        row = self._check(table, schema.FACT, INSERT, row)
        if not (self._open and self.db.conn.in_transaction):
            with self.transaction():
                return self._append(table, row)
        # Inside this store's own transaction no savepoint of its own (two statements fewer a
        # check-in): if the change-log row fails after the fact went in, that transaction is
        # torn and can only roll back (transaction), even if its caller catches the error.
        before, torn = (self.clock.millis, self.clock.counter), self._torn
        try:
            return self._append(table, row, torn)
        except BaseException:
            self.clock.millis, self.clock.counter = before
            raise

    def _append(self, table: str, row: dict[str, Any], torn: int | None = None) -> str:
        place = self._place()
        row["origin"], row["hlc"] = self.device_id, place[0]
        sql = self._inserts.get(key := (table, *row))
        if sql is None:
            names, marks = ", ".join(f"[{n}]" for n in row), ", ".join("?" * len(row))
            sql = self._inserts[key] = f"INSERT INTO [{table}] ({names}) VALUES ({marks})"
        self.db.conn.execute(sql, list(row.values()))
        if torn is not None:  # until its change-log row is in too
            self._torn = min(torn, self._open) if torn else self._open
        self._log(place, table, row["id"], INSERT)
        if torn is not None:
            self._torn = torn
        return row["id"]

    def set_record(self, table: str, row_id: str | None, fields: dict[str, Any]) -> str:
        """Create a record or set some of its fields; returns its id."""
        row_id = row_id or new_id()
        if set(fields) & set(COMMON_COLUMNS):
            raise WriteRefused("id, origin and hlc are set by the store.")
        fields = self._check(table, schema.RECORD, SET, fields)
        with self._stamped_write() as place:
            stamp = place[0]
            exists = self.db.execute(f"SELECT 1 FROM [{table}] WHERE id = ?", [row_id]).fetchone()
            if exists:
                assignments = ", ".join(f"[{n}] = ?" for n in fields)
                self.db.execute(
                    f"UPDATE [{table}] SET {assignments}, hlc = ? WHERE id = ?",
                    [*fields.values(), stamp, row_id],
                )
            else:
                row = {"id": row_id, "origin": self.device_id, "hlc": stamp, **fields}
                self.db.execute(
                    f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in row)})"
                    f" VALUES ({', '.join('?' for _ in row)})",
                    list(row.values()),
                )
            self._stamp_fields(table, row_id, fields, stamp)
            self._log(place, table, row_id, SET, set_proof(fields))
        return row_id

    def purge(self, table: str, row_id: str, reason: str, fields: Iterable[str] | None = None) -> None:
        """Remove content and keep a tombstone so the purge itself syncs.

        With `fields`, those fields of a record are emptied; without, the whole row goes.
        """
        fields = list(fields) if fields is not None else None
        kind = self.synced.get(table)
        if kind is None:
            raise WriteRefused(f"{table} is not a synced table.")
        if not may_author(self.principal, table, PURGE, fields):
            raise WriteRefused(refusal(self.principal, table, PURGE) + " Do it on that laptop.")
        if fields is not None:
            self._check(table, schema.RECORD, PURGE, dict.fromkeys(fields))
        with self._stamped_write() as place:
            stamp = place[0]
            if fields is None:
                feeds.seal_own(self.db, self.device_id)  # while the row a change of it proves is still here
                self.db.execute(f"DELETE FROM [{table}] WHERE id = ?", [row_id])
                self.db.execute("DELETE FROM field_clocks WHERE tbl = ? AND row_id = ?", [table, row_id])
                targets = [""]
            else:
                assignments = ", ".join(f"[{n}] = NULL" for n in fields)
                self.db.execute(
                    f"UPDATE [{table}] SET {assignments}, hlc = ? WHERE id = ?", [stamp, row_id]
                )
                self._stamp_fields(table, row_id, fields, stamp)
                targets = fields
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO tombstones (tbl, row_id, field, hlc, origin, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(table, row_id, f, stamp, self.device_id, reason) for f in targets],
            )
            self._log(place, table, row_id, PURGE, purge_proof({"fields": targets, "reason": reason}))

    # -- reading ------------------------------------------------------------
    def changes_of(self, origin: str, after_seq: int = 0, limit: int = 1000) -> list[Change]:
        sql = "SELECT origin, seq, tbl, row_id, hlc, op FROM changes WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?"
        return [Change(*row) for row in self.db.execute(sql, [origin, after_seq, limit])]

    def keep_in_memory(self, kib: int) -> None:
        """Let this connection cache up to `kib` KiB of pages (a desk's hot lookups)."""
        self.db.execute(f"PRAGMA cache_size = -{int(kib)}")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database without waiting on readers (while idle)."""
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def counts(self) -> dict[str, int]:
        """Rows per synced table, for `fieldkit info`."""
        return {name: self.db.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0] for name in sorted(self.synced)}

    def close(self) -> None:
        with contextlib.suppress(*DB_ERRORS):  # read-only or damaged: sealed by the next that can write
            self.seal()
        self.db.close()


def open_store(
    path: str | Path, passphrase: str | None, *, wall: Callable[[], int] = wall_millis
) -> Store:
    """Open an existing event database; `passphrase=None` for an unencrypted one.

    Refuses (with a StoreError whose text is one sentence) a wrong passphrase, a file
    that is not a Field Kit database, or one made by a newer schema, without writing.
    """
    path = Path(path)
    conn = connect(path, passphrase, create=False)
    db = Database(conn, execute_plugins=False)
    try:
        schema.check_opened(db, path)
        apply_pragmas(conn)
        if schema.migrations.pending(db):
            schema.migrate(db)
        return Store(db, path, wall=wall)
    except DB_ERRORS as exc:
        db.close()
        fault = storage_fault(exc, path)
        if fault is None:
            raise
        raise fault from None
    except BaseException:
        db.close()
        raise


def create_store(
    path: str | Path,
    passphrase: str | None,
    *,
    device_name: str,
    role: str,
    event_id: str | None = None,
    device_id: str | None = None,
    wall: Callable[[], int] = wall_millis,
) -> Store:
    """Create a new event database with this laptop's identity."""
    check_new_passphrase(passphrase)
    path = Path(path)
    if (was_there := path.exists()) and path.stat().st_size > 0:
        raise FileExistsError(f"{path} already exists: choose another --db path or remove it first.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path, passphrase, create=True)
    except (OSError, *DB_ERRORS):
        raise CannotCreate(f"Cannot create {path}: choose a --db path in a folder you can write to.") from None
    with new_database(path, was_there=was_there, close=conn.close):  # half made: undone, so init runs again
        db = Database(conn, execute_plugins=False)
        apply_pragmas(conn)
        schema.migrate(db)
        identity = {
            "app": "fieldkit",
            "encrypted": "0" if passphrase is None else "1",
            "device_id": device_id or new_id(),
            "database_id": new_id(),
            "device_name": device_name,
            "role": role,
            "event_id": event_id or new_id(),
            "hlc": "",
            "created_at": utc_text(datetime.now(timezone.utc)),
        }
        with db.atomic():
            db["fieldkit_meta"].insert_all(
                [{"key": k, "value": v} for k, v in identity.items()], replace=True
            )
        return Store(db, path, wall=wall)
