"""Opening the event database file: SQLCipher by default, plain SQLite only on request."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlcipher3

from fieldkit.store.errors import EncryptionMismatch, NotAFieldKitDatabase, WeakPassphrase, WrongPassphrase

SQLITE_HEADER = b"SQLite format 3\x00"
MIN_PASSPHRASE_LENGTH = 12  # a laptop can be lost with the event on it: a few words, not a PIN


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def is_plain_sqlite(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == SQLITE_HEADER


def _looks_like_a_database_file(path: Path) -> bool:
    # SQLite and SQLCipher files are whole pages (512 bytes at the smallest).
    size = path.stat().st_size
    return size > 0 and size % 512 == 0


def connect(path: Path, passphrase: str | None, *, create: bool) -> sqlite3.Connection:
    """Open `path`, checking its key before anything is written to it.

    `passphrase=None` means a plain development database (`--unencrypted`).
    """
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        if not _looks_like_a_database_file(path):
            raise NotAFieldKitDatabase(f"{path} is not a Field Kit database.")
        plain = is_plain_sqlite(path)
        if plain and passphrase is not None:
            raise EncryptionMismatch(
                f"{path} is an unencrypted development database: open it with --unencrypted."
            )
        if not plain and passphrase is None:
            raise EncryptionMismatch(
                f"{path} is encrypted: open it without --unencrypted and give its passphrase."
            )
    elif not create:
        raise NotAFieldKitDatabase(f"{path} does not exist: create it with `fieldkit init`.")

    if passphrase is None:
        conn = sqlite3.connect(str(path), check_same_thread=False)
    else:
        conn = sqlcipher3.connect(str(path), check_same_thread=False)
        # A wrong key is reported to the person by us, not as SQLCipher's stderr noise.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {_quote(passphrase)}")
    try:
        # The first read proves the key; nothing has been written yet.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.DatabaseError, sqlcipher3.DatabaseError):
        conn.close()
        if passphrase is None:
            raise NotAFieldKitDatabase(f"{path} is not a Field Kit database.") from None
        raise WrongPassphrase(
            f"The passphrase does not open {path}: check it and try again "
            "(or the file is not a Field Kit database)."
        ) from None
    return conn


def apply_pragmas(conn: sqlite3.Connection) -> None:
    """Durability settings: a check-in shown on screen is on disk."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")


def read_passphrase_file(path: str | os.PathLike) -> str:
    return Path(path).read_text(encoding="utf-8").rstrip("\r\n")


def check_new_passphrase(passphrase: str | None) -> None:
    """Refuse a passphrase too short to protect a new database (None: a plain development one)."""
    if passphrase is not None and len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(
            f"A database passphrase needs {MIN_PASSPHRASE_LENGTH} characters or more: choose a longer one, "
            "a few words you will remember."
        )
