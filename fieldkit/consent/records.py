"""Recording consent: one conversation's permits and denials, each a fact."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from fieldkit.consent.coverage import Purged
from fieldkit.consent.gate import (
    DENIED,
    DENY,
    GRANT,
    PERMIT,
    ConsentError,
    check_method,
    check_person,
    default_valid_until,
    event_template,
    purpose_of,
    utc_text,
)
from fieldkit.consent.withdrawal import purge_covered, purge_reason
from fieldkit.store import Store, new_id

log = logging.getLogger("fieldkit.consent")


@dataclass(frozen=True)
class ConsentRecord:
    """What one consent conversation wrote: one fact per purpose, and what it purged."""

    record_id: str
    fact_ids: tuple[str, ...]
    purged: tuple[Purged, ...]


# -- writing -------------------------------------------------------------------
def record_consent(
    store: Store,
    person_id: str,
    choices: Mapping[str, bool],
    *,
    method: str,
    witness: str | None = None,
    form_id: str | None = None,
    at: datetime | None = None,
    valid_until: datetime | None = None,
) -> ConsentRecord:
    """Record one consent conversation: permit (True) or deny (False) per purpose.

    A "no" is recorded too, and purges what that purpose covers at once.
    """
    template = event_template(store)
    check_person(store, person_id)
    check_method(method)
    if not choices:
        raise ConsentError("no_choices", "Choose permit or deny for at least one purpose before saving.")
    purposes = [purpose_of(template, pid) for pid in choices]
    at = at or store.now()
    valid_until = valid_until or default_valid_until(template)
    if valid_until <= at:
        raise ConsentError("valid_until", "The consent would expire before it is given: choose a later valid-until date.")
    witness = " ".join((witness or "").split()) or None
    if form_id and store.db.execute("SELECT 1 FROM consent_facts WHERE form_id = ?", [form_id]).fetchone():
        raise ConsentError("form_used", f"Paper form {form_id} is already linked to a consent record: check the form number.")

    record_id = new_id()
    fact_ids, purged = [], []
    with store.transaction():
        for purpose in purposes:
            decision = PERMIT if choices[purpose.id] else DENY
            fact_ids.append(
                store.append_fact(
                    "consent_facts",
                    {
                        "record_id": record_id,
                        "person_id": person_id,
                        "purpose": purpose.id,
                        "action": GRANT,
                        "decision": decision,
                        "text_version": purpose.version,
                        "text_sha256": purpose.text_sha256,
                        "method": method,
                        "recorded_by_device": store.device_id,
                        "recorded_by_role": store.role,
                        "witness": witness,
                        "form_id": form_id,
                        "at": utc_text(at),
                        "valid_until": utc_text(valid_until) if decision == PERMIT else None,
                    },
                )
            )
            if decision == DENY:
                purged += purge_covered(store, person_id, purpose.id, purge_reason(DENIED, purpose.id))
    log.info("consent record %s person %s: %s", record_id, person_id,
             ", ".join(f"{p}={'permit' if v else 'deny'}" for p, v in choices.items()))
    return ConsentRecord(record_id, tuple(fact_ids), tuple(purged))


