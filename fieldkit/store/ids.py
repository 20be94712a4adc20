"""Globally unique, time-ordered row ids (ULID)."""

import base64

from ulid import ULID

# RFC 4648 base32 letters to Crockford's, which ULIDs are written in.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def id_text(raw: bytes) -> str:
    """The 26-character text of a 16-byte ULID, exactly as `str(ULID.from_bytes(raw))`, in a few
    C calls instead of python-ulid's loop per character (the desk makes ids on every scan)."""
    # 130 bits in 26 characters: two zero bits, then the 128; six more zero bits fill 17 bytes.
    padded = (int.from_bytes(raw, "big") << 6).to_bytes(17, "big")
    return base64.b32encode(padded)[:26].translate(_TO_CROCKFORD).decode("ascii")


def new_id() -> str:
    """A new ULID as its 26-character Crockford base32 string."""
    return id_text(ULID().bytes)


_CROCKFORD = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def is_id(text: str) -> bool:
    """Whether `text` has the shape of an id `new_id` makes (as typed from a printout)."""
    return len(text) == 26 and set(text.upper()) <= _CROCKFORD
