"""People and their registrations: adding them and finding them by name."""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.names import fold_name
from fieldkit.store import DB_ERRORS, Store


def search_key(name: str) -> str:
    """A name folded for search: any script to lowercase ASCII (fieldkit/names.py)."""
    return fold_name(name)


@dataclass(frozen=True)
class Person:
    id: str
    display_name: str


@dataclass(frozen=True)
class Registration:
    id: str
    person_id: str
    display_name: str
    source: str
    external_id: str | None
    ticket: str | None


def add_person(
    store: Store, display_name: str, *, email: str | None = None, phone: str | None = None
) -> str:
    display_name = " ".join(display_name.split())
    if not display_name:
        raise ValueError("A person needs a name.")
    fields = {
        "display_name": display_name,
        "search_name": search_key(display_name),
        "created_at": store.now_text(),
    }
    if email:
        fields["email"] = email
    if phone:
        fields["phone"] = phone
    return store.set_record("people", None, fields)


def add_registration(
    store: Store,
    person_id: str,
    *,
    source: str,
    external_id: str | None = None,
    ticket: str | None = None,
    registered_at: str | None = None,
    order_ref: str | None = None,
    party_size: int | None = None,
) -> str:
    fields = {
        "person_id": person_id,
        "event_id": store.event_id,
        "source": source,
        "external_id": external_id,
        "ticket": ticket,
        "registered_at": registered_at or store.now_text(),
    }
    # Only when known, so a registration made here carries no empty order fields.
    if order_ref:
        fields["order_ref"] = order_ref
    if party_size and party_size > 1:
        fields["party_size"] = party_size
    return store.set_record("registrations", None, fields)


# Sorts after every folded name that starts with a given prefix.
_PREFIX_END = "\U0010ffff"


def _word_query(key: str) -> str:
    """An FTS5 query: every word of `key` must start a word of the name."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in key.split())


def find_people(store: Store, query: str, limit: int = 10) -> list[Person]:
    """People whose name, or any word of it, starts with `query` (folded), names that
    start with it first; a query with an @ is an email, one with a digit an order or
    attendee number. Every lookup uses an index, so this stays fast at 100k people."""
    if "@" in query:
        return _by_email(store, query.strip().lower(), limit)
    numbered = _by_number(store, query, limit) if any(ch.isdigit() for ch in query) else []
    if numbered:
        return numbered
    key = search_key(query)
    if not key:
        return []
    rows = store.db.execute(
        "SELECT id, display_name FROM people WHERE search_name >= ? AND search_name < ?"
        " ORDER BY search_name LIMIT ?",
        [key, key + _PREFIX_END, limit],
    ).fetchall()
    if len(rows) < limit:
        seen = {row[0] for row in rows}
        try:
            words = store.db.execute(
                "SELECT p.id, p.display_name, p.search_name FROM people_words w"
                " JOIN people p ON p.rowid = w.rowid WHERE people_words MATCH ? LIMIT ?",
                [_word_query(key), 4 * limit],
            ).fetchall()
        except DB_ERRORS:  # a query of punctuation only has no words to match
            words = []
        more = sorted((r for r in words if r[0] not in seen), key=lambda r: (r[2], r[0]))
        rows += [(r[0], r[1]) for r in more[: limit - len(rows)]]
    return [Person(*row) for row in rows]


def _by_email(store: Store, prefix: str, limit: int) -> list[Person]:
    # Only where emails are kept (never on a desk: sync leaves contact details off it).
    rows = store.db.execute(
        "SELECT id, display_name FROM people WHERE lower(email) >= ? AND lower(email) < ?"
        " ORDER BY lower(email) LIMIT ?",
        [prefix, prefix + _PREFIX_END, limit],
    ).fetchall()
    return [Person(*row) for row in rows]


def _by_number(store: Store, query: str, limit: int) -> list[Person]:
    """People whose order code or attendee number (as the platform printed it) starts with `query`."""
    number = query.strip().upper()
    if not number or " " in number:
        return []
    rows = store.db.execute(
        "SELECT DISTINCT p.id, p.display_name FROM registrations r JOIN people p ON p.id = r.person_id"
        " WHERE r.id IN (SELECT id FROM registrations WHERE upper(external_id) >= ?1 AND upper(external_id) < ?2"
        " UNION SELECT id FROM registrations WHERE upper(order_ref) >= ?1 AND upper(order_ref) < ?2)"
        " ORDER BY p.search_name LIMIT ?3",
        [number, number + _PREFIX_END, limit],
    ).fetchall()
    return [Person(*row) for row in rows]


def registration_for(store: Store, registration_id: str) -> Registration | None:
    row = store.db.execute(
        "SELECT r.id, r.person_id, p.display_name, r.source, r.external_id, r.ticket"
        " FROM registrations r JOIN people p ON p.id = r.person_id WHERE r.id = ?",
        [registration_id],
    ).fetchone()
    return Registration(*row) if row else None


def get_person(store: Store, person_id: str) -> Person | None:
    row = store.db.execute("SELECT id, display_name FROM people WHERE id = ?", [person_id]).fetchone()
    return Person(*row) if row else None
