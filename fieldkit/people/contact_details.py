"""A person's email and phone: kept only under the `contact_for_followup` consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fieldkit.consent.coverage import Coverage
from fieldkit.consent.gate import allows
from fieldkit.store import Store

PURPOSE = "contact_for_followup"
FIELDS = ("email", "phone")


@dataclass(frozen=True)
class ContactDetails:
    person_id: str
    email: str | None
    phone: str | None


def people_with_contact_details(store: Store) -> set[str]:
    rows = store.db.execute("SELECT id FROM people WHERE email IS NOT NULL OR phone IS NOT NULL")
    return {row[0] for row in rows}


def purge_contact_details(store: Store, person_id: str, reason: str) -> int:
    """Empty email and phone, leaving a tombstone for each (even if this laptop had
    none: another laptop's copy is purged when the tombstones sync)."""
    row = store.db.execute("SELECT email, phone FROM people WHERE id = ?", [person_id]).fetchone()
    if row is None:
        return 0
    store.purge("people", person_id, reason, fields=FIELDS)
    return sum(1 for value in row if value is not None)


def contact_details_for_followup(store: Store, person_id: str, at: datetime | None = None) -> ContactDetails | None:
    """A person's contact details, only if they allow follow-up contact at `at` (default now)."""
    if not allows(store, person_id, PURPOSE, at):
        return None
    row = store.db.execute("SELECT email, phone FROM people WHERE id = ?", [person_id]).fetchone()
    if row is None or row == (None, None):
        return None
    return ContactDetails(person_id, *row)


CONTACT_COVERAGE = Coverage(
    purpose=PURPOSE,
    name="contact details (email, phone)",
    holders=people_with_contact_details,
    purge=purge_contact_details,
)


def kept_contact_fields(store: Store, person_id: str) -> tuple[str, ...]:
    """Which contact fields this laptop holds for a person (names only, never the values)."""
    row = store.db.execute("SELECT email, phone FROM people WHERE id = ?", [person_id]).fetchone()
    return tuple(name for name, value in zip(FIELDS, row or ()) if value is not None)
