"""Passes admit until the event's end plus the template's grace, and no later, on every laptop:
old passes without a validity still work for their event, and a stolen laptop's key cannot
sign a pass that admits after it, whatever validity it writes into the pass."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fieldkit.checkin import CheckinRefused, Desk
from fieldkit.checkin.passes import pass_cards, pass_token
from fieldkit.event import create_event
from fieldkit.event.template import TemplateError, load_template, parse_template
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import open_store
from fieldkit.tokens import PASS, KeyRing, TokenRefused, parse_token, sign_token
from sync.enroll import enroll_device, join_event, revoke_device
from tests.conftest import SAMPLE_EVENTS
from tests.sample_dates import sample_time

TEMPLATE = SAMPLE_EVENTS / "wellbeing-popup.toml"
ENDS = sample_time(16)  # 16:00 in London in December
GRACE = timedelta(hours=12)  # the template default


def at(moment: datetime):
    return lambda: int(moment.timestamp() * 1000)


@pytest.fixture
def event(tmp_path, template):
    store = create_event(tmp_path / "event.db", template, None)
    registration = add_registration(store, add_person(store, "Ana Silva"), source="test")
    yield store, registration
    store.close()


def desk_at(store, moment: datetime) -> Desk:
    return Desk(open_store(store.path, None, wall=at(moment)))


def refused_after_the_event(store, code: str, moment: datetime) -> None:
    desk = desk_at(store, moment)
    before = desk.store.counts()
    with pytest.raises(CheckinRefused) as refused:
        desk.scan(code)
    assert refused.value.code == "expired" and "expired at" in refused.value.message
    assert desk.store.counts() == before
    desk.store.close()


def admitted(store, code: str, moment: datetime) -> None:
    desk = desk_at(store, moment)
    assert desk.scan(code).name == "Ana Silva"
    desk.store.close()


def test_a_printed_pass_carries_the_events_end_plus_grace(event):
    store, registration = event
    for code in (pass_token(store, registration), pass_cards(store)[0].token):
        token = parse_token(code, KeyRing.from_store(store), ENDS)
        assert token.valid_until == ENDS + GRACE


def test_a_pass_admits_until_the_end_plus_grace_and_not_a_minute_later(event):
    store, registration = event
    code = pass_token(store, registration)
    admitted(store, code, ENDS + GRACE - timedelta(minutes=1))
    refused_after_the_event(store, code, ENDS + GRACE + timedelta(minutes=1))


def test_an_old_pass_without_validity_works_for_its_event_and_not_after(event):
    store, registration = event
    old = sign_token(store, PASS, registration)  # as passes were printed before they carried validity
    assert parse_token(old, KeyRing.from_store(store), ENDS).valid_until is None
    admitted(store, old, ENDS - timedelta(hours=2))
    refused_after_the_event(store, old, ENDS + GRACE + timedelta(minutes=1))


def test_a_stolen_laptops_key_cannot_sign_a_pass_that_admits_after_the_event(event, tmp_path):
    store, registration = event
    stolen = join_event(tmp_path / "desk-2.db", None, enroll_device(store, "desk-2", "desk"))
    far = ENDS + timedelta(days=3650)
    forged_validity = sign_token(stolen, PASS, registration, valid_until=far)
    no_validity = sign_token(stolen, PASS, registration)
    stolen.close()
    # Before it is missed, during the event, its passes are as good as any desk's ...
    admitted(store, forged_validity, ENDS - timedelta(hours=1))
    # ... and after the event none of them admits, whatever it says about itself.
    for code in (forged_validity, no_validity):
        refused_after_the_event(store, code, ENDS + GRACE + timedelta(minutes=1))
    # Revoked, what it signs for a registration recorded before the revocation is still
    # bounded by the event: the old rule alone let such passes in for ever.
    revoke_device(store, "desk-2", "stolen")
    refused_after_the_event(store, forged_validity, ENDS + GRACE + timedelta(days=30))


def test_the_template_sets_the_grace(tmp_path, template):
    raw = dict(template.raw)
    raw["event"] = {**raw["event"], "pass_grace_hours": 0}
    strict = create_event(tmp_path / "strict.db", parse_template(raw, "strict.toml"), None)
    registration = add_registration(strict, add_person(strict, "Ana Silva"), source="test")
    code = pass_token(strict, registration)
    ring = KeyRing.from_store(strict)
    assert parse_token(code, ring, ENDS).valid_until == ENDS
    with pytest.raises(TokenRefused) as refused:
        parse_token(sign_token(strict, PASS, registration), ring, ENDS + timedelta(minutes=1))
    assert refused.value.code == "expired"
    strict.close()


@pytest.mark.parametrize("grace", [-1, 24 * 15, "12", 1.5])
def test_a_grace_out_of_range_names_the_field(template, grace):
    raw = dict(template.raw)
    raw["event"] = {**raw["event"], "pass_grace_hours": grace}
    with pytest.raises(TemplateError, match=r"x\.toml: event\.pass_grace_hours: expected a whole number"):
        parse_template(raw, "x.toml")


def test_the_default_grace_is_twelve_hours():
    assert load_template(TEMPLATE).event.pass_grace_hours == 12
    assert load_template(TEMPLATE).event.passes_valid_until == ENDS + GRACE


def test_referral_cards_and_forms_are_not_bounded_by_the_event(event):
    store, _ = event
    ring = KeyRing.from_store(store)
    card = sign_token(store, "referral", "01J0000000000000000000000A")
    assert parse_token(card, ring, ENDS + timedelta(days=90)).kind == "referral"
