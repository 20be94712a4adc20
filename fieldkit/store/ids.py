"""Globally unique, time-ordered row ids (ULID)."""

from ulid import ULID


def new_id() -> str:
    """A new ULID as its 26-character Crockford base32 string."""
    return str(ULID())


_CROCKFORD = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def is_id(text: str) -> bool:
    """Whether `text` has the shape of an id `new_id` makes (as typed from a printout)."""
    return len(text) == 26 and set(text.upper()) <= _CROCKFORD
