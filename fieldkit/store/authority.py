"""Who may author what: the one table of which laptop role may write which synced table, and how.

An enrolled laptop is trusted to be of the event, not to write anything. Every change
a laptop applies, its own peer's or relayed, is checked against `AUTHORS` with the role
its origin has in the roster as the event key wrote it (sync/trust.py); the write path
checks this laptop's own writes the same way, so an honest laptop never logs a change
that every other laptop would refuse. `EVENT` is the laptop holding the event key (the
coordinator's laptop that created the event): it may author everything, and it alone
the event record, the roster, the signing keys and their revocations.

docs/threat-model.md prints this table; tests/security/test_authority.py checks the
print matches.
"""

from __future__ import annotations

from collections.abc import Iterable

from fieldkit.roles import COORDINATOR, DESK, PRACTITIONER
from fieldkit.store.changes import INSERT, PURGE, SET, WITHHELD

EVENT = "event"
PRINCIPALS = (EVENT, COORDINATOR, PRACTITIONER, DESK)

_NOBODY: frozenset[str] = frozenset()  # beyond the event key
_C = frozenset({COORDINATOR})
_CP = frozenset({COORDINATOR, PRACTITIONER})
_CPD = frozenset({COORDINATOR, PRACTITIONER, DESK})

# table -> operation -> the roles (besides the event key) that may author it. A fact
# table's write is `insert`, a record table's `set`; `purge` removes rows or fields.
AUTHORS: dict[str, dict[str, frozenset[str]]] = {
    # the event, the roster, the keys and revocations: under the event key only
    "events": {SET: _NOBODY, PURGE: _NOBODY},
    "devices": {SET: _NOBODY, PURGE: _NOBODY},
    "device_revocations": {INSERT: _NOBODY, PURGE: _NOBODY},
    "signing_keys": {SET: _NOBODY, PURGE: _NOBODY},
    "key_revocations": {INSERT: _NOBODY, PURGE: _NOBODY},
    "token_revocations": {INSERT: _C, PURGE: _C},
    # the desk: walk-ins (people and their registrations), check-ins, voids, consent it
    # records, and contact details purged when consent is withdrawn at the desk
    "people": {SET: _CPD, PURGE: _CPD},
    "registrations": {SET: _CPD, PURGE: _C},
    "registration_voids": {INSERT: _CPD, PURGE: _C},  # a walk-in taken back at the desk
    "ticket_secrets": {INSERT: _C, PURGE: _C},  # platform tickets, kept as digests at import
    "checkins": {INSERT: _CPD, PURGE: _C},
    "checkin_voids": {INSERT: _CPD, PURGE: _C},
    "consent_facts": {INSERT: _CPD, PURGE: _C},
    # intake: practitioners
    "intent_timer_events": {INSERT: _CP, PURGE: _C},
    "survey_responses": {INSERT: _CP, PURGE: _C},
    "survey_versions": {INSERT: _CP, PURGE: _C},
    "intake_links": {INSERT: _CP, PURGE: _CP},
    "intake_texts": {INSERT: _CP, PURGE: _CP},
    # referrals: practitioners issue and move them on; a card scanned at a desk advances
    # its status (booked, sessions), logs the scan and credits the introducer
    "introducers": {SET: _CP, PURGE: _C},
    "referral_cards": {INSERT: _CP, PURGE: _C},
    "referrals": {SET: _CP, PURGE: _C},
    "referral_details": {SET: _CP, PURGE: _CP},
    "referral_status": {INSERT: _CPD, PURGE: _C},
    "referral_credits": {INSERT: _CPD, PURGE: _C},
    "referral_outcomes": {INSERT: _CP, PURGE: _C},
    "referral_scans": {INSERT: _CPD, PURGE: _C},
}
# A table added without an entry here: the coordinators only, until someone decides.
UNLISTED = {INSERT: _C, SET: _C, PURGE: _C}
# Purges a role may make of some fields only, never of the whole row: a desk or a practitioner
# empties a person's email and phone when follow-up consent is withdrawn there; removing the
# person is the coordinators' (a desk could otherwise wipe every registrant on every laptop).
_CONTACT = frozenset({"email", "phone"})
PURGE_ONLY: dict[str, dict[str, frozenset[str]]] = {"people": {DESK: _CONTACT, PRACTITIONER: _CONTACT}}

_ROLE_WORDS = {EVENT: "the coordinator's laptop that created the event", COORDINATOR: "a coordinator",
               PRACTITIONER: "a practitioner", DESK: "a desk"}
_THE_EVENT_KEY = "the coordinator's laptop that created the event"
_OP_WORDS = {INSERT: "add to", SET: "write", PURGE: "purge", WITHHELD: "write"}


def may_author(principal: str, table: str, op: str, purged: Iterable[str] | None = None) -> bool:
    """Whether a laptop acting as `principal` may make change `op` to `table`; for a purge,
    of the fields `purged` (None, or the whole-row field "", for the whole row).

    A `withheld` placeholder hides its operation: it counts if any operation on the table
    is allowed (the laptops that receive the content check the operation itself).
    """
    if principal == EVENT:
        return True
    rules = AUTHORS.get(table, UNLISTED)
    if op == WITHHELD:
        return any(principal in roles for roles in rules.values())
    if principal not in rules.get(op, _NOBODY):
        return False
    only = PURGE_ONLY.get(table, {}).get(principal) if op == PURGE else None
    return only is None or (purged is not None and set(purged) <= only)


def who_may(table: str, op: str) -> str:
    """In words: who may make change `op` to `table`, e.g. "a coordinator or practitioner laptop"."""
    roles = [r for r in PRINCIPALS[1:] if may_author(r, table, op)]
    if not roles:
        return _THE_EVENT_KEY
    return f"a {' or '.join(roles) if len(roles) < 3 else ', '.join(roles[:-1]) + ' or ' + roles[-1]} laptop"


def refusal(principal: str, table: str, op: str, laptop: str = "This laptop") -> str:
    """The sentence for a change `principal` may not make, e.g. "desk-2 (a desk) may not write
    signing_keys: only the coordinator's laptop that created the event may."."""
    only = PURGE_ONLY.get(table, {}).get(principal) if op == PURGE else None
    if only is not None:
        return (
            f"{laptop} ({_ROLE_WORDS.get(principal, principal)}) may purge only the {' and '.join(sorted(only))} "
            f"of {table}: only {who_may(table, op)} may purge more."
        )
    return (
        f"{laptop} ({_ROLE_WORDS.get(principal, principal)}) may not {_OP_WORDS.get(op, op)} {table}: "
        f"only {who_may(table, op)} may."
    )


def markdown_table() -> str:
    """AUTHORS as the table docs/threat-model.md prints (a test keeps the two the same)."""
    lines = [
        "| table | written (`insert` a fact, `set` a record) by | `purge` by |",
        "| --- | --- | --- |",
    ]
    for table, rules in AUTHORS.items():
        write = next(op for op in rules if op != PURGE)
        only = PURGE_ONLY.get(table, {})
        cells = [
            ", ".join(["event key", *(
                f"{role} ({', '.join(sorted(only[role]))} only)" if op == PURGE and role in only else role
                for role in sorted(rules[op])
            )])
            for op in (write, PURGE)
        ]
        lines.append(f"| `{table}` | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)
