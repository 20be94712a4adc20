"""The tickets people already hold from their registration platform (pretix `Ticket secret`,
Eventbrite `Barcode #`): kept only as a keyed digest, and found again when one is scanned.

A ticket secret is a bearer credential (whoever shows it gets in), so the database keeps
HMAC-SHA256(event key, secret) and never the secret: a copied database does not hand out
tickets for the platform's own scanner. The key is derived from the event's id, which every
laptop of the event holds, so a desk verifies offline; it salts the digests per event.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from fieldkit.store import Store

TABLE = "ticket_secrets"
# What a platform's code looks like: one word of letters and digits (and -_/+=), with a digit.
_TICKET_LIKE = re.compile(r"(?=.*\d)[0-9A-Za-z\-_/+=]{8,}")


def looks_like_ticket(text: str) -> bool:
    """True if `text` could be a platform's ticket code rather than a name."""
    return bool(_TICKET_LIKE.fullmatch(text.strip()))


def ticket_digest(store: Store, secret: str) -> str:
    """The digest a ticket secret is kept and looked up by (64 hex characters)."""
    key = hashlib.sha256(f"fieldkit ticket secret\0{store.event_id}".encode()).digest()
    return hmac.new(key, secret.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def keep_ticket_secret(store: Store, registration_id: str, secret: str, source: str) -> bool:
    """Keep the digest of a registration's platform ticket; False if it was already kept."""
    digest = ticket_digest(store, secret)
    if store.db.execute(f"SELECT 1 FROM {TABLE} WHERE id = ?", [digest]).fetchone():
        return False
    store.append_fact(TABLE, {"id": digest, "registration_id": registration_id, "source": source})
    return True


def registration_by_ticket(store: Store, scanned: str) -> str | None:
    """The registration whose platform ticket was scanned, or None.

    A scanner with Caps Lock on sends every letter in the other case, so the swapped text
    is tried too (secrets are compared exactly otherwise: mixed-case secrets exist)."""
    text = scanned.strip()
    for candidate in dict.fromkeys((text, text.swapcase())):
        row = store.db.execute(
            f"SELECT registration_id FROM {TABLE} WHERE id = ?", [ticket_digest(store, candidate)]
        ).fetchone()
        if row:
            return row[0]
    return None
