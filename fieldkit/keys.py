"""The event's signing keys: the event key, laptops' certified keys, revocations, and the signer a laptop uses.

The event key is made with the event and held only by the coordinator's laptop; each
enrolled laptop gets its own key, certified by the event key and listed (public half)
in the synced `signing_keys` table. Verification lives in tokens.py (`KeyRing`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fieldkit.errors import Refused
from fieldkit.store.times import utc_text

if TYPE_CHECKING:
    from fieldkit.store import Store

_CERT_CONTEXT = b"FK1-device-key"
EVENT_ROLE = "event"
DEVICE_ROLE = "device"
_META_EVENT_KEY = "event_signing_key"
_META_DEVICE_KEY = "device_signing_key"
_META_EVENT_PUBLIC = "event_public_key"  # "device_id:hex", pinned when the laptop joined


class CannotSign(Refused):
    """This laptop holds no signing key; str() says what to do."""

    code = "cannot_sign"


def key_id_of(public_key: bytes) -> str:
    """A short, stable name for a public key: 8 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:8]


def raw_public(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def create_event_key(store: Store) -> str:
    """Make the event's signing key: private half local, public half synced."""
    private = Ed25519PrivateKey.generate()
    public = raw_public(private.public_key())
    key_id = key_id_of(public)
    store.set_meta(_META_EVENT_KEY, raw_private(private).hex())
    store.set_record(
        "signing_keys",
        key_id,
        {
            "public_key": public.hex(),
            "device_id": store.device_id,
            "role": EVENT_ROLE,
            "certificate": "",
            "created_at": utc_text(store.now()),
        },
    )
    return key_id


def new_device_key(store: Store) -> bytes:
    """Make this laptop's own signing key (kept local); returns its public half
    for the coordinator to certify with `certify_device_key`."""
    private = Ed25519PrivateKey.generate()
    with store.transaction():
        store.set_meta(_META_DEVICE_KEY, raw_private(private).hex())
    return raw_public(private.public_key())


def issue_device_key(event_store: Store, device_id: str) -> str:
    """On the coordinator's laptop, for enrollment by file: a new key for `device_id`,
    certified at once; returns its private half (hex) for the laptop's join file."""
    private = Ed25519PrivateKey.generate()
    certify_device_key(event_store, device_id, raw_public(private.public_key()))
    return raw_private(private).hex()


def install_device_key(store: Store, private_hex: str) -> None:
    """On a joining laptop: keep the key its join file carried as this laptop's signing key."""
    Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))  # refuse garbage early
    store.set_meta(_META_DEVICE_KEY, private_hex)


def device_key_ids(store: Store, device_id: str) -> list[str]:
    """The token-signing keys certified for one laptop (to revoke with it)."""
    rows = store.db.execute(
        "SELECT id FROM signing_keys WHERE device_id = ? AND role = ?", [device_id, DEVICE_ROLE]
    )
    return [r[0] for r in rows]


def certificate_message(public_key: bytes, device_id: str) -> bytes:
    return _CERT_CONTEXT + public_key + device_id.encode()


def certify_device_key(event_store: Store, device_id: str, public_key: bytes) -> str:
    """On the coordinator's laptop: list an enrolled laptop's key, signed by the event key."""
    event_key = _private_from_meta(event_store, _META_EVENT_KEY)
    if event_key is None:
        raise CannotSign("Only the coordinator's laptop holds the event key: certify laptops there.")
    key_id = key_id_of(public_key)
    event_store.set_record(
        "signing_keys",
        key_id,
        {
            "public_key": public_key.hex(),
            "device_id": device_id,
            "role": DEVICE_ROLE,
            "certificate": event_key.sign(certificate_message(public_key, device_id)).hex(),
            "created_at": utc_text(event_store.now()),
        },
    )
    return key_id


def revoke_key(store: Store, key_id: str, reason: str) -> str:
    """List a key (a lost laptop's) as revoked: what it signed is refused everywhere after sync."""
    return store.append_fact(
        "key_revocations", {"key_id": key_id, "reason": reason, "revoked_at": utc_text(store.now())}
    )


def revoke_token(store: Store, token_id: str, reason: str) -> str:
    """List one token (a lost pass, a cancelled referral) as revoked."""
    return store.append_fact(
        "token_revocations", {"token_id": token_id, "reason": reason, "revoked_at": utc_text(store.now())}
    )


def event_key(store: Store) -> tuple[str, bytes] | None:
    """(device id, public key) of the event key: the laptop that holds it is the one that
    may write the roster and the keys. Pinned on first use from this laptop's own key or
    the row the event key's laptop wrote itself, never from a row another laptop changed."""
    pinned = store.meta(_META_EVENT_PUBLIC)
    if pinned:
        device_id, _, public_hex = pinned.partition(":")
        return device_id, bytes.fromhex(public_hex)
    private = _private_from_meta(store, _META_EVENT_KEY)
    if private is not None:
        found = (store.device_id, raw_public(private.public_key()))
    else:
        row = store.db.execute(
            "SELECT k.device_id, k.public_key FROM signing_keys k JOIN field_clocks f"
            " ON f.tbl = 'signing_keys' AND f.row_id = k.id AND f.field = 'public_key' AND f.origin = k.device_id"
            " WHERE k.role = ? AND k.origin = k.device_id ORDER BY k.hlc LIMIT 1",
            [EVENT_ROLE],
        ).fetchone()
        if row is None:
            return None
        found = (row[0], bytes.fromhex(row[1]))
    store.set_meta(_META_EVENT_PUBLIC, f"{found[0]}:{found[1].hex()}")
    return found


def certified_keys(store: Store, device_id: str) -> list[Ed25519PublicKey]:
    """The keys the event key certified for one laptop (revoked or not: what it signed
    before its revocation still verifies)."""
    pinned = event_key(store)
    if pinned is None:
        return []
    if device_id == pinned[0]:
        return [Ed25519PublicKey.from_public_bytes(pinned[1])]
    event_public = Ed25519PublicKey.from_public_bytes(pinned[1])
    found = []
    for public_hex, cert in store.db.execute(
        "SELECT public_key, certificate FROM signing_keys WHERE device_id = ? AND role = ?", [device_id, DEVICE_ROLE]
    ):
        try:
            public = bytes.fromhex(public_hex)
            event_public.verify(bytes.fromhex(cert), certificate_message(public, device_id))
            found.append(Ed25519PublicKey.from_public_bytes(public))
        except (ValueError, TypeError, InvalidSignature):
            continue
    return found


def _private_from_meta(store: Store, key: str) -> Ed25519PrivateKey | None:
    value = store.meta(key)
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(value)) if value else None


@dataclass(frozen=True)
class Signer:
    """A private key this laptop may sign tokens with, and the event it signs for."""

    private_key: Ed25519PrivateKey
    key_id: str
    event_id: str


def signer_for(store: Store) -> Signer:
    """The event key on the coordinator's laptop, else this laptop's certified key."""
    for meta_key in (_META_EVENT_KEY, _META_DEVICE_KEY):
        private = _private_from_meta(store, meta_key)
        if private is not None:
            return Signer(private, key_id_of(raw_public(private.public_key())), store.event_id)
    raise CannotSign(
        "This laptop holds no signing key: print passes on the coordinator's laptop, "
        "or enroll this laptop first."
    )
