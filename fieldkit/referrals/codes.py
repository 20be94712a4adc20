"""Short referral codes a person can read out or type: 8 Crockford base32 characters and a check.

The eight characters are 40 fresh random bits (not the card's ULID, whose random
part counts up within a millisecond, so neighbouring cards would have guessable
codes); no counter is shared between laptops. The ninth is a Luhn mod 32 check character: any single mistyped character and most
swapped neighbours are caught before the database is asked. Shown as `7K3M-9QPA-X`;
typing is forgiving (any case, spaces or dashes, O for 0, I or L for 1).
"""

from __future__ import annotations

import secrets

from fieldkit.errors import Refused

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's decoding rules for characters people confuse.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
BODY_LENGTH = 8
LENGTH = BODY_LENGTH + 1


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of `body` (Crockford characters)."""
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_short_code() -> str:
    """A fresh short code (without dashes): 40 random bits and the check character."""
    bits = secrets.randbits(5 * BODY_LENGTH)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(BODY_LENGTH))
    return body + check_character(body)


def display(code: str) -> str:
    """`7K3M9QPAX` -> `7K3M-9QPA-X`, the way it is printed and shown."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


class BadShortCode(Refused):
    """Typed text that is not a short code; `code` is stable (`malformed` or `check`)."""

    code = "malformed"


def normalise(text: str) -> str:
    """The canonical short code for typed `text`, or BadShortCode saying what is wrong."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(cleaned) != LENGTH or any(ch not in _VALUE for ch in cleaned):
        raise BadShortCode(
            "malformed",
            f"{text.strip()!r} is not a referral code: it has 9 letters and digits, like 7K3M-9QPA-X.",
        )
    if check_character(cleaned[:BODY_LENGTH]) != cleaned[-1]:
        raise BadShortCode(
            "check", f"{display(cleaned)} has a typing mistake: check each character against the card."
        )
    return cleaned


def looks_like_short_code(text: str) -> bool:
    try:
        normalise(text)
    except BadShortCode:
        return False
    return True
