"""The store: encryption at rest, refusals that change nothing, the one write path."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
import sqlcipher3

from fieldkit.event import create_event
from fieldkit.store import (
    INTEGRITY_ERRORS,
    EncryptionMismatch,
    NewerSchema,
    NotAFieldKitDatabase,
    WriteRefused,
    WrongPassphrase,
    create_store,
    open_store,
)
from fieldkit.store.connection import connect, open_reader
from fieldkit.store.schema import FACT, create_synced_table, schema_version
from tests.conftest import PASSPHRASE


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_database_is_unreadable_to_plain_sqlite(store, db_path):
    store.close()
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()
    assert b"Northside" not in db_path.read_bytes()


def test_the_key_field_kit_derives_is_sqlciphers_own_both_ways(store, db_path, tmp_path):
    """Field Kit hands SQLCipher a raw key it derived itself (so a report can open a reader
    without deriving it again): SQLCipher given the passphrase opens what Field Kit made, and
    Field Kit opens what SQLCipher made from a passphrase (older databases)."""
    store.close()
    conn = sqlcipher3.connect(str(db_path))
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    assert conn.execute("SELECT value FROM fieldkit_meta WHERE key = 'app'").fetchone() == ("fieldkit",)
    conn.close()
    older = tmp_path / "older.db"
    conn = sqlcipher3.connect(str(older))
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES ('made by SQLCipher')")
    conn.commit()
    conn.close()
    again = connect(older, PASSPHRASE, create=False)
    assert again.execute("SELECT x FROM t").fetchone() == ("made by SQLCipher",)
    reader = open_reader(again, older, 1024)
    assert reader.execute("SELECT x FROM t").fetchone() == ("made by SQLCipher",)
    reader.close()
    again.close()


def test_wrong_passphrase_is_one_sentence_and_changes_nothing(store, db_path):
    store.close()
    before = digest(db_path)
    with pytest.raises(WrongPassphrase) as refused:
        open_store(db_path, "not the passphrase")
    message = str(refused.value)
    assert "passphrase does not open" in message and message.count("\n") == 0
    assert digest(db_path) == before


def test_a_text_file_is_not_a_fieldkit_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list: milk, eggs\n")
    with pytest.raises(NotAFieldKitDatabase, match="is not a Field Kit database"):
        open_store(path, PASSPHRASE)
    assert path.read_text() == "shopping list: milk, eggs\n"


def test_another_sqlite_database_is_refused_unchanged(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(NotAFieldKitDatabase):
        open_store(path, None)
    assert digest(path) == before


def test_encrypted_and_plain_are_never_mixed_up(tmp_path, template, store, db_path):
    store.close()
    with pytest.raises(EncryptionMismatch, match="encrypted"):
        open_store(db_path, None)
    plain = tmp_path / "plain.db"
    create_event(plain, template, None).close()
    with pytest.raises(EncryptionMismatch, match="--unencrypted"):
        open_store(plain, PASSPHRASE)
    opened = open_store(plain, None)
    assert opened.encrypted is False
    opened.close()


def test_newer_schema_is_refused_with_upgrade_advice(store, db_path):
    store.db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('fieldkit', 'm999_future', 'x')"
    )
    store.set_meta("schema_version", str(schema_version() + 1))
    store.close()
    before = digest(db_path)
    with pytest.raises(NewerSchema, match="upgrade Field Kit on this laptop"):
        open_store(db_path, PASSPHRASE)
    assert digest(db_path) == before


def test_pragmas_and_identity(store, reopen):
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert len(store.device_id) == 26 and store.device_name == "desk-1"
    again = reopen()
    assert again.device_id == store.device_id
    assert again.meta("schema_version") == str(schema_version())


def test_set_record_logs_each_write_with_increasing_seq_and_clock(store):
    person = store.set_record("people", None, {"display_name": "Ana Silva"})
    store.set_record("people", person, {"email": "ana@example.org"})
    log = store.changes_of(store.device_id)
    mine = [c for c in log if c.row_id == person]
    assert [c.op for c in mine] == ["set", "set"]
    seqs = [c.seq for c in log]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    stamps = [c.hlc for c in log]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    row = store.db["people"].get(person)
    assert row["display_name"] == "Ana Silva" and row["email"] == "ana@example.org"
    assert row["origin"] == store.device_id and row["hlc"] == mine[-1].hlc


def test_clock_persists_across_restart_even_if_wall_clock_went_back(store, reopen):
    store.set_record("people", None, {"display_name": "Zoë Müller"})
    last = store.clock.last
    store.close()
    # The laptop's clock was set back an hour: stamps must still increase.
    again = reopen(wall=lambda: int(store.clock.millis) - 3_600_000)
    again.set_record("people", None, {"display_name": "Γιώργος"})
    assert again.clock.last > last


@pytest.fixture
def with_fact_table(store):
    create_synced_table(store.db, "test_notes", FACT, {"body": str})
    store.synced["test_notes"] = FACT
    return store


def test_fact_and_log_entry_commit_together(with_fact_table):
    store = with_fact_table
    fact = store.append_fact("test_notes", {"body": "hello"})
    assert store.db["test_notes"].get(fact)["body"] == "hello"
    assert any(c.row_id == fact and c.op == "insert" for c in store.changes_of(store.device_id))


def test_a_write_that_fails_midway_leaves_neither_row_nor_log(with_fact_table):
    store = with_fact_table
    before_log = len(store.changes_of(store.device_id))
    before_clock = store.clock.last
    # The row goes in first; then the change log insert fails, as a full disk would.
    store.db.execute(
        "CREATE TRIGGER fail_log BEFORE INSERT ON changes WHEN NEW.tbl = 'test_notes'"
        " BEGIN SELECT RAISE(ABORT, 'disk said no'); END"
    )
    with pytest.raises(INTEGRITY_ERRORS, match="disk said no"):
        store.append_fact("test_notes", {"id": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "body": "lost"})
    assert store.db["test_notes"].count == 0
    assert len(store.changes_of(store.device_id)) == before_log
    assert store.clock.last == before_clock


def _fail_the_log_of(store, table: str) -> None:
    """The fact row goes in; then its change-log insert fails, as a full disk would."""
    store.db.execute(
        f"CREATE TRIGGER fail_log BEFORE INSERT ON changes WHEN NEW.tbl = '{table}'"
        " BEGIN SELECT RAISE(ABORT, 'disk said no'); END"
    )


def test_a_fact_torn_inside_a_transaction_is_never_committed_though_its_error_was_caught(with_fact_table):
    # Inside a transaction a fact is written without a savepoint of its own: a caller that
    # catches the error of a half-done write and carries on cannot commit the half.
    store = with_fact_table
    before_log, before_clock = len(store.changes_of(store.device_id)), store.clock.last
    _fail_the_log_of(store, "test_notes")
    with pytest.raises(WriteRefused, match="failed half-way"):
        with store.transaction():
            store.set_record("people", None, {"display_name": "Ana"})
            with pytest.raises(INTEGRITY_ERRORS, match="disk said no"):
                store.append_fact("test_notes", {"body": "torn"})
            store.set_record("people", None, {"display_name": "Bruno"})
    assert store.db["test_notes"].count == 0 and store.db["people"].count == 0
    assert len(store.changes_of(store.device_id)) == before_log
    assert store.clock.last == before_clock
    # The store is whole again: the next transaction commits.
    store.db.execute("DROP TRIGGER fail_log")
    with store.transaction():
        store.append_fact("test_notes", {"body": "kept"})
    assert [row["body"] for row in store.db["test_notes"].rows] == ["kept"]


def test_a_fact_torn_inside_a_group_that_rolls_back_leaves_the_rest_to_commit(with_fact_table):
    store = with_fact_table
    _fail_the_log_of(store, "test_notes")
    with store.transaction():
        store.set_record("people", None, {"display_name": "Ana"})
        with pytest.raises(INTEGRITY_ERRORS):
            with store.transaction():  # a savepoint: rolling back to it takes the torn fact with it
                store.append_fact("test_notes", {"body": "torn"})
    assert store.db["test_notes"].count == 0 and store.db["people"].count == 1
    assert all(c.table != "test_notes" for c in store.changes_of(store.device_id))


def test_a_group_of_writes_rolls_back_whole(with_fact_table):
    store = with_fact_table
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.append_fact("test_notes", {"body": "one"})
            store.set_record("people", None, {"display_name": "Ana"})
            raise RuntimeError("power cut")
    assert store.db["test_notes"].count == 0
    assert store.db["people"].count == 0


def test_writes_outside_the_synced_tables_are_refused(store):
    with pytest.raises(WriteRefused):
        store.append_fact("people", {"display_name": "x"})  # a record table, not a fact table
    with pytest.raises(WriteRefused):
        store.set_record("changes", None, {"op": "x"})
    with pytest.raises(WriteRefused, match="no column"):
        store.set_record("people", None, {"shoe_size": 42})


def test_purge_of_fields_leaves_tombstones(store):
    person = store.set_record("people", None, {"display_name": "Ana", "email": "a@example.org", "phone": "1"})
    store.purge("people", person, reason="consent revoked", fields=["email", "phone"])
    row = store.db["people"].get(person)
    assert row["email"] is None and row["phone"] is None and row["display_name"] == "Ana"
    stones = {r["field"]: r["reason"] for r in store.db["tombstones"].rows_where("row_id = ?", [person])}
    assert stones == {"email": "consent revoked", "phone": "consent revoked"}
    assert store.changes_of(store.device_id)[-1].op == "purge"


def test_purge_of_a_row_removes_it_and_keeps_a_tombstone(store):
    person = store.set_record("people", None, {"display_name": "Ana"})
    store.purge("people", person, reason="test")
    assert store.db["people"].count == 0
    assert store.db.execute("SELECT field FROM tombstones WHERE row_id = ?", [person]).fetchall() == [("",)]


def test_create_refuses_to_overwrite(store, db_path):
    with pytest.raises(FileExistsError, match="already exists"):
        create_store(db_path, PASSPHRASE, device_name="x", role="desk")


def test_two_processes_on_one_database_never_share_a_stamp(store, reopen):
    # The app and `fieldkit sync with` may both write on one laptop: with a frozen
    # wall clock, each write must still continue after the other's last stamp.
    frozen = lambda: 1_800_000_000_000  # noqa: E731
    app, syncer = reopen(wall=frozen), reopen(wall=frozen)
    for i in range(5):
        app.set_record("people", None, {"display_name": f"app {i}"})
        syncer.set_record("people", None, {"display_name": f"sync {i}"})
    stamps = [c.hlc for c in store.changes_of(store.device_id, limit=100)]
    assert len(stamps) == len(set(stamps))
    assert stamps == sorted(stamps)
