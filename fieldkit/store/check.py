"""`fieldkit check`: SQLCipher's page check and SQLite's integrity check, said in words.

It opens the file without the checks that make `open_store` refuse a damaged database,
because naming the damage is its whole job: which pages fail SQLCipher's HMAC, whether
the file was cut off, what SQLite's integrity check finds, and which tables (with their
indexes) hold the damage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fieldkit.store.connection import DB_ERRORS, open_keyed
from fieldkit.store.errors import NotAFieldKitDatabase, StoreError, TruncatedDatabase, WrongPassphrase
from fieldkit.store.faults import (
    SMALLEST_PAGE,
    cipher_pages,
    damaged,
    diagnose_open,
    is_damage,
    page_size_of,
    truncated,
)


@dataclass(frozen=True)
class CheckReport:
    path: Path
    encrypted: bool
    pages: int
    failed_pages: tuple[int, ...] = ()  # fail SQLCipher's HMAC check
    cut_off: bool = False  # the file ends before the database it holds
    problems: tuple[str, ...] = ()  # what SQLite's integrity_check says, or why it stopped
    damaged_tables: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.failed_pages or self.cut_off or self.problems)

    def lines(self) -> list[str]:
        """What was checked and found, one line each (the refusal says what to do)."""
        said = [f"{self.path}: {self.pages} pages" + (", cut off before its end." if self.cut_off else ".")]
        if self.encrypted:
            bad = self.failed_pages
            said.append(
                f"SQLCipher page check: {len(bad)} of {self.pages} pages fail "
                f"({', '.join(map(str, bad[:20]))}{' ...' if len(bad) > 20 else ''})."
                if bad else "SQLCipher page check: every page verifies."
            )
        shown = "; ".join(self.problems[:10]) + (" ..." if len(self.problems) > 10 else "")
        said.append(f"SQLite integrity check: {shown}." if self.problems else "SQLite integrity check: ok.")
        if self.damaged_tables:
            said.append("Damaged: " + ", ".join(self.damaged_tables) + " (each with its indexes).")
        return said

    def refusal(self) -> StoreError | None:
        """The sentence to end on when something is wrong (None when the file is sound)."""
        if self.ok:
            return None
        return truncated(self.path) if self.cut_off else damaged(self.path, self.failed_pages)


def check_database(path: Path, passphrase: str | None) -> CheckReport:
    """Check every page and every table of `path`; refuses only a wrong passphrase or a non-database."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size < SMALLEST_PAGE:
        raise NotAFieldKitDatabase(f"{path} is not a Field Kit database (no such file, or too short to be one).")
    return _Check(path, passphrase).run()


class _Check:
    def __init__(self, path: Path, passphrase: str | None):
        self.path = path
        self.encrypted = passphrase is not None
        self.connect: Callable[[], sqlite3.Connection] = lambda: open_keyed(path, passphrase)

    def run(self) -> CheckReport:
        conn = self.connect()
        try:
            return self._report(conn)
        finally:
            conn.close()

    def _report(self, conn: sqlite3.Connection) -> CheckReport:
        size = self.path.stat().st_size
        page = page_size_of(conn, self.path, encrypted=self.encrypted)
        pages, failed, cut_off = -(-size // page), (), size % page != 0
        if self.encrypted:
            verdict = cipher_pages(conn, self.path)
            failed, cut_off = verdict.failed, cut_off or bool(verdict.short)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except DB_ERRORS as exc:
            opening = diagnose_open(conn, self.path, exc, encrypted=self.encrypted)
            if isinstance(opening, WrongPassphrase) or not is_damage(exc):  # (a read-only folder is no damage)
                raise opening from None
            cut_off = cut_off or isinstance(opening, TruncatedDatabase)
            return CheckReport(self.path, self.encrypted, pages, failed, cut_off,
                               (f"stopped at the first page: {exc}",), ("the list of tables itself (page 1)",))
        problems = _integrity(conn, None)
        tables = self._damaged_tables(conn) if problems else ()
        return CheckReport(self.path, self.encrypted, pages, failed, cut_off, tuple(problems), tuple(tables))

    def _damaged_tables(self, conn: sqlite3.Connection) -> list[str]:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        # After a damaged page, SQLite's later checks on the same connection fail too: each
        # table is checked on a connection that has not met one yet.
        found, fresh = [], self.connect()
        try:
            for name in names:
                if _integrity(fresh, name):
                    found.append(name)
                    fresh.close()
                    fresh = self.connect()
        finally:
            fresh.close()
        return found


def _integrity(conn: sqlite3.Connection, table: str | None) -> list[str]:
    """SQLite's integrity_check of the whole file or of one table: its problems, [] when ok."""
    pragma = "PRAGMA integrity_check" if table is None else f"PRAGMA integrity_check([{table}])"
    try:
        rows = [row[0] for row in conn.execute(pragma).fetchall()]
    except DB_ERRORS as exc:
        return [f"stopped: {exc}"]
    return [] if rows == ["ok"] else rows

