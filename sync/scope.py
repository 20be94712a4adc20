"""Which laptop role may receive which synced table, and which fields of it: the one place scoping is decided.

The SENDER filters by the receiving laptop's enrolled role (read from its
certificate). A table missing from TABLE_ROLES is sent to coordinators and
practitioners only: a check-in desk is default-deny, so a table added later for
intake, surveys or referral notes never reaches a desk by accident. Add new
tables here when a desk needs them (docs/sync-protocol.md "Scoping").

Within a table a role holds, FIELD_ROLES names the fields only some roles hold: a desk
gets people's names but not their email or phone, and consent status per purpose but not
how it was given or who witnessed it. The sender leaves those fields out of what it sends;
a laptop that holds such a table without those fields never relays other laptops' writes
of it to a laptop that may hold more (it could only pass on less than was written).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from fieldkit.roles import COORDINATOR, PRACTITIONER, ROLES
from fieldkit.store.changes import INSERT, SET, WITHHELD, RemoteChange

EVERY_ROLE = frozenset(ROLES)
NOT_DESK = frozenset({COORDINATOR, PRACTITIONER})

TABLE_ROLES: dict[str, frozenset[str]] = {
    # the event, the device roster and its revocations
    "events": EVERY_ROLE,
    "devices": EVERY_ROLE,
    "device_revocations": EVERY_ROLE,
    # token keys and revocations: every laptop verifies passes offline
    "signing_keys": EVERY_ROLE,
    "key_revocations": EVERY_ROLE,
    "token_revocations": EVERY_ROLE,
    # who is expected, who came, and what they agreed to (consent status)
    "people": EVERY_ROLE,
    "registrations": EVERY_ROLE,
    "checkins": EVERY_ROLE,
    "checkin_voids": EVERY_ROLE,
    # a walk-in taken back at a desk, and the platform tickets people arrive with (as
    # HMAC digests: a desk admits by them offline and never learns a secret)
    "registration_voids": EVERY_ROLE,
    "ticket_secrets": EVERY_ROLE,
    "consent_facts": EVERY_ROLE,
    # referral cards and their status, so a desk can advance a scanned card (no person,
    # need or language: those are in referral_details, which a desk never receives)
    "referral_cards": EVERY_ROLE,
    "referrals": EVERY_ROLE,
    "referral_status": EVERY_ROLE,
    "referral_scans": EVERY_ROLE,
    "referral_credits": EVERY_ROLE,
}
UNKNOWN_TABLE_ROLES = NOT_DESK

# Fields of a table some roles hold and others do not (a field not named here goes with its table).
FIELD_ROLES: dict[str, dict[str, frozenset[str]]] = {
    # a desk finds and greets people by name: contact details stay with who follows up
    "people": {"email": NOT_DESK, "phone": NOT_DESK},
    # a desk shows consent status per purpose: how it was given and who witnessed it stay behind
    "consent_facts": {"method": NOT_DESK, "witness": NOT_DESK},
}

# What a fact of a table in FIELD_ROLES always carries, given what it says. A fact sent with
# fields as digests only must still carry these: a digest does not say which field it stands
# for, so a relay could otherwise pass off a field the receiver holds (a "no", an expiry) as
# one it does not (a witness that was never written). Each entry: the fields every fact has,
# then (field, value, the fields a fact with that value has). tests/security checks that
# every fact table in FIELD_ROLES has an entry.
ALWAYS_CARRIED: dict[str, tuple[frozenset[str], tuple[tuple[str, str, frozenset[str]], ...]]] = {
    "consent_facts": (
        frozenset({"record_id", "person_id", "purpose", "action", "recorded_by_device", "recorded_by_role", "at"}),
        (
            ("action", "grant", frozenset({"decision", "text_version", "text_sha256"})),
            ("decision", "permit", frozenset({"valid_until"})),
        ),
    ),
}


def missing_from(table: str, payload: dict) -> frozenset[str]:
    """The fields `payload`, a fact of `table`, should carry by ALWAYS_CARRIED and does not."""
    rules = ALWAYS_CARRIED.get(table)
    if rules is None:
        return frozenset()
    needed = set(rules[0])
    for field, value, then in rules[1]:
        if payload.get(field) == value:
            needed |= then
    return frozenset(name for name in needed if payload.get(name) is None)


def may_receive(role: str, table: str) -> bool:
    """Whether a laptop enrolled as `role` may hold the rows of `table`."""
    return role in TABLE_ROLES.get(table, UNKNOWN_TABLE_ROLES)


def hidden_fields(role: str, table: str) -> frozenset[str]:
    """The fields of `table` a laptop enrolled as `role` may not hold."""
    return frozenset(name for name, roles in FIELD_ROLES.get(table, {}).items() if role not in roles)


def scoped(changes: list[RemoteChange], role: str) -> list[RemoteChange]:
    """`changes` as a laptop enrolled as `role` may receive them: without the fields it may not
    hold (each table's fields looked up once: a batch holds thousands of changes of a few tables)."""
    hidden: dict[str, frozenset[str]] = {}
    out = []
    for change in changes:
        table = change.table
        if table not in hidden:
            hidden[table] = hidden_fields(role, table)
        fields = hidden[table]
        if fields and change.op in (INSERT, SET) and change.payload and not fields.isdisjoint(change.payload):
            change = replace(change, payload={k: v for k, v in change.payload.items() if k not in fields})
        out.append(change)
    return out


def lacks_for(holder_role: str, receiver_role: str, table: str) -> bool:
    """Whether a `holder_role` laptop's copies of other laptops' writes to `table` may lack
    fields a `receiver_role` laptop holds (so it must not relay them: the receiver would
    count the write as held and never get the rest from a laptop that has it)."""
    return bool(hidden_fields(holder_role, table) - hidden_fields(receiver_role, table))


def held_in_part(holder_role: str, holder_device: str, receiver_role: str) -> Callable[[str, str], bool]:
    """For the feed: whether this laptop's copy of `origin`'s write to `table` may lack fields
    the receiver holds (its own writes it holds whole)."""
    return lambda origin, table: origin != holder_device and lacks_for(holder_role, receiver_role, table)


def out_of_scope(role: str, changes: list[RemoteChange]) -> str | None:
    """Why a `role` laptop refuses received changes, if it does: one holds what it may not hold
    (a table, or a field such as people.email), or a placeholder stands for a table it may hold.
    Each table's rules are looked up once (a batch holds thousands of changes of a few tables)."""
    rules: dict[str, tuple[bool, frozenset[str]]] = {}
    for change in changes:
        table = change.table
        if table not in rules:
            rules[table] = (may_receive(role, table), hidden_fields(role, table))
        allowed, hidden = rules[table]
        if change.op == WITHHELD:
            if allowed:
                return f"the peer withheld a change of {table[:40]}, which this laptop's role may hold"
            continue
        if not allowed:
            return f"the peer sent {table[:80]}, which this laptop's role may not hold"
        if hidden and change.op in (INSERT, SET) and isinstance(change.payload, dict):
            found = hidden & change.payload.keys()
            if found:
                return f"the peer sent {f'{table}.{min(found)}'[:80]}, which this laptop's role may not hold"
    return None


@functools.cache
def withheld_from_some_role(table: str) -> bool:
    """Whether some role does not receive `table` (its changes reach it as placeholders, so a
    feed signs a checkpoint before them). Tables some role holds without some fields get none:
    a checkpoint before every walk-in's `people` write would cost a signature each (1.9x on a
    first sync), and the only feed that stops there is a desk's relay to a laptop that may hold
    more, which gets those changes from their origin or any other laptop."""
    return not all(may_receive(role, table) for role in ROLES)
