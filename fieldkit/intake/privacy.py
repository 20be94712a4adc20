"""What intake keeps about a person: the link and free text, only under the sharing consent.

Timer facts and survey responses never carry a person id or free text. When
`share_intake_with_practitioners` allows it, a separate `intake_links` fact links a
timer or response to the person and `intake_texts` facts hold its free text (a stop
note, text answers). Revoking the purpose purges exactly those rows (tombstones sync),
leaving the de-identified signal: event, category, duration, closed answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fieldkit.consent.coverage import Coverage
from fieldkit.consent.gate import allows
from fieldkit.store import Store, utc_text

PURPOSE = "share_intake_with_practitioners"
TIMER = "timer"
RESPONSE = "response"
SUBJECTS = (TIMER, RESPONSE)


@dataclass(frozen=True)
class SharingDecision:
    """Whether intake may be linked to the person, and why (a sentence to show)."""

    allowed: bool
    message: str

    def __bool__(self) -> bool:
        return self.allowed


def sharing(store: Store, person_id: str | None, at: datetime | None = None) -> SharingDecision:
    """May intake about `person_id` be linked to them? Always asks the consent gate."""
    if person_id is None:
        return SharingDecision(False, "Anonymous: nothing links this to a person.")
    decision = allows(store, person_id, PURPOSE, at)
    return SharingDecision(decision.allowed, decision.message)


def link(store: Store, subject: str, subject_id: str, person_id: str, at: datetime) -> str:
    """Link a timer or response to a person; call only after `sharing()` said yes."""
    return store.append_fact(
        "intake_links",
        {"subject": subject, "subject_id": subject_id, "person_id": person_id, "at": utc_text(at)},
    )


def keep_text(store: Store, subject: str, subject_id: str, person_id: str, field: str, text: str) -> str:
    """Keep a free-text value of a linked timer or response."""
    return store.append_fact(
        "intake_texts",
        {"subject": subject, "subject_id": subject_id, "person_id": person_id, "field": field, "text": text},
    )


def linked_person(store: Store, subject_id: str) -> str | None:
    row = store.db.execute(
        "SELECT person_id FROM intake_links WHERE subject_id = ? ORDER BY hlc LIMIT 1", [subject_id]
    ).fetchone()
    return row[0] if row else None


def linked_names(store: Store, subject_ids: list[str]) -> dict[str, str]:
    """Display names of the people linked to these timers or responses."""
    if not subject_ids:
        return {}
    marks = ", ".join("?" for _ in subject_ids)
    rows = store.db.execute(
        f"SELECT l.subject_id, p.display_name FROM intake_links l JOIN people p ON p.id = l.person_id"
        f" WHERE l.subject_id IN ({marks})",
        subject_ids,
    ).fetchall()
    return dict(rows)


def texts_of(store: Store, subject_id: str) -> dict[str, str]:
    rows = store.db.execute(
        "SELECT field, text FROM intake_texts WHERE subject_id = ? ORDER BY hlc", [subject_id]
    ).fetchall()
    return dict(rows)


def people_with_linked_intake(store: Store) -> set[str]:
    rows = store.db.execute(
        "SELECT person_id FROM intake_links UNION SELECT person_id FROM intake_texts"
        " UNION SELECT person_id FROM survey_drafts WHERE person_id IS NOT NULL"
    )
    return {row[0] for row in rows}


def purge_linked_intake(store: Store, person_id: str, reason: str) -> int:
    """Purge a person's links and free text (tombstones sync) and their local drafts.

    The timer facts and closed answers stay: without the link they are anonymous.
    """
    purged = 0
    with store.transaction():
        for table in ("intake_links", "intake_texts"):
            ids = [r[0] for r in store.db.execute(f"SELECT id FROM [{table}] WHERE person_id = ?", [person_id])]
            for row_id in ids:
                store.purge(table, row_id, reason)
            purged += len(ids)
        # Drafts never leave this laptop, so deleting them here is the whole purge.
        purged += store.db.execute("DELETE FROM survey_drafts WHERE person_id = ?", [person_id]).rowcount
    return purged


INTAKE_COVERAGE = Coverage(
    purpose=PURPOSE,
    name="intake linked to the person (links, notes, text answers, drafts)",
    holders=people_with_linked_intake,
    purge=purge_linked_intake,
)
