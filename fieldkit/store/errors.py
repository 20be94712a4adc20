"""Errors the store raises, each a sentence a person can act on."""


class StoreError(Exception):
    """A database could not be created or opened; str() is the sentence to show."""


class WrongPassphrase(StoreError):
    pass


class NotAFieldKitDatabase(StoreError):
    pass


class NewerSchema(StoreError):
    pass


class EncryptionMismatch(StoreError):
    pass


class CannotCreate(StoreError):
    """The database file could not be made where the person asked (no folder, no permission)."""


class WriteRefused(StoreError):
    """A write the one write path does not allow (unknown table, wrong kind)."""
