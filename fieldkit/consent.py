"""Consent: grants, denials and revocations as facts, and the gate every feature asks.

A grant covers one purpose of the event template at one text version. Its current
state is a query over the person's facts for that purpose: the latest by the time it
was given (a paper form typed in later still counts at the time it was signed), the
clock stamp breaking ties. `allows()` is the only way a feature asks; it answers with
a `Decision` that is truthy or falsy and says why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fieldkit.privacy import Purged, coverage_of, purge_covered
from fieldkit.refusal import Refused
from fieldkit.store import Store, new_id
from fieldkit.event import load_event
from fieldkit.template import ConsentPurpose, EventTemplate

log = logging.getLogger(__name__)

METHODS = ("spoken", "paper", "on_screen")
METHOD_LABELS = {"spoken": "Spoken", "paper": "Paper form", "on_screen": "On screen"}
PERMIT, DENY = "permit", "deny"
GRANT, REVOKE = "grant", "revoke"

# Decision reasons: stable codes the screens and tests use.
PERMITTED = "permitted"
NEVER_GIVEN = "never_given"
DENIED = "denied"
EXPIRED = "expired"
REVOKED = "revoked"
VERSION_NOT_ACCEPTED = "version_not_accepted"
REASONS = (PERMITTED, NEVER_GIVEN, DENIED, EXPIRED, REVOKED, VERSION_NOT_ACCEPTED)
# A word or two for tables and forms; `Decision.message` is the full sentence.
REASON_LABELS = {
    PERMITTED: "yes",
    NEVER_GIVEN: "not asked",
    DENIED: "said no",
    EXPIRED: "expired",
    REVOKED: "withdrawn",
    VERSION_NOT_ACCEPTED: "ask again (new text)",
}

_COLUMNS = (
    "id, record_id, person_id, purpose, action, decision, text_version, text_sha256, method,"
    " recorded_by_device, recorded_by_role, witness, form_id, at, valid_until, hlc"
)


class ConsentError(Refused):
    """A consent change that was refused and wrote nothing; str() is the sentence to show."""


@dataclass(frozen=True)
class ConsentFact:
    """One grant (permit or deny) or revocation, as stored."""

    id: str
    record_id: str
    person_id: str
    purpose: str
    action: str
    decision: str | None
    text_version: str | None
    text_sha256: str | None
    method: str
    recorded_by_device: str
    recorded_by_role: str
    witness: str | None
    form_id: str | None
    at: datetime
    valid_until: datetime | None
    hlc: str


@dataclass(frozen=True)
class Decision:
    """The gate's answer: truthy when allowed; `reason` is a stable code, `message` a sentence."""

    allowed: bool
    purpose: str
    reason: str
    message: str
    fact: ConsentFact | None = None

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class PurposeStatus:
    purpose: ConsentPurpose
    decision: Decision


@dataclass(frozen=True)
class ConsentRecord:
    """What one consent conversation wrote: one fact per purpose, and what it purged."""

    record_id: str
    fact_ids: tuple[str, ...]
    purged: tuple[Purged, ...]


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


# -- time ----------------------------------------------------------------------
def utc_text(moment: datetime) -> str:
    """A time as stored: UTC ISO 8601 with milliseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("Consent times must carry a time zone.")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# -- the template --------------------------------------------------------------
def event_template(store: Store) -> EventTemplate:
    """The event's template as its record holds it now (parsed once per version)."""
    return load_event(store).template


def purpose_of(template: EventTemplate, purpose_id: str) -> ConsentPurpose:
    found = template.purpose(purpose_id)
    if found is None:
        known = ", ".join(p.id for p in template.consent.purposes)
        raise ConsentError("unknown_purpose", f"There is no consent purpose {purpose_id!r} in this event: use one of {known}.")
    return found


def default_valid_until(template: EventTemplate) -> datetime:
    """The event's end plus the period the template sets."""
    return template.event.ends + timedelta(days=template.consent.valid_days_after_event)


def end_of_event_day(template: EventTemplate) -> datetime:
    """Midnight after the event ends, in the event's time zone."""
    zone = ZoneInfo(template.event.timezone)
    local_end = template.event.ends.astimezone(zone)
    return datetime.combine(local_end.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)


# -- the gate ------------------------------------------------------------------
def _fact(row) -> ConsentFact:
    values = list(row)
    values[13], values[14] = _parse(values[13]), _parse(values[14])
    return ConsentFact(*values)


def _local_date(moment: datetime, template: EventTemplate) -> str:
    return moment.astimezone(ZoneInfo(template.event.timezone)).strftime("%d %B %Y")


def _decide(fact: ConsentFact | None, purpose: ConsentPurpose, at: datetime, template: EventTemplate) -> Decision:
    title = f"\u201c{purpose.title}\u201d"

    def answer(allowed: bool, reason: str, message: str) -> Decision:
        return Decision(allowed, purpose.id, reason, message, fact)

    if fact is None:
        return answer(False, NEVER_GIVEN, f"No consent for {title} has been recorded.")
    when = _local_date(fact.at, template)
    if fact.action == REVOKE:
        return answer(False, REVOKED, f"Consent for {title} was withdrawn on {when}.")
    if fact.decision == DENY:
        return answer(False, DENIED, f"The person said no to {title} on {when}.")
    accepted = fact.text_version in purpose.accepted_versions or (
        fact.text_version == purpose.version and fact.text_sha256 == purpose.text_sha256
    )
    if not accepted:
        changed = "whose wording has since changed" if fact.text_version == purpose.version else "which is no longer accepted"
        return answer(
            False,
            VERSION_NOT_ACCEPTED,
            f"Consent for {title} was given for text version {fact.text_version}, {changed}: "
            f"ask again with the current text (version {purpose.version}).",
        )
    if fact.valid_until is not None and fact.valid_until <= at:
        return answer(False, EXPIRED, f"Consent for {title} expired on {_local_date(fact.valid_until, template)}.")
    until = f" until {_local_date(fact.valid_until, template)}" if fact.valid_until else ""
    return answer(True, PERMITTED, f"Consent for {title} was given on {when}{until}.")


def _latest_fact(store: Store, person_id: str, purpose: str, at: datetime) -> ConsentFact | None:
    row = store.db.execute(
        f"SELECT {_COLUMNS} FROM consent_facts WHERE person_id = ? AND purpose = ? AND at <= ?"
        " ORDER BY at DESC, hlc DESC LIMIT 1",
        [person_id, purpose, utc_text(at)],
    ).fetchone()
    return _fact(row) if row else None


def _latest_facts(store: Store, purpose: str, at: datetime) -> dict[str, ConsentFact]:
    """The latest fact of every person for one purpose (the bulk form of `_latest_fact`)."""
    rows = store.db.execute(
        f"SELECT {_COLUMNS} FROM (SELECT *, row_number() OVER (PARTITION BY person_id"
        " ORDER BY at DESC, hlc DESC) AS n FROM consent_facts WHERE purpose = ? AND at <= ?)"
        " WHERE n = 1",
        [purpose, utc_text(at)],
    ).fetchall()
    return {row[2]: _fact(row) for row in rows}


def allows(store: Store, person_id: str, purpose: str, at: datetime | None = None) -> Decision:
    """May `purpose` be done for this person at `at` (default now)? Falsy with a reason if not."""
    template = event_template(store)
    definition = purpose_of(template, purpose)
    at = at or store.now()
    return _decide(_latest_fact(store, person_id, purpose, at), definition, at, template)


def consenting_people(store: Store, purpose: str, at: datetime | None = None) -> set[str]:
    """Everyone `allows()` would say yes for, in one query (for reports and sync scoping)."""
    template = event_template(store)
    definition = purpose_of(template, purpose)
    at = at or store.now()
    return {
        person
        for person, fact in _latest_facts(store, purpose, at).items()
        if _decide(fact, definition, at, template)
    }


def consent_status(store: Store, person_id: str, at: datetime | None = None) -> list[PurposeStatus]:
    """Every purpose of the event with the gate's answer for this person."""
    template = event_template(store)
    at = at or store.now()
    return [
        PurposeStatus(p, _decide(_latest_fact(store, person_id, p.id, at), p, at, template))
        for p in template.consent.purposes
    ]


def consent_history(store: Store, person_id: str) -> list[ConsentFact]:
    """All of a person's consent facts, oldest first."""
    rows = store.db.execute(
        f"SELECT {_COLUMNS} FROM consent_facts WHERE person_id = ? ORDER BY at, hlc", [person_id]
    ).fetchall()
    return [_fact(row) for row in rows]


# -- writing -------------------------------------------------------------------
def _check_person(store: Store, person_id: str) -> None:
    if store.db.execute("SELECT 1 FROM people WHERE id = ?", [person_id]).fetchone() is None:
        raise ConsentError("unknown_person", f"There is no person {person_id} on this laptop: find them by name first.")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ConsentError("unknown_method", f"Consent method {method!r} is not known: use one of {', '.join(METHODS)}.")


def _reason(code: str, purpose: str) -> str:
    # Tombstone reasons sync to every laptop: purpose and cause only, never personal data.
    return f"consent {code}: {purpose}"


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
    _check_person(store, person_id)
    _check_method(method)
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
                purged += purge_covered(store, person_id, purpose.id, _reason(DENIED, purpose.id))
    log.info("consent record %s person %s: %s", record_id, person_id,
             ", ".join(f"{p}={'permit' if v else 'deny'}" for p, v in choices.items()))
    return ConsentRecord(record_id, tuple(fact_ids), tuple(purged))


def revoke(
    store: Store, person_id: str, purpose: str, *, method: str = "on_screen", at: datetime | None = None
) -> Revocation:
    """Withdraw a consent that is in place, and purge what it covered (tombstones sync)."""
    template = event_template(store)
    definition = purpose_of(template, purpose)
    _check_person(store, person_id)
    _check_method(method)
    at = at or store.now()
    latest = _latest_fact(store, person_id, purpose, at)
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
        purged = purge_covered(store, person_id, purpose, _reason(REVOKED, purpose))
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
            latest = _latest_facts(store, purpose.id, at)
            for coverage in coverages:
                for person in sorted(coverage.holders(store)):
                    decision = _decide(latest.get(person), purpose, at, template)
                    if decision or (decision.reason == NEVER_GIVEN and at < kept_until):
                        continue
                    items = coverage.purge(store, person, _reason(decision.reason, purpose.id))
                    purged.append(Purged(purpose.id, coverage.name, items))
                    people.add(person)
    log.info("consent sweep purged covered content of %d people", len(people))
    return SweepReport(len(people), tuple(purged), kept_until)
