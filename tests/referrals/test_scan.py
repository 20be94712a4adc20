"""Scanning a referral card's QR code at a later clinic advances its referral."""

from __future__ import annotations

import pytest

from fieldkit import referrals as rf
from fieldkit import tokens
from fieldkit.referrals import ReferralRefused


def scan_refused(code, store, text):
    with pytest.raises(ReferralRefused) as info:
        rf.advance_by_scan(store, text)
    assert info.value.code == code, info.value.message
    return info.value


@pytest.fixture
def vetted(clinic):
    amina = rf.add_introducer(clinic, "Amina Yusuf")
    r = rf.issue_referral(clinic, channel="community", introducer_id=amina, need="grief")
    return rf.vet(clinic, r.id, "amara-okafor")


def test_issued_vetted_booked_by_scan_and_introducer_credited(clinic, vetted, clock):
    code = rf.signed_code(clinic, vetted.card_id)
    assert code.startswith("FK1:") and vetted.card_id not in code
    result = rf.advance_by_scan(clinic, code)
    assert result.advanced and result.referral.status == rf.BOOKED and result.previous == rf.VETTED
    assert rf.credit_balances(clinic)[0][1] == 1
    # The scanner sends twice, or someone scans again the same day: nothing more happens.
    again = rf.advance_by_scan(clinic, code + "\n")
    assert not again.advanced and "Already scanned today" in again.message
    assert rf.get_referral(clinic, vetted.id).status == rf.BOOKED
    clock.advance(days=7)
    assert rf.advance_by_scan(clinic, code).referral.status == rf.FIRST_SESSION
    clock.advance(days=7)
    second = rf.advance_by_scan(clinic, code)
    assert not second.advanced and "Session 2" in second.message
    clock.advance(days=7)
    assert rf.advance_by_scan(clinic, code).referral.status == rf.THIRD_SESSION
    clock.advance(days=7)
    scan_refused("invalid_transition", clinic, code)
    assert rf.credit_balances(clinic)[0][1] == 1


def test_unvetted_card_is_refused_with_what_to_do(clinic):
    r = rf.issue_referral(clinic, channel="walk_in")
    refusal = scan_refused("not_vetted", clinic, rf.signed_code(clinic, r.card_id))
    assert "F4" in refusal.message
    assert rf.get_referral(clinic, r.id).status == rf.ISSUED


def test_blank_card_not_yet_issued(clinic):
    [card] = rf.issue_cards(clinic, 1)
    scan_refused("card_not_issued", clinic, rf.signed_code(clinic, card.id))


def test_forged_other_kind_and_unknown_cards_are_refused(clinic, vetted):
    code = rf.signed_code(clinic, vetted.card_id)
    forged = code[:-6] + ("A" if code[-6] != "A" else "B") + code[-5:]
    before = clinic.db.execute("SELECT count(*) FROM changes").fetchone()[0]
    scan_refused("forged", clinic, forged)
    scan_refused("malformed", clinic, "hello")
    scan_refused("not_a_referral_card", clinic, tokens.sign_token(clinic, tokens.PASS, vetted.card_id))
    from fieldkit.store import new_id

    scan_refused("not_synced", clinic, rf.signed_code(clinic, new_id()))
    assert clinic.db.execute("SELECT count(*) FROM changes").fetchone()[0] == before


def test_a_check_in_desk_can_advance_a_card_without_any_intake_data(clinic, vetted):
    from fieldkit.roles import DESK
    from sync.scope import may_receive

    needed = ("referral_cards", "referrals", "referral_status", "referral_scans", "referral_credits", "events", "signing_keys")
    assert all(may_receive(DESK, table) for table in needed)
    assert not any(may_receive(DESK, t) for t in ("referral_details", "referral_outcomes", "introducers"))
    # What a desk holds: no referral_details (need, language, person) at all.
    clinic.db.execute("DELETE FROM referral_details")
    result = rf.advance_by_scan(clinic, rf.signed_code(clinic, vetted.card_id))
    assert result.referral.status == rf.BOOKED and result.referral.need is None
    assert clinic.db.execute("SELECT count(*) FROM referral_credits").fetchone()[0] == 1


def test_a_milestone_credited_on_two_laptops_counts_once(clinic, vetted):
    rf.set_status(clinic, vetted.id, rf.BOOKED)
    [entry] = rf.credit_ledger(clinic)
    # The same referral reached booked on another laptop before they synced.
    clinic.append_fact(
        "referral_credits",
        {"introducer_id": entry.introducer_id, "referral_id": vetted.id, "points": 1, "reason": entry.reason, "at": entry.at},
    )
    rf.adjust_credit(clinic, entry.introducer_id, 2, "helped set up the hall")
    assert rf.credit_balances(clinic)[0][1] == 3


def test_the_check_in_desk_routes_referral_cards_here_and_everything_else_back(clinic, vetted):
    keyring = tokens.KeyRing.from_store(clinic)
    assert rf.scan_at_desk(clinic, "Ada Lovelace", keyring) is None
    assert rf.scan_at_desk(clinic, "FK1:NOPE", keyring) is None
    assert rf.scan_at_desk(clinic, tokens.sign_token(clinic, tokens.PASS, vetted.card_id), keyring) is None
    booked = rf.scan_at_desk(clinic, rf.signed_code(clinic, vetted.card_id), keyring)
    assert booked.advanced and not booked.refused and "booked recorded" in booked.message
    unvetted = rf.issue_referral(clinic, channel="walk_in")
    refused = rf.scan_at_desk(clinic, rf.signed_code(clinic, unvetted.card_id), keyring)
    assert refused.refused and refused.message.startswith("Referral card: ") and "not vetted" in refused.message
