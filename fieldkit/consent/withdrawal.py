"""Withdrawing consent and sweeping what it no longer allows: purges through one explicit tuple of coverages.

Every feature whose content a consent purpose covers is listed in COVERAGES below and
imported directly, so a revocation made from the command line purges exactly what one
made in the app does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from fieldkit.consent.coverage import Coverage, Purged
from fieldkit.consent.gate import (
    DENY,
    NEVER_GIVEN,
    REVOKE,
    REVOKED,
    ConsentError,
    check_method,
    check_person,
    decide,
    end_of_event_day,
    event_template,
    latest_fact,
    latest_facts,
    purpose_of,
    utc_text,
)
from fieldkit.event.creation import EventNotSynced
from fieldkit.intake.privacy import INTAKE_COVERAGE
from fieldkit.people.contact_details import CONTACT_COVERAGE
from fieldkit.referrals.links import REFERRAL_LINK_COVERAGE
from fieldkit.store import Store, new_id
from fieldkit.store.changes import INSERT, RemoteChange

log = logging.getLogger("fieldkit.consent")

# Everything a consent purpose covers, one line per feature.
COVERAGES: tuple[Coverage, ...] = (CONTACT_COVERAGE, INTAKE_COVERAGE, REFERRAL_LINK_COVERAGE)


@dataclass(frozen=True)
class Revocation:
    fact_id: str
    purpose: str
    purged: tuple[Purged, ...]


@dataclass(frozen=True)
class SweepReport:
    people: int  # people whose covered content was purged
    purged: tuple[Purged, ...]
    kept_until: datetime  # contact details of people never asked are kept until then


def coverage_of(purpose: str) -> list[Coverage]:
    """Everything `purpose` covers."""
    return [c for c in COVERAGES if c.purpose == purpose]


def purge_reason(code: str, purpose: str) -> str:
    # Tombstone reasons sync to every laptop: purpose and cause only, never personal data.
    return f"consent {code}: {purpose}"


def purge_covered(store: Store, person_id: str, purpose: str, reason: str) -> list[Purged]:
    """Purge everything `purpose` covers for one person; call inside the revoking transaction."""
    with store.transaction():
        return [Purged(purpose, c.name, c.purge(store, person_id, reason)) for c in coverage_of(purpose)]


def revoke(
    store: Store, person_id: str, purpose: str, *, method: str = "on_screen", at: datetime | None = None
) -> Revocation:
    """Withdraw a consent that is in place, and purge what it covered (tombstones sync)."""
    template = event_template(store)
    definition = purpose_of(template, purpose)
    check_person(store, person_id)
    check_method(method)
    at = at or store.now()
    latest = latest_fact(store, person_id, purpose, at)
    if latest is None or latest.action == REVOKE or latest.decision == DENY:
        raise ConsentError(
            "nothing_to_revoke", f"There is no consent for \u201c{definition.title}\u201d to withdraw: nothing was changed."
        )
    with store.transaction():
        fact_id = store.append_fact(
            "consent_facts",
            {
                "record_id": new_id(),
                "person_id": person_id,
                "purpose": purpose,
                "action": REVOKE,
                "method": method,
                "recorded_by_device": store.device_id,
                "recorded_by_role": store.role,
                "at": utc_text(at),
            },
        )
        purged = purge_covered(store, person_id, purpose, purge_reason(REVOKED, purpose))
    log.info("consent revoked %s person %s purpose %s", fact_id, person_id, purpose)
    return Revocation(fact_id, purpose, tuple(purged))


def sweep(store: Store, at: datetime | None = None) -> SweepReport:
    """Purge covered content of everyone whose consent does not allow keeping it.

    People never asked keep their content until the end of the event day (registrations
    arrive with contact details before anyone could be asked); every other "no"
    (denied, revoked, expired, text no longer accepted) is purged now.
    """
    template = event_template(store)
    at = at or store.now()
    kept_until = end_of_event_day(template)
    people: set[str] = set()
    purged: list[Purged] = []
    with store.transaction():
        for purpose in template.consent.purposes:
            coverages = coverage_of(purpose.id)
            if not coverages:
                continue
            latest = latest_facts(store, purpose.id, at)
            for coverage in coverages:
                for person in sorted(coverage.holders(store)):
                    decision = decide(latest.get(person), purpose, at, template)
                    if decision or (decision.reason == NEVER_GIVEN and at < kept_until):
                        continue
                    items = coverage.purge(store, person, purge_reason(decision.reason, purpose.id))
                    purged.append(Purged(purpose.id, coverage.name, items))
                    people.add(person)
    log.info("consent sweep purged covered content of %d people", len(people))
    return SweepReport(len(people), tuple(purged), kept_until)


def purge_on_receipt(store: Store, changes: list[RemoteChange]) -> list[Purged]:
    """Consent withdrawn or refused on another laptop (received `consent_facts` changes: a
    revocation or a "no"): purge here what it covers, if the gate now says no. The laptop that
    recorded it purged only what it held (a desk holds no intake); every laptop that holds
    covered content removes it as the fact arrives, not at the coordinator's next sweep."""
    facts = [
        (c.payload["person_id"], c.payload["purpose"]) for c in changes
        if c.op == INSERT and isinstance(c.payload, dict) and c.payload.get("person_id") and c.payload.get("purpose")
        and (c.payload.get("action") == REVOKE or c.payload.get("decision") == DENY)
    ]
    if not facts:
        return []
    try:
        template = event_template(store)
    except EventNotSynced:  # no event here yet, so nothing it covers either
        return []
    at = store.now()
    purged: list[Purged] = []
    for definition in template.consent.purposes:
        people = sorted({person for person, purpose in facts if purpose == definition.id})
        for coverage in coverage_of(definition.id) if people else ():
            holders = coverage.holders(store)  # once a purpose: it reads every holder
            for person in people:
                decision = decide(latest_fact(store, person, definition.id, at), definition, at, template)
                if person in holders and not decision:  # (a later "yes" keeps it)
                    items = coverage.purge(store, person, purge_reason(decision.reason, definition.id))
                    purged.append(Purged(definition.id, coverage.name, items))
    return purged
