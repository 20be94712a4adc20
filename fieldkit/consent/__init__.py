"""Consent: the gate every feature asks, and (in its modules) recording, withdrawal, forms and receipts.

Other areas ask the gate, exported here. Recording consent (`consent.records`) and
withdrawing it (`consent.withdrawal`) purge through the features a purpose covers, so
they import those features and are imported by their own path, not from here.
"""

from fieldkit.consent.gate import (
    DENIED,
    EXPIRED,
    METHOD_LABELS,
    METHODS,
    NEVER_GIVEN,
    PERMITTED,
    REASON_LABELS,
    REASONS,
    REVOKED,
    VERSION_NOT_ACCEPTED,
    ConsentError,
    Decision,
    allows,
    consent_history,
    consent_status,
    consenting_people,
    end_of_event_day,
    event_template,
    utc_text,
)

__all__ = [
    "DENIED",
    "EXPIRED",
    "NEVER_GIVEN",
    "PERMITTED",
    "REASONS",
    "REVOKED",
    "VERSION_NOT_ACCEPTED",
    "end_of_event_day",
    "utc_text",
    "METHOD_LABELS",
    "METHODS",
    "REASON_LABELS",
    "ConsentError",
    "Decision",
    "allows",
    "consent_history",
    "consent_status",
    "consenting_people",
    "event_template",
]
