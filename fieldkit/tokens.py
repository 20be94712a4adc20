"""Signed tokens for QR codes: compact, offline-verifiable, no personal data.

A token is `FK1:` followed by uppercase RFC 4648 base32 (no padding) of

    flags+kind (1) | event tag (4) | key id (4) | id (16, a ULID)
    | valid from (4, optional) | valid until (4, optional) | Ed25519 signature (64)

The signature covers `FK1` and every byte before it. The whole string stays in the
QR alphanumeric alphabet (0-9 A-Z space $%*+-./:), so codes are small and any
keyboard-wedge scanner types them faithfully. See docs/tokens.md.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from ulid import ULID

from fieldkit.errors import Refused
from fieldkit.event.creation import EventNotSynced, load_event
from fieldkit.keys import (
    DEVICE_ROLE,
    EVENT_ROLE,
    Signer,
    certificate_message,
    key_id_of,
    signer_for,
)
from fieldkit.store import id_text

if TYPE_CHECKING:
    from fieldkit.store import Store

PREFIX = "FK1:"
_SIGNED_PREFIX = b"FK1"

PASS = "pass"
REFERRAL = "referral"
CONSENT_FORM = "consent_form"
DEVICE_JOIN = "device_join"
KINDS = {PASS: 1, REFERRAL: 2, CONSENT_FORM: 3, DEVICE_JOIN: 4}
_KIND_NAMES = {number: name for name, number in KINDS.items()}
_HAS_FROM = 0x10
_HAS_UNTIL = 0x20
_HAS_WORDS = 0x40  # a consent form's: the digest of the consent words it was printed with
_KIND_MASK = 0x0F
WORDS_SIZE = 8

_HEAD = struct.Struct(">B4s4s16s")
_TIME = struct.Struct(">I")
_SIGNATURE_SIZE = 64
_BASE32 = re.compile(r"[A-Z2-7]+")
_BASE32_VALUE = {ch: value for value, ch in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}
# RFC 4648 letters to int()'s base-32 digits: decoding is then one C call, not a Python loop.
_BASE32_TO_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")
_UNPADDED_LENGTHS = {0, 2, 4, 5, 7}  # characters in the last group of eight, unpadded


# Stable refusal codes; the UI maps them to words, tests assert on them.
MALFORMED = "malformed"
FORGED = "forged"
OTHER_EVENT = "other_event"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
REVOKED = "revoked"


class TokenRefused(Refused):
    """A scanned or typed code that is not an acceptable token."""


@dataclass(frozen=True)
class Token:
    kind: str
    id: str
    key_id: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    words: bytes | None = None  # a consent form's words digest (fieldkit/consent/forms.py), if it carries one


def event_tag(event_id: str) -> bytes:
    """Four bytes naming the event, so a pass from another event is told apart from a forgery."""
    return hashlib.sha256(event_id.encode()).digest()[:4]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


# -- the key ring every laptop verifies with ------------------------------------


@dataclass(frozen=True)
class KeyRing:
    """Public keys this event trusts, and what has been revoked."""

    event_id: str
    # Verified with libsodium: half the work of OpenSSL's Ed25519 here, on every scan (docs/decisions.md).
    keys: dict[str, VerifyKey]
    revoked_keys: frozenset[str] = frozenset()
    revoked_tokens: frozenset[str] = frozenset()
    # key id -> stamp of its revocation; (kind, id) -> stamp of when what a token names was recorded
    revoked_at: dict[str, str] = field(default_factory=dict)
    recorded_at: Callable[[str, str], str | None] | None = field(default=None, compare=False)
    # No pass admits after this (the event's end plus its grace), whatever it says about itself:
    # old passes without validity, and any a stolen key signs with a later one.
    passes_valid_until: datetime | None = None

    def named_before_revocation(self, kind: str, token_id: str, key_id: str) -> bool:
        """A revoked laptop's token stays good for what was recorded before the revocation."""
        revoked = self.revoked_at.get(key_id)
        recorded = self.recorded_at(kind, token_id) if self.recorded_at else None
        return bool(revoked and recorded and recorded < revoked)

    @functools.cached_property
    def tag(self) -> bytes:
        return event_tag(self.event_id)

    @classmethod
    def from_store(cls, store: Store) -> KeyRing:
        """Load the event key, every device key it certified, and the revocation lists."""
        rows = store.db.execute(
            "SELECT id, public_key, device_id, role, certificate FROM signing_keys"
        ).fetchall()
        event_keys = {}
        for key_id, public_hex, _device, role, _cert in rows:
            if role == EVENT_ROLE and public_hex:
                event_keys[key_id] = VerifyKey(bytes.fromhex(public_hex))
        keys = dict(event_keys)
        for key_id, public_hex, device_id, role, cert in rows:
            if role != DEVICE_ROLE or not public_hex or not cert:
                continue
            public = bytes.fromhex(public_hex)
            # A device key counts only if an event key vouches for it.
            if key_id_of(public) == key_id and _certified(event_keys, public, device_id, cert):
                keys[key_id] = VerifyKey(public)
        revoked_at = dict(store.db.execute("SELECT key_id, min(hlc) FROM key_revocations GROUP BY key_id").fetchall())
        revoked_keys = frozenset(revoked_at)
        revoked_tokens = frozenset(
            r[0] for r in store.db.execute("SELECT token_id FROM token_revocations")
        )
        return cls(
            store.event_id, keys, revoked_keys, revoked_tokens, revoked_at,
            lambda kind, token_id: _recorded_at(store, kind, token_id),
            passes_valid_until(store),
        )


def passes_valid_until(store: Store) -> datetime | None:
    """The end of pass validity for the event this laptop holds (None before its first sync)."""
    try:
        return load_event(store).template.event.passes_valid_until
    except EventNotSynced:
        return None


# What a token names, by kind: the table whose change log says when it was recorded.
_NAMED_TABLES = {PASS: "registrations", REFERRAL: "referrals"}


def _recorded_at(store: Store, kind: str, token_id: str) -> str | None:
    table = _NAMED_TABLES.get(kind)
    if table not in store.synced:
        return None
    row = store.db.execute(
        "SELECT min(hlc) FROM changes WHERE tbl = ? AND row_id = ? AND op IN ('insert', 'set')",
        [table, token_id],
    ).fetchone()
    return row[0] if row else None


def _certified(event_keys: dict[str, VerifyKey], public: bytes, device_id: str, cert: str) -> bool:
    try:
        signature = bytes.fromhex(cert)
    except ValueError:
        return False
    for event_key in event_keys.values():
        try:
            event_key.verify(certificate_message(public, device_id), signature)
            return True
        except (BadSignatureError, ValueError):  # ValueError: not 64 bytes
            continue
    return False


def keyring_version(store: Store) -> tuple:
    """Changes whenever the key ring would load differently (for caching it)."""
    return store.db.execute(
        "SELECT (SELECT count(*) || max(hlc) FROM signing_keys),"
        " (SELECT count(*) FROM key_revocations), (SELECT count(*) FROM token_revocations),"
        " (SELECT max(hlc) FROM events)"
    ).fetchone()


# -- signing and parsing --------------------------------------------------------


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("Token validity times need a time zone.")
    seconds = int(moment.timestamp())
    if not 0 <= seconds < 2**32:
        raise ValueError("Token validity times must fall between 1970 and 2106.")
    return seconds


def sign_token(
    signer: Store | Signer,
    kind: str,
    id: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    words: bytes | None = None,
) -> str:
    """A signed token for `kind` and `id` (a ULID), as QR-alphanumeric text; `words`: the
    digest (WORDS_SIZE bytes) of the words a consent form was printed with."""
    if not isinstance(signer, Signer):
        signer = signer_for(signer)
    if kind not in KINDS:
        raise ValueError(f"Unknown token kind {kind!r}: use one of {', '.join(KINDS)}.")
    flags = KINDS[kind]
    tail = b""
    if valid_from is not None:
        flags |= _HAS_FROM
        tail += _TIME.pack(_epoch(valid_from))
    if valid_until is not None:
        flags |= _HAS_UNTIL
        tail += _TIME.pack(_epoch(valid_until))
    if words is not None:
        if kind != CONSENT_FORM or len(words) != WORDS_SIZE:
            raise ValueError(f"Only a consent form carries its words' digest, of {WORDS_SIZE} bytes.")
        flags |= _HAS_WORDS
        tail += words
    body = (
        _HEAD.pack(flags, event_tag(signer.event_id), bytes.fromhex(signer.key_id), ULID.from_str(id).bytes)
        + tail
    )
    signature = signer.private_key.sign(_SIGNED_PREFIX + body)
    return PREFIX + base64.b32encode(body + signature).decode("ascii").rstrip("=")


def _malformed() -> TokenRefused:
    return TokenRefused(MALFORMED, "This is not a Field Kit code: scan it again or search by name.")


def _decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise _malformed()
    data = text[len(PREFIX):]
    if not _BASE32.fullmatch(data):
        raise _malformed()
    if len(data) % 8 not in _UNPADDED_LENGTHS:
        raise _malformed()
    # Only the canonical spelling is accepted, so no two strings name the same token:
    # the bits past the last whole byte must be zero.
    size, spare_bits = divmod(len(data) * 5, 8)
    if _BASE32_VALUE[data[-1]] & ((1 << spare_bits) - 1):
        raise _malformed()
    return (int(data.translate(_BASE32_TO_DIGITS), 32) >> spare_bits).to_bytes(size, "big")


_Parts = tuple[int, bytes, bytes, bytes, bytes, datetime | None, datetime | None, bytes | None, bytes]


def _split(raw: bytes) -> _Parts:
    if len(raw) < _HEAD.size + _SIGNATURE_SIZE:
        raise _malformed()
    flags, tag, key_id, ulid_bytes = _HEAD.unpack_from(raw)
    if flags & ~(_KIND_MASK | _HAS_FROM | _HAS_UNTIL | _HAS_WORDS) or (flags & _KIND_MASK) not in _KIND_NAMES:
        raise _malformed()
    if flags & _HAS_WORDS and _KIND_NAMES[flags & _KIND_MASK] != CONSENT_FORM:
        raise _malformed()
    offset = _HEAD.size
    times: list[datetime | None] = []
    for bit in (_HAS_FROM, _HAS_UNTIL):
        if flags & bit:
            if len(raw) < offset + _TIME.size:
                raise _malformed()
            (seconds,) = _TIME.unpack_from(raw, offset)
            times.append(datetime.fromtimestamp(seconds, tz=timezone.utc))
            offset += _TIME.size
        else:
            times.append(None)
    words = None
    if flags & _HAS_WORDS:
        words, offset = raw[offset : offset + WORDS_SIZE], offset + WORDS_SIZE
    if len(raw) != offset + _SIGNATURE_SIZE:
        raise _malformed()
    return flags, tag, key_id, ulid_bytes, raw[:offset], times[0], times[1], words, raw[offset:]


def claimed_kind(text: str) -> str | None:
    """The kind a code says it is, not verified: only to choose which check verifies it (None if malformed)."""
    try:
        flags = _split(_decode(text.strip()))[0]
    except TokenRefused:
        return None
    return _KIND_NAMES[flags & _KIND_MASK]


def parse_token(text: str, keyring: KeyRing, now: datetime) -> Token:
    """The token `text` carries, verified; raises TokenRefused (and nothing else) otherwise."""
    token, signed = read_token(text, keyring, now)
    signed.check()
    return token


@dataclass(frozen=True)
class Signed:
    """A token's signature, not verified yet (`read_token`): `check` before acting on the token."""

    key: VerifyKey
    message: bytes
    signature: bytes

    def valid(self) -> bool:
        try:
            self.key.verify(self.message, self.signature)
            return True
        except BadSignatureError:
            return False

    def check(self) -> None:
        if not self.valid():
            raise _forged()


def _forged() -> TokenRefused:
    return TokenRefused(FORGED, "This code is not signed by this event: do not admit on it; search by name.")


def read_token(text: str, keyring: KeyRing, now: datetime) -> tuple[Token, Signed]:
    """What `text` claims, checked for all but its signature, which the caller verifies
    (`Signed.check`) before acting on it: a desk does so while it writes the check-in
    (fieldkit/checkin/verifying.py). A code refused for anything else is verified first,
    so a forgery is always refused as one, whatever it claims about itself."""
    flags, tag, key_bytes, ulid_bytes, body, valid_from, valid_until, words, signature = _split(_decode(text))
    if tag != keyring.tag:
        raise TokenRefused(OTHER_EVENT, "This code is not for this event.")
    key_id = key_bytes.hex()
    public = keyring.keys.get(key_id)
    if public is None:
        raise _forged()
    signed = Signed(public, _SIGNED_PREFIX + body, signature)
    token = Token(_KIND_NAMES[flags & _KIND_MASK], id_text(ulid_bytes), key_id, valid_from, valid_until, words)
    try:
        _still_good(token, keyring, now)
    except TokenRefused:
        signed.check()
        raise
    return token, signed


def _still_good(token: Token, keyring: KeyRing, now: datetime) -> None:
    kind, key_id, valid_from, valid_until = token.kind, token.key_id, token.valid_from, token.valid_until
    if key_id in keyring.revoked_keys and not keyring.named_before_revocation(kind, token.id, key_id):
        raise TokenRefused(REVOKED, "This code was signed by a laptop reported lost: search by name instead.")
    if token.id in keyring.revoked_tokens:
        raise TokenRefused(REVOKED, f"This {kind.replace('_', ' ')} was revoked.")
    if valid_from is not None and now < valid_from:
        raise TokenRefused(NOT_YET_VALID, f"This code is valid only from {_iso(valid_from)} (UTC).")
    if valid_until is not None and now > valid_until:
        raise TokenRefused(EXPIRED, f"This code expired at {_iso(valid_until)} (UTC).")
    if kind == PASS and keyring.passes_valid_until is not None and now > keyring.passes_valid_until:
        raise TokenRefused(
            EXPIRED, f"This pass expired at {_iso(keyring.passes_valid_until)} (UTC), after its event ended: do not admit on it."
        )


def looks_like_token(text: str) -> bool:
    """True if `text` is meant as a code rather than a name (the scan box decides with this)."""
    return text.strip().upper().startswith(PREFIX)
