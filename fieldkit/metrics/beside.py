"""Running the report's parts two at a time: one on the store's connection, one on a reader.

The report is a few long SQL statements, and SQLite lets go of Python's lock while a
statement runs, so two parts on two connections use two cores. The reader is a second
connection to the same file with the same key (fieldkit.store.connection.open_reader);
it reads only, and its temporary tallies are its own. It stays open beside the store's connection
until that closes, so the pages it has read and decrypted stay in its cache for the next report
(the dashboard's refresh, another report the same day). Each part reads the database as it
stands when each of its statements starts, as one connection did before. With no reader
(a key the store cannot hand on), the parts run one after the other on the store's
connection: the same statements, the same counts.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from sqlite3 import Connection

from fieldkit.store import Store

Part = Callable[[Connection, dict], dict]


def run(store: Store, parts: list[Part], params: dict, cache_kib: int) -> list[dict]:
    """Each part's tables, in the order of `parts`. The first part is the caller's, on the store's
    connection (its thread also does the Python around the report); the reader takes the next,
    and each connection then takes the next one left as it finishes: put the longest first."""
    store.keep_in_memory(cache_kib)
    results: list[dict | None] = [None] * len(parts)
    queue = list(enumerate(parts))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work(conn: Connection, first: tuple[int, Part] | None = None) -> None:
        while not failures:
            with lock:
                if not queue and first is None:
                    return
                index, part = first or queue.pop(0)
                first = None
            try:
                with _snapshot(conn):
                    results[index] = part(conn, params)
            except Exception as exc:  # noqa: BLE001 - raised again on the caller's thread below
                failures.append(exc)

    keeper = getattr(store.db.conn, "reader", None)
    reader = keeper(store.path, cache_kib) if keeper is not None and len(parts) > 1 else None
    if reader is None:
        work(store.db.conn)
    else:
        mine = queue.pop(0)
        helper = threading.Thread(target=work, args=(reader,), name="report-reader", daemon=True)
        helper.start()
        work(store.db.conn, mine)
        helper.join()
    if failures:
        raise failures[0]
    return [result for result in results if result is not None]


@contextlib.contextmanager
def _snapshot(conn: Connection) -> Iterator[None]:
    """One read transaction for a part: it reads the database as it stood when the part began,
    and it ends with the part. Without it, Python's sqlite3 opens a transaction of its own at the
    first INSERT into a temporary tally and leaves it open: the store's next write would then
    be a savepoint inside it, shown on screen and never committed. Inside a transaction the
    caller holds, a savepoint of the same name."""
    inside = conn.in_transaction
    conn.execute("SAVEPOINT fieldkit_report" if inside else "BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK TO fieldkit_report" if inside else "ROLLBACK")
            if inside:
                conn.execute("RELEASE fieldkit_report")
        raise
    conn.execute("RELEASE fieldkit_report" if inside else "COMMIT")


@contextlib.contextmanager
def temp_tables(conn: Connection, tables: dict[str, str]) -> Iterator[None]:
    """The part's temporary tallies, made empty and dropped after it."""
    for name, definition in tables.items():
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        conn.execute(f"CREATE TEMP TABLE {name} {definition}")
    try:
        yield
    finally:
        for name in tables:
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
