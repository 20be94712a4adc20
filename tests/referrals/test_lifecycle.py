"""The referral lifecycle as facts: issuing, vetting, booking, sessions, endings and refusals."""

from __future__ import annotations

import pytest

from fieldkit import referrals as rf
from fieldkit.referrals import ReferralRefused, lifecycle


def refused(code, fn, *args, **kwargs):
    with pytest.raises(ReferralRefused) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.message
    assert info.value.message.endswith(".")
    return info.value


def facts(store):
    return store.db.execute("SELECT count(*) FROM changes").fetchone()[0]


@pytest.fixture
def amina(clinic):
    return rf.add_introducer(clinic, "Amina Yusuf", "Tenants' association")


def test_issue_suggests_a_practitioner_and_makes_a_card(clinic):
    r = rf.issue_referral(clinic, channel="directory", need="grief", language="en")
    assert r.status == rf.ISSUED and not r.vetted
    assert r.suggested_practitioner_id == r.practitioner_id == "amara-okafor"
    assert len(r.short_code) == 9 and rf.find_card(clinic, r.display_code).id == r.card_id
    assert r.person_id is None
    assert "not vetted" in r.status_words


def test_the_practitioner_may_choose_another(clinic):
    r = rf.issue_referral(clinic, channel="walk_in", need="anxiety", practitioner_id="eleni-papadaki")
    assert r.suggested_practitioner_id == "amara-okafor" and r.practitioner_id == "eleni-papadaki"
    assert rf.choose_practitioner(clinic, r.id, "olena-kovalenko").practitioner_id == "olena-kovalenko"


def test_full_lifecycle_and_credit_at_the_milestone(clinic, amina):
    r = rf.issue_referral(clinic, channel="community", introducer_id=amina, need="trauma", language="uk")
    assert r.practitioner_id == "olena-kovalenko"
    r = rf.vet(clinic, r.id, "amara-okafor")
    assert r.vetted and r.vetted_by == "amara-okafor"
    assert rf.credit_balances(clinic)[0][1] == 0
    r = rf.set_status(clinic, r.id, rf.BOOKED, via="cli")
    [(who, balance)] = rf.credit_balances(clinic)
    assert who.name == "Amina Yusuf" and balance == 1
    [entry] = rf.credit_ledger(clinic, amina)
    assert entry.reason == f"referral {r.display_code} reached booked" and entry.referral_id == r.id
    for status in (rf.FIRST_SESSION, rf.THIRD_SESSION):
        r = rf.set_status(clinic, r.id, status)
    assert r.status == rf.THIRD_SESSION
    assert rf.credit_balances(clinic)[0][1] == 1  # one credit per referral
    statuses = [s for (s,) in clinic.db.execute("SELECT status FROM referral_status WHERE referral_id = ? ORDER BY hlc", [r.id])]
    assert statuses == list(rf.CHAIN)


@pytest.mark.parametrize(
    "steps, status, code",
    [
        ([], rf.BOOKED, "invalid_transition"),
        ([], rf.THIRD_SESSION, "invalid_transition"),
        ([], rf.ISSUED, "already"),
        ([(rf.VETTED, "amara-okafor")], rf.FIRST_SESSION, "invalid_transition"),
        ([(rf.DECLINED, None)], rf.VETTED, "invalid_transition"),
        ([], "cancelled", "unknown_status"),
        ([], rf.DECLINED, "reason_required"),
        ([], rf.VETTED, "vetter_required"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(clinic, steps, status, code):
    r = rf.issue_referral(clinic, channel="walk_in")
    for step, who in steps:
        rf.set_status(clinic, r.id, step, practitioner_id=who, reason="changed their mind")
    before = facts(clinic)
    refused(code, rf.set_status, clinic, r.id, status)
    assert facts(clinic) == before


def test_vetting_needs_a_practitioner_of_the_event(clinic):
    r = rf.issue_referral(clinic, channel="walk_in")
    refused("unknown_practitioner", rf.vet, clinic, r.id, "dr-nobody")
    assert rf.get_referral(clinic, r.id).status == rf.ISSUED


def test_endings_keep_the_reason_and_mark_unvetted(clinic):
    r = rf.issue_referral(clinic, channel="walk_in")
    r = rf.set_status(clinic, r.id, rf.EXPIRED, reason="  no contact\n after 8 weeks ")
    assert r.status_words == "expired (never vetted)"
    assert clinic.db.execute("SELECT reason FROM referral_status WHERE status = 'expired'").fetchone()[0] == "no contact after 8 weeks"


def test_issue_refusals(clinic, amina):
    before = facts(clinic)
    refused("unknown_channel", rf.issue_referral, clinic, channel="gp")
    refused("introducer_required", rf.issue_referral, clinic, channel="community")
    refused("unknown_introducer", rf.issue_referral, clinic, channel="directory", introducer_id="nobody")
    refused("unknown_practitioner", rf.issue_referral, clinic, channel="directory", practitioner_id="dr-nobody")
    refused("unknown_code", rf.issue_referral, clinic, channel="directory", card_code="0000-0000-0")
    assert facts(clinic) == before
    refused("introducer_name", rf.add_introducer, clinic, "   ")


def test_blank_cards_are_linked_when_issued(clinic):
    blank = rf.issue_cards(clinic, 3)
    refused("card_not_issued", rf.resolve, clinic, blank[0].display_code)
    r = rf.issue_referral(clinic, channel="walk_in", card_code=blank[0].display_code.lower())
    assert r.card_id == blank[0].id and rf.resolve(clinic, blank[0].short_code).id == r.id
    before = facts(clinic)
    refused("card_in_use", rf.issue_referral, clinic, channel="walk_in", card_code=blank[0].short_code)
    assert facts(clinic) == before
    assert len({c.short_code for c in rf.issue_cards(clinic, 200)}) == 200


def test_typos_in_codes_are_told_apart_from_unknown_codes(clinic):
    r = rf.issue_referral(clinic, channel="walk_in")
    code = r.short_code
    typo = code[:3] + ("X" if code[3] != "X" else "Y") + code[4:]
    refused("check", rf.resolve, clinic, typo)
    assert rf.resolve(clinic, r.id).id == r.id


def test_without_consent_the_referral_is_anonymous(clinic):
    from fieldkit.consent.records import record_consent
    from fieldkit.people.registry import add_person

    person = add_person(clinic, "Ada Lovelace")
    assert rf.issue_referral(clinic, channel="walk_in", person_id=person).person_id is None
    record_consent(clinic, person, {"share_intake_with_practitioners": False}, method="spoken")
    assert rf.issue_referral(clinic, channel="walk_in", person_id=person).person_id is None


def test_with_consent_linked_and_revoking_it_unlinks_everywhere(clinic):
    from fieldkit.consent.records import record_consent
    from fieldkit.consent.withdrawal import revoke
    from fieldkit.people.registry import add_person

    person = add_person(clinic, "Grace Hopper")
    record_consent(clinic, person, {"share_intake_with_practitioners": True}, method="on_screen")
    r = rf.issue_referral(clinic, channel="walk_in", person_id=person, need="grief")
    assert r.person_id == person
    revocation = revoke(clinic, person, "share_intake_with_practitioners")
    assert any(p.name.startswith("referral links") and p.items == 1 for p in revocation.purged)
    after = rf.get_referral(clinic, r.id)
    assert after.person_id is None and after.status == rf.ISSUED and after.card_id == r.card_id
    tombstone = clinic.db.execute(
        "SELECT field FROM tombstones WHERE tbl = 'referral_details' AND row_id = ?", [r.id]
    ).fetchone()
    assert tombstone == ("person_id",)


def test_availability_counts_open_referrals_this_week(clinic, clock):
    for _ in range(2):
        rf.issue_referral(clinic, channel="walk_in", need="trauma", practitioner_id="olena-kovalenko")
    assert rf.open_this_week(clinic) == {"olena-kovalenko": 2}
    assert "olena-kovalenko" not in [s.practitioner.id for s in rf.suggest_practitioners(clinic, "trauma", "uk")]
    declined = rf.list_referrals(clinic)[0]
    rf.set_status(clinic, declined.id, rf.DECLINED, reason="moved away")
    assert rf.open_this_week(clinic) == {"olena-kovalenko": 1}
    clock.advance(days=7)
    assert rf.open_this_week(clinic) == {}


def test_list_by_status(clinic):
    a = rf.issue_referral(clinic, channel="walk_in")
    b = rf.issue_referral(clinic, channel="walk_in")
    rf.vet(clinic, b.id, "eleni-papadaki")
    assert [r.id for r in rf.list_referrals(clinic, status=rf.ISSUED)] == [a.id]
    assert [r.id for r in rf.list_referrals(clinic, status=rf.VETTED)] == [b.id]
    refused("unknown_status", rf.list_referrals, clinic, status="lost")


def test_outcome_stamps(clinic):
    r = rf.issue_referral(clinic, channel="walk_in", practitioner_id="amara-okafor")
    refused("outcome_not_reached", rf.stamp_outcome, clinic, r.id, "attended_3_plus")
    refused("unknown_outcome", rf.stamp_outcome, clinic, r.id, "five_stars")
    rf.stamp_outcome(clinic, r.id, "no_show")
    refused("already_stamped", rf.stamp_outcome, clinic, r.id, "no_show")
    assert rf.outcomes_of(clinic, r.id) == ["no_show"]


def test_credit_adjustments_need_a_reason(clinic, amina):
    refused("reason_required", rf.adjust_credit, clinic, amina, 2, " ")
    rf.adjust_credit(clinic, amina, -1, "double counted at the last event")
    assert rf.credit_balances(clinic)[0][1] == -1


def test_milestone_comes_from_the_template(clinic, template, amina, monkeypatch):
    import dataclasses

    settings = dataclasses.replace(template.referrals, credit_milestone="first_session")
    changed = dataclasses.replace(template, referrals=settings)
    monkeypatch.setattr(lifecycle, "event_template", lambda store: changed)
    r = rf.issue_referral(clinic, channel="community", introducer_id=amina)
    rf.vet(clinic, r.id, "amara-okafor")
    rf.set_status(clinic, r.id, rf.BOOKED)
    assert rf.credit_balances(clinic)[0][1] == 0
    rf.set_status(clinic, r.id, rf.FIRST_SESSION)
    assert rf.credit_balances(clinic)[0][1] == 1
    bad = dataclasses.replace(template, referrals=dataclasses.replace(template.referrals, credit_milestone="paid"))
    refused("bad_milestone", rf.credit_milestone, bad)


@pytest.mark.parametrize(
    "field, value, code, choices",
    [
        ("language", "klingon", "unknown_language", "choose one of el, en, es, pt, ru, uk, yo."),
        ("need", "astrology", "unknown_need", "choose one of addiction, anxiety, displacement, family, grief, low mood"),
        ("practitioner_id", "dr-who", "unknown_practitioner", "known: amara-okafor, eleni-papadaki"),
    ],
)
def test_an_unknown_language_need_or_practitioner_is_refused_with_the_list_to_choose_from(clinic, field, value, code, choices):
    with pytest.raises(rf.ReferralRefused) as refused:
        rf.issue_referral(clinic, channel="walk_in", **{field: value})
    assert refused.value.code == code and choices in refused.value.message
    assert clinic.counts()["referrals"] == 0


def test_needs_and_languages_are_matched_in_any_case_and_kept_as_the_directory_spells_them(clinic):
    issued = rf.issue_referral(clinic, channel="walk_in", need="Low  Mood", language="EL")
    assert (issued.need, issued.language) == ("low mood", "el")
