"""Opening the event database file: SQLCipher by default, plain SQLite only on request."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlcipher3
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from fieldkit.private_files import create_private, narrow_to_private
from fieldkit.store.errors import (
    EncryptionMismatch,
    NotAFieldKitDatabase,
    PassphraseFileRefused,
    WeakPassphrase,
    WrongPassphrase,
)
from fieldkit.store.faults import SMALLEST_PAGE, check_whole_pages, diagnose_open

SQLITE_HEADER = b"SQLite format 3\x00"
DB_ERRORS = (sqlite3.Error, sqlcipher3.Error)
MIN_PASSPHRASE_LENGTH = 12  # a laptop can be lost with the event on it: a few words, not a PIN


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def is_plain_sqlite(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == SQLITE_HEADER


def companion_files(path: Path) -> tuple[Path, Path]:
    """SQLite's write-ahead log and shared-memory index beside the database."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _refuse_nul(path: Path, passphrase: str | None) -> None:
    # SQL text cannot carry a NUL, and no passphrase a person types holds one.
    if passphrase is not None and "\x00" in passphrase:
        raise WrongPassphrase(f"The passphrase for {path} holds a NUL character, which no passphrase can: type it again.")


# SQLCipher 4's key derivation (its defaults, which every Field Kit database uses): the
# passphrase through PBKDF2-HMAC-SHA512 with the 16-byte salt that starts the file. Field Kit
# derives the key itself and hands SQLCipher the raw key, so that a second connection to the
# same file (a report's reader, open_reader) needs no second derivation. The key stays in
# this process's memory while the database is open, as SQLCipher's own copy does.
KDF_ITERATIONS = 256_000
SALT_BYTES = 16


def derive_key(passphrase: str, salt: bytes) -> bytes:
    # cryptography's OpenSSL, not hashlib's: the system OpenSSL here was a third slower at this,
    # and every open of a database pays it (measured: 200-230 ms against 240-420 ms).
    kdf = PBKDF2HMAC(algorithm=hashes.SHA512(), length=32, salt=salt, iterations=KDF_ITERATIONS)
    return kdf.derive(passphrase.encode("utf-8"))


class _KeepsReader:
    """A connection that keeps the one reader opened beside it (for the report) until it closes,
    so the pages the reader has read and decrypted stay in its cache from one report to the next."""

    _reader: sqlite3.Connection | None = None

    def reader(self, path: Path, cache_kib: int) -> sqlite3.Connection | None:
        """The reader beside this connection to `path` (open_reader), opened at the first call."""
        if self._reader is None:
            self._reader = open_reader(self, path, cache_kib)
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        super().close()


class KeyedConnection(_KeepsReader, sqlcipher3.Connection):
    """An SQLCipher connection that remembers its raw key (for open_reader)."""

    raw_key: bytes | None = None


class PlainConnection(_KeepsReader, sqlite3.Connection):
    """A connection to an unencrypted development database."""


def _salt(path: Path) -> bytes | None:
    """The salt an existing encrypted file starts with; None when it is too short to hold one."""
    try:
        with open(path, "rb") as handle:
            salt = handle.read(SALT_BYTES)
    except FileNotFoundError:
        return None
    return salt if len(salt) == SALT_BYTES else None


def _sqlcipher(path: Path) -> KeyedConnection:
    conn = sqlcipher3.connect(str(path), check_same_thread=False, factory=KeyedConnection)
    # A wrong key is reported to the person by us, not as SQLCipher's stderr noise.
    conn.execute("PRAGMA cipher_log_level = NONE")
    return conn


def _key_raw(conn: sqlite3.Connection, key: bytes, salt: bytes = b"") -> None:
    """Key `conn` with a raw key (and, for a new file, the salt to write with it): no derivation."""
    conn.execute(f"PRAGMA key = \"x'{key.hex()}{salt.hex()}'\"")


def open_keyed(path: Path, passphrase: str | None) -> sqlite3.Connection:
    """A connection to `path` with its key set, nothing read yet (see connect())."""
    if passphrase is None:
        return sqlite3.connect(str(path), check_same_thread=False, factory=PlainConnection)
    _refuse_nul(path, passphrase)
    conn = _sqlcipher(path)
    exists = path.exists() and path.stat().st_size > 0
    salt = _salt(path) if exists else os.urandom(SALT_BYTES)
    if salt is None:  # too short to hold a salt: SQLCipher says what it makes of it
        conn.execute(f"PRAGMA key = {_quote(passphrase)}")
        return conn
    conn.raw_key = derive_key(passphrase, salt)
    # A new file is given its salt with the key; an existing one has it in its first bytes.
    _key_raw(conn, conn.raw_key, b"" if exists else salt)
    return conn


def open_reader(conn: sqlite3.Connection, path: Path, cache_kib: int) -> sqlite3.Connection | None:
    """A second connection to the open database `path`, keyed as `conn` is, for reading
    beside it in another thread, with a page cache of `cache_kib` KiB; None when there is
    no key to give it."""
    if isinstance(conn, sqlcipher3.Connection):
        key = getattr(conn, "raw_key", None)
        if key is None:
            return None
        reader = _sqlcipher(path)
        _key_raw(reader, key)
    else:
        reader = sqlite3.connect(str(path), check_same_thread=False)
    reader.execute("PRAGMA busy_timeout=5000")
    reader.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    return reader


def connect(path: Path, passphrase: str | None, *, create: bool) -> sqlite3.Connection:
    """Open `path`, checking its key and its first page before anything is written to it.

    `passphrase=None` means a plain development database (`--unencrypted`). A new file is
    created owner-only (0600) before SQLite opens it, and SQLite gives its -wal and -shm
    files the same mode; files an older version made are narrowed to 0600 here.
    """
    _refuse_nul(path, passphrase)
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        if path.stat().st_size < SMALLEST_PAGE:
            raise NotAFieldKitDatabase(f"{path} is not a Field Kit database: it is too short to be one.")
        plain = is_plain_sqlite(path)
        if plain and passphrase is not None:
            raise EncryptionMismatch(
                f"{path} is an unencrypted development database: open it with --unencrypted."
            )
        if not plain and passphrase is None:
            raise EncryptionMismatch(
                f"{path} is encrypted: open it without --unencrypted and give its passphrase."
            )
        narrow_to_private(path, *companion_files(path))
    elif not create:
        raise NotAFieldKitDatabase(f"{path} does not exist: create it with `fieldkit init`.")
    else:
        create_private(path)

    conn = open_keyed(path, passphrase)
    try:
        # The first read proves the key and page 1; nothing has been written yet.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if exists:
            check_whole_pages(conn, path, encrypted=passphrase is not None)
    except DB_ERRORS as exc:
        refusal = diagnose_open(conn, path, exc, encrypted=passphrase is not None)
        conn.close()
        raise refusal from None
    except BaseException:
        conn.close()
        raise
    return conn


def apply_pragmas(conn: sqlite3.Connection) -> None:
    """Durability settings: a check-in shown on screen is on disk."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")


def read_passphrase_file(path: str | os.PathLike) -> str:
    """The passphrase in a file (one line of UTF-8 text); one sentence when it cannot be one."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PassphraseFileRefused(
            f"Cannot read the passphrase file {path} ({exc.strerror or exc}): check the path and its permissions."
        ) from None
    if b"\x00" in raw:
        raise PassphraseFileRefused(
            f"The passphrase file {path} holds a NUL byte, so it is not a passphrase: "
            "write the passphrase in it as plain text on one line."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PassphraseFileRefused(
            f"The passphrase file {path} is not UTF-8 text: save it again as plain UTF-8 text "
            "with the passphrase on one line."
        ) from None
    return text.rstrip("\r\n")


def check_new_passphrase(passphrase: str | None) -> None:
    """Refuse a passphrase too short to protect a new database (None: a plain development one)."""
    if passphrase is not None and len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(
            f"A database passphrase needs {MIN_PASSPHRASE_LENGTH} characters or more: choose a longer one, "
            "a few words you will remember."
        )
