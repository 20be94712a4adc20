"""A check-in's id, made from the nonce of the scan that made it: a retry of the scan finds it."""

from __future__ import annotations

import hashlib

from ulid import ULID

from fieldkit.store import id_text


def checkin_id_for(device_id: str, nonce: str, moment: bytes | None = None) -> str:
    """The id of the check-in a scan's nonce makes on this laptop.

    A retry with the same nonce finds its check-in by primary key: no index on nonces
    to look in, or to write on every check-in. A ULID nonce (the desk's) lends the id
    its time, so check-in ids still sort by time; the rest is a digest of laptop and nonce.
    `moment` is the nonce's time (its first 6 bytes) when the caller just made it.
    """
    digest = hashlib.sha256(f"checkin\0{device_id}\0{nonce}".encode()).digest()
    if moment is None:
        try:
            moment = ULID.from_str(nonce).bytes[:6]
        except ValueError:  # a nonce of the caller's own making (`fieldkit checkin --nonce`)
            moment = digest[10:16]
    return id_text(moment + digest[:10])
