"""Keyed pseudonyms that link a person across the community's events without naming them.

A pseudonym is an HMAC-SHA256 of the person's folded name under a secret made for this
database and kept in its local settings (never synced, never exported). Pseudonyms are
made in memory while a report runs, compared, and dropped: only the count of people who
came back leaves. Two namesakes are linked as one person; someone whose name was typed
differently at two events is not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fieldkit.store import Store

KEY = "pseudonym_key"

# Everyone checked in (neither the check-in nor its registration voided: an undone walk-in did
# not come), except whoever ever said no to aggregate reporting there.
_ATTENDEES = (
    "SELECT DISTINCT p.id, p.search_name FROM checkins c JOIN registrations r ON r.id = c.registration_id"
    " JOIN people p ON p.id = r.person_id"
    " WHERE NOT EXISTS (SELECT 1 FROM checkin_voids v WHERE v.checkin_id = c.id)"
    " AND NOT EXISTS (SELECT 1 FROM registration_voids x WHERE x.registration_id = r.id) AND p.search_name IS NOT NULL"
    " AND p.id NOT IN (SELECT person_id FROM consent_facts WHERE purpose = 'aggregate_reporting'"
    " AND (action = 'revoke' OR decision IS NOT 'permit'))"
)


@dataclass(frozen=True)
class Earlier:
    """Pseudonyms of the people who came to earlier events, and how many events those were."""

    pseudonyms: frozenset[str] = frozenset()
    events: int = 0


def key_of(store: Store) -> bytes:
    """This database's pseudonym secret, made on first use."""
    if store.meta(KEY) is None:
        store.set_meta(KEY, secrets.token_hex(32))
    return bytes.fromhex(store.meta(KEY))


def pseudonym(key: bytes, search_name: str) -> str:
    return hmac.new(key, search_name.encode(), hashlib.sha256).hexdigest()


def attendees(store: Store, key: bytes) -> frozenset[str]:
    """The pseudonyms (under `key`) of everyone who checked in to this database's event."""
    return frozenset(pseudonym(key, name) for _, name in store.db.execute(_ATTENDEES))


def earlier_events(key: bytes, stores: list[Store]) -> Earlier:
    """Who came to the events of these (earlier) databases, under the reporting database's key."""
    found: set[str] = set()
    for other in stores:
        found |= attendees(other, key)
    return Earlier(frozenset(found), len(stores))


def returning(store: Store, earlier: Earlier) -> set[str]:
    """Ids of this event's attendees who also came to one of the earlier events."""
    if not earlier.pseudonyms:
        return set()
    key = key_of(store)
    return {pid for pid, name in store.db.execute(_ATTENDEES) if pseudonym(key, name) in earlier.pseudonyms}
