"""Enrolling a laptop by file, joining an event from that file, and revoking a lost laptop.

The join file is a passphrase-encrypted bundle (argon2id, then AES-256-GCM) holding
the event id, the new laptop's identity, role, TLS key and certificate, the CA
certificate, its token-signing key (certified by the event key), and a snapshot of the event record and device roster as the
coordinator holds them. See docs/sync-protocol.md "Enrollment".
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from fieldkit.errors import Refused
from fieldkit.event.ca import (
    META_CA_CERT,
    META_CA_KEY,
    DeviceIdentity,
    install_identity,
    issue_certificate,
    issue_crl,
)
from fieldkit.keys import device_key_ids, event_key, install_device_key, issue_device_key, revoke_key
from fieldkit.private_files import new_database, write_private
from fieldkit.store import Store, create_store, new_id
from fieldkit.store.apply import apply_snapshot
from fieldkit.store.authority import EVENT
from sync.scope import ROLES

MAGIC = b"FIELDKIT-JOIN-1\n"
# What a joining laptop needs before its first sync (tables a later feature adds are skipped if absent).
SNAPSHOT_TABLES = (
    "events", "devices", "device_revocations", "signing_keys", "key_revocations", "token_revocations",
)
# RFC 9106's second recommended argon2id option (3 passes over 64 MiB, 4 lanes): under a
# second to open on a clinic laptop, and each guess costs an attacker the same 64 MiB.
ARGON2ID = {"t": 3, "m": 65536, "p": 4}
MIN_JOIN_PASSPHRASE = 12
# Join files written before argon2id: scrypt at these parameters still opens (and nothing costlier).
_OLD_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_MAX_NAME = 40
BUNDLE_KEYS = frozenset({"event_id", "device_id", "device_name", "role", "ca_cert", "key", "cert", "snapshot", "signing_key"})

class EnrollRefused(Refused):
    """Enrollment, joining or revocation refused; str() says what to do."""

    code = "enroll_refused"


@dataclass(frozen=True)
class RosterEntry:
    device_id: str
    name: str
    role: str
    enrolled_at: str
    revoked: bool


def roster(store: Store) -> list[RosterEntry]:
    revoked = {r[0] for r in store.db.execute("SELECT device_id FROM device_revocations")}
    rows = store.db.execute("SELECT id, name, role, enrolled_at FROM devices ORDER BY enrolled_at, name")
    return [RosterEntry(i, n or "", r or "", e or "", i in revoked) for i, n, r, e in rows]


def unheard(store: Store) -> list[str]:
    """Names of the laptops enrolled (not revoked) of which this laptop holds no change at all
    and with which continuous sync never completed a session here: nothing of theirs came, nor
    was relayed (a desk does not relay another laptop's writes to a laptop that may hold more).
    Whatever they recorded is missing from anything this laptop reports."""
    from sync.peers import load_peers

    synced = {device for device, record in load_peers(store).items() if record.last_sync}
    return [
        e.name for e in roster(store)
        if not e.revoked and e.device_id != store.device_id and e.device_id not in synced
        and store.db.execute("SELECT 1 FROM changes WHERE origin = ? LIMIT 1", [e.device_id]).fetchone() is None
    ]


def _snapshot(store: Store, tables: tuple[str, ...]) -> dict[str, Any]:
    present = [t for t in tables if t in store.synced]
    rows = {}
    for table in present:
        cursor = store.db.execute(f"SELECT * FROM [{table}]")
        names = [d[0] for d in cursor.description]
        rows[table] = [dict(zip(names, values)) for values in cursor]
    marks = ", ".join("?" for _ in present)
    clocks = store.db.execute(f"SELECT tbl, row_id, field, hlc, origin FROM field_clocks WHERE tbl IN ({marks})", present)
    tombs = store.db.execute(
        f"SELECT tbl, row_id, field, hlc, origin, reason FROM tombstones WHERE tbl IN ({marks})", present
    )
    return {"rows": rows, "field_clocks": [list(r) for r in clocks], "tombstones": [list(r) for r in tombs]}


def check_enrollable(store: Store, name: str, role: str) -> str:
    """The laptop name as it will be enrolled, or EnrollRefused (checked before a pairing code is shown)."""
    if not store.meta(META_CA_KEY):
        raise EnrollRefused(
            "Only the coordinator's laptop (where `fieldkit init` created the event) can enroll laptops: "
            "run this there."
        )
    name = " ".join(name.split())
    if not name or len(name) > _MAX_NAME:
        raise EnrollRefused(f"A laptop name has 1 to {_MAX_NAME} characters, e.g. desk-2.")
    if role not in ROLES:
        raise EnrollRefused(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if any(e.name == name and not e.revoked for e in roster(store)):
        raise EnrollRefused(f"A laptop named {name} is already enrolled: choose another name or revoke it first.")
    return name


def enroll_device(store: Store, name: str, role: str) -> dict[str, Any]:
    """Add a laptop to the roster and return its join bundle (not yet encrypted)."""
    name = check_enrollable(store, name, role)
    ca_key = store.meta(META_CA_KEY)
    device_id = new_id()
    ca_cert = store.meta(META_CA_CERT)
    key, cert = issue_certificate(ca_key, ca_cert, DeviceIdentity(device_id, role, store.event_id))
    bundle: dict[str, Any] = {
        "event_id": store.event_id,
        "device_id": device_id,
        "device_name": name,
        "role": role,
        "ca_cert": ca_cert,
        "key": key,
        "cert": cert,
    }
    with store.transaction():
        store.set_record("devices", device_id, {"name": name, "role": role, "enrolled_at": store.now_text()})
        # Its token-signing key, certified by the event key, so it can sign passes offline.
        bundle["signing_key"] = issue_device_key(store, device_id)
        bundle["snapshot"] = _snapshot(store, SNAPSHOT_TABLES)
    return bundle


def check_join_passphrase(passphrase: str) -> None:
    """A join file guards a laptop's keys: its passphrase has at least MIN_JOIN_PASSPHRASE characters."""
    if len(passphrase) < MIN_JOIN_PASSPHRASE:
        raise EnrollRefused(
            f"The join file's passphrase needs at least {MIN_JOIN_PASSPHRASE} characters (this one has "
            f"{len(passphrase)}): choose a longer one, such as four unrelated words."
        )


def _derive(envelope: dict[str, Any], passphrase: str, salt: bytes) -> bytes:
    """The sealing key, by the KDF the file names (argon2id now, scrypt in older files)."""
    secret = passphrase.encode()
    if envelope.get("kdf") == "argon2id" and all(envelope.get(k) == v for k, v in ARGON2ID.items()):
        return hash_secret_raw(
            secret, salt, time_cost=ARGON2ID["t"], memory_cost=ARGON2ID["m"], parallelism=ARGON2ID["p"],
            hash_len=32, type=Type.ID,
        )
    if envelope.get("kdf") == "scrypt" and all(envelope.get(k) == v for k, v in _OLD_SCRYPT.items()):
        return Scrypt(salt=salt, length=32, **_OLD_SCRYPT).derive(secret)
    # Parameters this version did not write (a newer file, or an edited one that would cost minutes).
    raise EnrollRefused(
        "This join file was sealed in a way this Field Kit does not open: make a new one with "
        "`fieldkit device enroll` on the coordinator's laptop."
    )


def seal(bundle: dict[str, Any], passphrase: str) -> bytes:
    """The bundle as bytes only the passphrase opens."""
    check_join_passphrase(passphrase)
    salt, nonce = os.urandom(16), os.urandom(12)
    envelope: dict[str, Any] = {"kdf": "argon2id", **ARGON2ID, "salt": _b64(salt), "nonce": _b64(nonce)}
    key = _derive(envelope, passphrase, salt)
    envelope["ciphertext"] = _b64(AESGCM(key).encrypt(nonce, json.dumps(bundle).encode(), MAGIC))
    return MAGIC + json.dumps(envelope).encode()


def unseal(data: bytes, passphrase: str) -> dict[str, Any]:
    if not data.startswith(MAGIC):
        raise EnrollRefused("This is not a Field Kit join file: use the file `fieldkit device enroll` wrote.")
    try:
        envelope = json.loads(data[len(MAGIC):])
        if not isinstance(envelope, dict):
            raise ValueError("not an object")
        salt, nonce = base64.b64decode(envelope["salt"]), base64.b64decode(envelope["nonce"])
        ciphertext = base64.b64decode(envelope["ciphertext"])
    except (ValueError, KeyError, TypeError):
        raise EnrollRefused("The join file is damaged: enroll the laptop again.") from None
    key = _derive(envelope, passphrase, salt)
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, MAGIC)
    except (InvalidTag, ValueError):
        raise EnrollRefused("The passphrase does not open this join file: check it and try again.") from None
    bundle = json.loads(plain)
    if not is_complete(bundle):
        raise EnrollRefused("The join file is incomplete: enroll the laptop again with this Field Kit version.")
    return bundle


def is_complete(bundle: Any) -> bool:
    """Whether a received bundle (join file or pairing) holds everything join_event needs."""
    return isinstance(bundle, dict) and BUNDLE_KEYS <= set(bundle)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_join_file(bundle: dict[str, Any], path: Path, passphrase: str) -> None:
    write_private(path, seal(bundle, passphrase))


def read_join_file(path: Path, passphrase: str) -> dict[str, Any]:
    return unseal(Path(path).read_bytes(), passphrase)


def join_event(path: Path, db_passphrase: str | None, bundle: dict[str, Any]) -> Store:
    """Create this laptop's database from a join bundle."""
    was_there = Path(path).exists()
    store = create_store(
        path,
        db_passphrase,
        device_name=bundle["device_name"],
        role=bundle["role"],
        event_id=bundle["event_id"],
        device_id=bundle["device_id"],
    )
    with new_database(path, was_there=was_there):  # a join that fails part-way leaves no half-made database
        try:
            snapshot = bundle["snapshot"]
            with store.transaction():
                install_identity(store, bundle["ca_cert"], bundle["key"], bundle["cert"])
                apply_snapshot(store, snapshot["rows"], snapshot["field_clocks"], snapshot["tombstones"])
                install_device_key(store, bundle["signing_key"])
                event_key(store)  # pinned now, from the coordinator's own rows: the root of what this laptop trusts
        except BaseException:
            store.close()
            raise
    return store


def _revocation_list(store: Store, device_id: str) -> str | None:
    """The CA's revocation list naming every laptop revoked so far and `device_id` (None on a
    database without the CA key: laptops then refuse it after the handshake only)."""
    ca_key, ca_cert = store.meta(META_CA_KEY), store.meta(META_CA_CERT)
    if not (ca_key and ca_cert):
        return None
    revoked = [row[0] for row in store.db.execute("SELECT device_id FROM device_revocations")]
    return issue_crl(ca_key, ca_cert, [*revoked, device_id])


def revoke_device(store: Store, name: str, reason: str = "lost") -> RosterEntry:
    """Append a revocation for the laptop called `name`; it syncs like any fact. It names the
    last change of that laptop this one holds: every laptop refuses its changes after that."""
    if store.principal != EVENT:
        raise EnrollRefused(
            "Only the coordinator's laptop that created the event (it holds the event key) can revoke laptops: "
            "run this there."
        )
    matches = [e for e in roster(store) if e.name == name and not e.revoked]
    if not matches:
        raise EnrollRefused(f"No enrolled laptop is named {name}: `fieldkit device list` shows the roster.")
    entry = matches[0]
    if entry.device_id == store.device_id:
        raise EnrollRefused("This is the laptop you are using: revoke it from another coordinator laptop.")
    with store.transaction():
        last = store.db.execute(
            "SELECT seq, hash FROM changes WHERE origin = ? ORDER BY seq DESC LIMIT 1", [entry.device_id]
        ).fetchone()
        store.append_fact(
            "device_revocations",
            {
                "device_id": entry.device_id, "reason": reason, "revoked_at": store.now_text(),
                "last_seq": last[0] if last else 0, "last_hash": last[1].hex() if last and last[1] else None,
                "crl": _revocation_list(store, entry.device_id),
            },
        )
        # Its tokens stay good only for what was recorded before now (fieldkit/tokens.py).
        for key_id in device_key_ids(store, entry.device_id):
            revoke_key(store, key_id, reason)
    return entry
