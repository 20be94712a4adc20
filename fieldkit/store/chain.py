"""Each origin's hash chain: canonical digests of a change's content, and the links that chain one laptop's feed.

Every change-log row keeps `proof`, what is needed to re-derive the change's digest
without its content, and `hash`, the link that chains it to the previous change of the
same origin (docs/sync-protocol.md "Provenance"):

| op | proof (bytes) | payload digest |
| --- | --- | --- |
| insert | SHA-256 of the fact's canonical columns (NULL columns left out) | the proof |
| set | the SHA-256 of each `[field, value]` pair, sorted and concatenated | SHA-256 of the proof |
| purge | the canonical `{"fields": sorted, "reason": ...}` | SHA-256 of the proof |
| withheld | the change's body (below), nothing more | none |

    body = SHA-256(len:row_id len:hlc len:op + payload digest)
    hash = SHA-256(previous hash + len:origin seq: len:table + body)

The first change of an origin follows 32 zero bytes. So a link covers origin, seq,
table, row id, stamp, operation and content, and a relay can prove a change whose
content is gone (purged, or withheld from a role) with its proof alone, never alter it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fieldkit.store.changes import INSERT, PURGE, SET, WITHHELD

ZERO = bytes(32)
DIGEST_SIZE = 32
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
_sha256 = hashlib.sha256


def canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys, as UTF-8: the one byte form every laptop hashes."""
    return _encoder.encode(value).encode("utf-8", "surrogatepass")


def fact_proof(payload: Mapping[str, Any]) -> bytes:
    """A fact's digest; a NULL column counts as absent, so a column added later changes nothing."""
    return _sha256(canonical({k: v for k, v in payload.items() if v is not None})).digest()


def field_digest(name: str, value: Any) -> bytes:
    return _sha256(canonical([name, value])).digest()


def set_proof(payload: Mapping[str, Any], others: tuple[bytes, ...] = ()) -> bytes:
    """The sorted field digests of a record write: `others` are those of fields sent as digests only."""
    return b"".join(sorted([*(field_digest(k, v) for k, v in payload.items()), *others]))


def split_digests(proof: bytes) -> list[bytes]:
    return [proof[i : i + DIGEST_SIZE] for i in range(0, len(proof), DIGEST_SIZE)]


def purge_proof(payload: Mapping[str, Any]) -> bytes:
    return canonical({"fields": sorted(payload["fields"]), "reason": payload["reason"]})


def proof_of(op: str, payload: Mapping[str, Any]) -> bytes:
    """The proof of a change whose whole content is at hand (the write path, the upgrade)."""
    if op == INSERT:
        return fact_proof(payload)
    if op == SET:
        return set_proof(payload)
    if op == PURGE:
        return purge_proof(payload)
    raise ValueError(f"a {op} change has no content to prove")


def _text(value: str) -> str:
    return f"{len(value)}:{value}"


def body(row_id: str, hlc: str, op: str, proof: bytes) -> bytes:
    """What a change says besides where it sits in its origin's feed."""
    if op == WITHHELD:
        return proof
    digest = proof if op == INSERT else _sha256(proof).digest()
    return _sha256((_text(row_id) + _text(hlc) + _text(op)).encode() + digest).digest()


def link(prev: bytes, origin: str, seq: int, table: str, change_body: bytes) -> bytes:
    """The hash of one change, chained to the one before it of the same origin."""
    return _sha256(prev + f"{_text(origin)}{seq}:{_text(table)}".encode() + change_body).digest()


def feed_message(origin: str, seq: int, head: bytes) -> bytes:
    """What an origin signs: the head of its feed (the hash of its change number `seq`)."""
    return b"FK1-feed\x00" + origin.encode() + b"\x00" + str(seq).encode() + b"\x00" + head
