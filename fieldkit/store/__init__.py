"""The event database: opening it, its schema, and the one write path."""

from fieldkit.store import _lean_imports  # noqa: F401  (first: sqlite-utils without pandas, numpy)
from fieldkit.store.changes import Change
from fieldkit.store.errors import (
    EncryptionMismatch,
    NewerSchema,
    NotAFieldKitDatabase,
    StoreError,
    WeakPassphrase,
    WriteRefused,
    WrongPassphrase,
)
from fieldkit.store.ids import id_text, new_id
from fieldkit.store.store import DB_ERRORS, INTEGRITY_ERRORS, Store, create_store, dump_json, open_store
from fieldkit.store.times import utc_text

__all__ = [
    "DB_ERRORS",
    "INTEGRITY_ERRORS",
    "Change",
    "EncryptionMismatch",
    "NewerSchema",
    "NotAFieldKitDatabase",
    "Store",
    "StoreError",
    "WriteRefused",
    "WeakPassphrase",
    "WrongPassphrase",
    "create_store",
    "dump_json",
    "id_text",
    "new_id",
    "open_store",
    "utc_text",
]
