"""Storage faults told apart: a wrong passphrase, a file cut short, a damaged page.

SQLCipher says "file is not a database" both for a wrong key and for a damaged first
page, and SQLite says "database disk image is malformed" both for a file cut short and
for a damaged page. Every SQLCipher page carries its own HMAC, so `PRAGMA
cipher_integrity_check` tells them apart: with a wrong key no page verifies, with the
right key only the damaged ones fail, and a cut-off last page has "an invalid size". It
reads the whole file, so it runs only after opening has already failed: a good open
pays nothing but a stat. `fieldkit check` (fieldkit/store/check.py) is the full check.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from fieldkit.store.errors import (
    DamagedDatabase,
    NotAFieldKitDatabase,
    StoreError,
    TruncatedDatabase,
    WrongPassphrase,
)

SMALLEST_PAGE = 512
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB = 10, 11, 26
_FAILED_PAGE = re.compile(r"HMAC verification failed for page (\d+)")
_SHORT_PAGE = re.compile(r"page (\d+) has an invalid size")


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_damage(exc: BaseException) -> bool:
    """Whether a database error means the file cannot be read as it should (not a busy lock or a bad query)."""
    return _primary_code(exc) in (SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB)


def _pages_words(pages: tuple[int, ...]) -> str:
    shown = ", ".join(str(p) for p in pages[:5]) + (f" and {len(pages) - 5} more" if len(pages) > 5 else "")
    return f"page {shown} cannot be read" if len(pages) == 1 else f"pages {shown} cannot be read"


def damaged(path: Path, pages: tuple[int, ...] = ()) -> DamagedDatabase:
    what = f" ({_pages_words(pages)})" if pages else ""
    return DamagedDatabase(
        f"{path} is damaged{what}: nothing was changed; `fieldkit check --db {path}` says what is damaged, "
        "and this laptop's data comes back from another laptop by sync (docs/event-day.md)."
    )


def truncated(path: Path) -> TruncatedDatabase:
    return TruncatedDatabase(
        f"{path} is shorter than the database it holds: the file was cut off (a copy or a disk that "
        "stopped part-way); copy it again from where it came, or restore this laptop from another one by sync."
    )


def wrong_passphrase(path: Path) -> WrongPassphrase:
    return WrongPassphrase(
        f"The passphrase does not open {path}: check it and try again "
        "(or the file is not a Field Kit database)."
    )


def storage_fault(exc: BaseException, path: Path | str | None) -> StoreError | None:
    """The sentence for a database error met while working, if it means damage (else None)."""
    if not is_damage(exc):
        return None
    return damaged(Path(path) if path else Path("The event database"))


@dataclass(frozen=True)
class PageCheck:
    """SQLCipher's verdict on every page of the file."""

    pages: int
    failed: tuple[int, ...]  # pages whose HMAC does not verify
    short: tuple[int, ...]  # pages cut off part-way

    @property
    def none_verify(self) -> bool:
        return len(set(self.failed) | set(self.short)) >= self.pages


def _plain_header(path: Path) -> tuple[bool, int, int]:
    """(is SQLite, page size, pages counted in the header) from a plain file's first 100 bytes."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    size = int.from_bytes(header[16:18], "big")
    size = 65536 if size == 1 else max(size, SMALLEST_PAGE)
    return header.startswith(b"SQLite format 3\x00"), size, int.from_bytes(header[28:32], "big")


def page_size_of(conn: sqlite3.Connection, path: Path, *, encrypted: bool) -> int:
    if encrypted:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    return _plain_header(path)[1]


def cipher_pages(conn: sqlite3.Connection, path: Path) -> PageCheck:
    """Run SQLCipher's HMAC check of every page (it needs only the key, not page 1)."""
    messages = [row[0] for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    failed = tuple(int(m.group(1)) for m in map(_FAILED_PAGE.search, messages) if m)
    short = tuple(int(m.group(1)) for m in map(_SHORT_PAGE.search, messages) if m)
    pages = math.ceil(path.stat().st_size / page_size_of(conn, path, encrypted=True))
    return PageCheck(pages, failed, short)


def check_whole_pages(conn: sqlite3.Connection, path: Path, *, encrypted: bool) -> None:
    """A file that ends part-way through a page was cut off (a stat and one pragma)."""
    if path.stat().st_size % page_size_of(conn, path, encrypted=encrypted):
        raise truncated(path)


def diagnose_open(conn: sqlite3.Connection, path: Path, exc: BaseException, *, encrypted: bool) -> StoreError:
    """Why the first read of a database failed, as the refusal to show."""
    if not is_damage(exc):
        if not os.access(path.parent, os.W_OK):  # SQLite writes its -wal and -shm files beside the database
            return StoreError(
                f"{path} cannot be opened: its folder is read-only (SQLite keeps two working files beside it). "
                "Copy the database to a folder you can write to, and open that copy."
            )
        return StoreError(f"{path} cannot be opened ({exc}): check that no other program is using it, then try again.")
    if not encrypted:
        return _diagnose_plain(path)
    try:
        check = cipher_pages(conn, path)
    except (sqlite3.Error, sqlcipher3.Error):
        return wrong_passphrase(path)
    if check.none_verify:
        return wrong_passphrase(path)
    if check.short:
        return truncated(path)
    if check.failed:
        return damaged(path, check.failed)
    # Every page verifies, yet SQLite finds the file malformed: page 1 counts more pages than there are.
    return truncated(path) if _primary_code(exc) == SQLITE_CORRUPT else damaged(path)


def _diagnose_plain(path: Path) -> StoreError:
    sqlite, page, counted = _plain_header(path)
    if not sqlite:
        return NotAFieldKitDatabase(f"{path} is not a Field Kit database.")
    return truncated(path) if counted * page > path.stat().st_size else damaged(path)
