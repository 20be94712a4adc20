"""The consent gate: what a person has agreed to, asked by every feature through `allows()`.

A grant covers one purpose of the event template at one text version. Its current
state is a query over the person's facts for that purpose: the latest by the time it
was given (a paper form typed in later still counts at the time it was signed), the
clock stamp breaking ties. `allows()` is the only way a feature asks; it answers with
a `Decision` that is truthy or falsy and says why. Depends only on the store and the
event's template, so every feature can ask it without importing the rest of consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fieldkit.errors import Refused
from fieldkit.event import load_event
from fieldkit.event.template import ConsentPurpose, EventTemplate
from fieldkit.store import Store, utc_text

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


# -- time ----------------------------------------------------------------------
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


def decide(fact: ConsentFact | None, purpose: ConsentPurpose, at: datetime, template: EventTemplate) -> Decision:
    title = f"\u201c{purpose.title}\u201d"

    def answer(allowed: bool, reason: str, message: str) -> Decision:
        return Decision(allowed, purpose.id, reason, message, fact)

    if fact is None:
        return answer(False, NEVER_GIVEN, f"No consent for {title} has been recorded.")
    when = _local_date(fact.at, template)
    if fact.action == REVOKE:
        return answer(False, REVOKED, f"Consent for {title} was withdrawn on {when}.")
    if fact.decision != PERMIT:  # a grant says permit or deny: anything else is no permit
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


def latest_fact(store: Store, person_id: str, purpose: str, at: datetime) -> ConsentFact | None:
    row = store.db.execute(
        f"SELECT {_COLUMNS} FROM consent_facts WHERE person_id = ? AND purpose = ? AND at <= ?"
        " ORDER BY at DESC, hlc DESC LIMIT 1",
        [person_id, purpose, utc_text(at)],
    ).fetchone()
    return _fact(row) if row else None


def latest_facts(store: Store, purpose: str, at: datetime) -> dict[str, ConsentFact]:
    """The latest fact of every person for one purpose (the bulk form of `latest_fact`)."""
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
    return decide(latest_fact(store, person_id, purpose, at), definition, at, template)


def consenting_people(store: Store, purpose: str, at: datetime | None = None) -> set[str]:
    """Everyone `allows()` would say yes for, in one query (for reports and sync scoping)."""
    template = event_template(store)
    definition = purpose_of(template, purpose)
    at = at or store.now()
    return {
        person
        for person, fact in latest_facts(store, purpose, at).items()
        if decide(fact, definition, at, template)
    }


def consent_status(store: Store, person_id: str, at: datetime | None = None) -> list[PurposeStatus]:
    """Every purpose of the event with the gate's answer for this person."""
    template = event_template(store)
    at = at or store.now()
    return [
        PurposeStatus(p, decide(latest_fact(store, person_id, p.id, at), p, at, template))
        for p in template.consent.purposes
    ]


def consent_history(store: Store, person_id: str) -> list[ConsentFact]:
    """All of a person's consent facts, oldest first."""
    rows = store.db.execute(
        f"SELECT {_COLUMNS} FROM consent_facts WHERE person_id = ? ORDER BY at, hlc", [person_id]
    ).fetchall()
    return [_fact(row) for row in rows]




# -- checks shared by the writing modules ------------------------------------
def check_person(store: Store, person_id: str) -> None:
    if store.db.execute("SELECT 1 FROM people WHERE id = ?", [person_id]).fetchone() is None:
        raise ConsentError("unknown_person", f"There is no person {person_id} on this laptop: find them by name first.")


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ConsentError("unknown_method", f"Consent method {method!r} is not known: use one of {', '.join(METHODS)}.")
