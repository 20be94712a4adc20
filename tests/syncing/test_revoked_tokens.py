"""A revoked laptop's tokens: refused, unless what they name was recorded before the revocation."""

from __future__ import annotations

import pytest

from fieldkit.checkin import CheckinRefused, Desk
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import new_id
from fieldkit.tokens import PASS, KeyRing, TokenRefused, parse_token, sign_token
from sync.enroll import revoke_device, roster
from sync.transport import sync_with


def _walk_in(store, name):
    return add_registration(store, add_person(store, name), source="walk-in")


def test_enrollment_gives_a_certified_signing_key(coordinator, enroll):
    desk = enroll("desk-2", "desk")
    registration = _walk_in(desk, "Ana Lima")
    code = sign_token(desk, PASS, registration)
    # The coordinator trusts it from the roster snapshot alone, before any sync.
    assert parse_token(code, KeyRing.from_store(coordinator), coordinator.now()).id == registration


def test_a_revoked_laptops_pass_counts_only_for_what_was_recorded_before(coordinator, enroll, serving):
    desk = enroll("desk-2", "desk")
    before = _walk_in(desk, "Ana Lima")
    old_pass = sign_token(desk, PASS, before)
    never_recorded = sign_token(desk, PASS, new_id())
    host, port = serving(coordinator)
    sync_with(desk, host, port)

    revoke_device(coordinator, "desk-2", "lost")
    after = _walk_in(coordinator, "Bo Chen")  # recorded after the revocation
    late_pass = sign_token(desk, PASS, after)

    ring = KeyRing.from_store(coordinator)
    assert parse_token(old_pass, ring, coordinator.now()).id == before
    for code in (never_recorded, late_pass):
        with pytest.raises(TokenRefused) as refused:
            parse_token(code, ring, coordinator.now())
        assert refused.value.code == "revoked"

    # Another desk learns the revocation by sync and applies the same rule at check-in.
    other = enroll("desk-3", "desk")
    sync_with(other, host, port)
    assert any(e.name == "desk-2" and e.revoked for e in roster(other))
    checkins = Desk(other)
    assert checkins.scan(old_pass).registration_id == before
    with pytest.raises(CheckinRefused) as refused:
        checkins.scan(late_pass)
    assert refused.value.code == "revoked"
