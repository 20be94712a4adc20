"""Which laptop role may receive which synced table: the one place scoping is decided.

The SENDER filters by the receiving laptop's enrolled role (read from its
certificate). A table missing from TABLE_ROLES is sent to coordinators and
practitioners only: a check-in desk is default-deny, so a table added later for
intake, surveys or referral notes never reaches a desk by accident. Add new
tables here when a desk needs them (docs/sync-protocol.md "Scoping").
"""

from __future__ import annotations

import functools

from fieldkit.roles import COORDINATOR, PRACTITIONER, ROLES

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


def may_receive(role: str, table: str) -> bool:
    """Whether a laptop enrolled as `role` may hold the rows of `table`."""
    return role in TABLE_ROLES.get(table, UNKNOWN_TABLE_ROLES)


def hidden_fields(role: str, table: str) -> frozenset[str]:
    """The fields of `table` a laptop enrolled as `role` may not hold (none yet: every role
    that holds a table holds all of it)."""
    return frozenset()


@functools.cache
def withheld_from_some_role(table: str) -> bool:
    """Whether some role does not receive `table` (its changes reach it as placeholders)."""
    return not all(may_receive(role, table) for role in ROLES)
