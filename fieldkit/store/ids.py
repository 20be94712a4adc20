"""Globally unique, time-ordered row ids (ULID)."""

from ulid import ULID


def new_id() -> str:
    """A new ULID as its 26-character Crockford base32 string."""
    return str(ULID())
