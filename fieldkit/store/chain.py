"""Each origin's hash chain: canonical digests of a change's content, and the links that chain one laptop's feed.

Every change-log row keeps `proof`, what is needed to re-derive the change's digest
without its content, and `hash`, the link that chains it to the previous change of the
same origin (docs/sync-protocol.md "Provenance"):

| op | proof (bytes) |
| --- | --- |
| insert | the field digests of the fact's columns that are not NULL, sorted and concatenated |
| set | the field digests of the fields written (NULL included), sorted and concatenated |
| purge | the canonical JSON `{"fields": [sorted], "reason": ...}` |
| withheld | the change's body (below), nothing more |

    field digest = SHA-256(name NUL type-letter value)[:16]   (s text, i integer, f float, n NULL)
    body = SHA-256(len:row_id len:hlc len:op + SHA-256(proof))
    hash = SHA-256(previous hash + len:origin seq: len:table + body)

The first change of an origin follows 32 zero bytes. So a link covers origin, seq,
table, row id, stamp, operation and content. A change whose content is gone (a purged
fact, a placeholder for a role that may not hold it) or held in part (fields a later
write decides, or a role may not hold) is proven by its field digests, never altered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fieldkit.store.changes import INSERT, PURGE, SET, WITHHELD

ZERO = bytes(32)
DIGEST_SIZE = 32  # a link, a body
FIELD_DIGEST_SIZE = 16  # a field: a relay would need a second preimage to change it
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
try:  # CPython's own SHA-256 sets up in a third of the time OpenSSL's takes, for the short inputs hashed here
    from _sha2 import sha256 as _sha256  # Python >= 3.12
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha256 import sha256 as _sha256  # Python 3.11
    except ImportError:
        _sha256 = hashlib.sha256


def canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys, as UTF-8: the one byte form every laptop hashes."""
    return _encoder.encode(value).encode("utf-8", "surrogatepass")


def field_digest(name: str, value: Any) -> bytes:
    """One field's digest: cheap (it runs for every field of every check-in) and unambiguous."""
    return _digests({name: value}, True, ())[0]


# Digests of recent field texts (name, type letter and value: exactly what is hashed). Desks,
# methods, sources, statuses and times repeat across thousands of changes; ids do not, and
# the bound keeps them from growing it past a few megabytes.
_known: dict[str, bytes] = {}
_KNOWN_MAX = 20_000


def _digests(payload: Mapping[str, Any], nulls: bool, others: tuple[bytes, ...]) -> list[bytes]:
    """The field digests of `payload` (with NULL fields when `nulls`), then `others`: one loop,
    no call per field, since a first sync hashes every field of every change it receives."""
    digests = []
    for name, value in payload.items():
        kind = type(value)
        if kind is str:
            text = f"{name}\x00s{value}"
        elif value is None:
            if not nulls:
                continue
            text = f"{name}\x00n"
        elif kind is int:
            text = f"{name}\x00i{value}"
        elif kind is float:
            text = f"{name}\x00f{value!r}"
        else:
            raise TypeError(f"{name} holds a {kind.__name__}, not text or a number")
        digest = _known.get(text)
        if digest is None:
            digest = _sha256(text.encode("utf-8", "surrogatepass")).digest()[:FIELD_DIGEST_SIZE]
            if len(_known) >= _KNOWN_MAX:
                _known.clear()
            _known[text] = digest
        digests.append(digest)
    digests.extend(others)
    return digests


def fact_proof(payload: Mapping[str, Any], others: tuple[bytes, ...] = ()) -> bytes:
    """A fact's field digests; a NULL column counts as absent, so a column added later changes
    nothing. `others` are the digests of fields sent as digests only."""
    digests = _digests(payload, False, others)
    digests.sort()
    return b"".join(digests)


def set_proof(payload: Mapping[str, Any], others: tuple[bytes, ...] = ()) -> bytes:
    """A record write's field digests (a field set to NULL included)."""
    digests = _digests(payload, True, others)
    digests.sort()
    return b"".join(digests)


def split_digests(proof: bytes) -> list[bytes]:
    return [proof[i : i + FIELD_DIGEST_SIZE] for i in range(0, len(proof), FIELD_DIGEST_SIZE)]


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


def body(row_id: str, hlc: str, op: str, proof: bytes) -> bytes:
    """What a change says besides where it sits in its origin's feed."""
    if op == WITHHELD:
        return proof
    text = f"{len(row_id)}:{row_id}{len(hlc)}:{hlc}{len(op)}:{op}"
    return _sha256(text.encode("utf-8", "surrogatepass") + _sha256(proof).digest()).digest()


def link(prev: bytes, origin: str, seq: int, table: str, change_body: bytes) -> bytes:
    """The hash of one change, chained to the one before it of the same origin."""
    text = f"{len(origin)}:{origin}{seq}:{len(table)}:{table}"
    return _sha256(prev + text.encode("utf-8", "surrogatepass") + change_body).digest()


def feed_message(origin: str, seq: int, head: bytes) -> bytes:
    """What an origin signs: the head of its feed (the hash of its change number `seq`)."""
    return b"FK1-feed\x00" + origin.encode() + b"\x00" + str(seq).encode() + b"\x00" + head
