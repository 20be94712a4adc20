"""Errors the store raises, each a sentence a person can act on, with its stable code."""

from fieldkit.errors import Refused


class StoreError(Refused):
    """A database could not be created or opened; str() is the sentence to show."""

    code = "storage"


class WrongPassphrase(StoreError):
    code = "wrong_passphrase"


class WeakPassphrase(StoreError):
    """A passphrase too short to protect a new database."""

    code = "weak_passphrase"


class NotAFieldKitDatabase(StoreError):
    code = "not_a_fieldkit_database"


class NewerSchema(StoreError):
    code = "newer_schema"


class EncryptionMismatch(StoreError):
    code = "encryption_mismatch"


class CannotCreate(StoreError):
    """The database file could not be made where the person asked (no folder, no permission)."""

    code = "cannot_create"


class WriteRefused(StoreError):
    """A write the one write path does not allow (unknown table, wrong kind)."""

    code = "write_refused"


class BatchRefused(StoreError):
    """A received batch broke a rule; nothing of it was applied."""

    code = "batch_refused"


class IdentityClash(BatchRefused):
    """Two laptops write under one device id: a received change is not the one held under its number."""

    code = "identity_clash"

    def __init__(self, device_id: str):
        super().__init__(f"two laptops numbered different changes as laptop {device_id}'s")
        self.device_id = device_id
