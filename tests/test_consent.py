"""The consent model and its gate: every reason, versions, validity, bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from fieldkit import consent
from fieldkit.consent import ConsentError, allows
from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke
from fieldkit.people.registry import add_person
from fieldkit.store import dump_json
from tests.sample_dates import sample_time

AT = sample_time(11)
ALL_PURPOSES = ("record_attendance", "share_intake_with_practitioners", "contact_for_followup", "aggregate_reporting")


@pytest.fixture
def person(store):
    return add_person(store, "Zoë Müller", email="zoe@example.org", phone="07700 900101")


def fact_count(store) -> int:
    return store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0]


def change_template(store, mutate) -> None:
    """Edit the event's template in its record, as a coordinator's update would."""
    raw = json.loads(store.db.execute("SELECT template_json FROM events").fetchone()[0])
    mutate(raw)
    store.set_record("events", store.event_id, {"template_json": dump_json(raw)})


def purpose_entry(raw: dict, purpose_id: str) -> dict:
    return next(p for p in raw["consent"]["purposes"] if p["id"] == purpose_id)


def test_never_given(store, person):
    decision = allows(store, person, "contact_for_followup", at=AT)
    assert not decision
    assert decision.reason == consent.NEVER_GIVEN
    assert "Contact you afterwards" in decision.message


def test_permit_is_allowed_with_version_hash_and_recorder(store, person, template):
    record = record_consent(
        store, person, {"contact_for_followup": True}, method="on_screen", witness="  Sam   Lee ", at=AT
    )
    decision = allows(store, person, "contact_for_followup", at=AT + timedelta(minutes=1))
    assert decision and decision.reason == consent.PERMITTED
    fact = decision.fact
    purpose = template.purpose("contact_for_followup")
    assert fact.record_id == record.record_id
    assert (fact.text_version, fact.text_sha256) == (purpose.version, purpose.text_sha256)
    assert (fact.recorded_by_device, fact.recorded_by_role) == (store.device_id, "coordinator")
    assert fact.witness == "Sam Lee"
    assert fact.method == "on_screen"
    assert fact.at == AT


def test_valid_until_defaults_to_event_end_plus_template_days(store, person, template):
    record_consent(store, person, {"record_attendance": True}, method="spoken", at=AT)
    fact = allows(store, person, "record_attendance", at=AT).fact
    assert fact.valid_until == template.event.ends + timedelta(days=365)


def test_deny_is_recorded_and_refuses(store, person):
    record_consent(store, person, {"share_intake_with_practitioners": False}, method="spoken", at=AT)
    decision = allows(store, person, "share_intake_with_practitioners", at=AT)
    assert not decision and decision.reason == consent.DENIED
    assert decision.fact.decision == "deny" and decision.fact.valid_until is None


def test_a_grant_that_says_neither_permit_nor_deny_permits_nothing(store, person):
    # Only a fact a relay altered can look like this (sync refuses it: tests/security); the gate
    # answers no all the same, and so does every report counting people who said yes.
    record_consent(store, person, {"contact_for_followup": True}, method="spoken", at=AT)
    store.db.execute("UPDATE consent_facts SET decision = NULL")
    decision = allows(store, person, "contact_for_followup", at=AT)
    assert not decision and decision.reason == consent.DENIED
    assert consent.consenting_people(store, "contact_for_followup", at=AT) == set()


def test_expired(store, person):
    until = AT + timedelta(days=2)
    record_consent(store, person, {"aggregate_reporting": True}, method="paper", at=AT, valid_until=until)
    assert allows(store, person, "aggregate_reporting", at=until - timedelta(seconds=1))
    decision = allows(store, person, "aggregate_reporting", at=until)
    assert not decision and decision.reason == consent.EXPIRED


def test_revoked(store, person):
    record_consent(store, person, {"record_attendance": True}, method="spoken", at=AT)
    revoke(store, person, "record_attendance", at=AT + timedelta(hours=1))
    assert allows(store, person, "record_attendance", at=AT + timedelta(minutes=30))
    decision = allows(store, person, "record_attendance", at=AT + timedelta(hours=2))
    assert not decision and decision.reason == consent.REVOKED


def test_consent_can_be_given_again_after_revocation(store, person):
    record_consent(store, person, {"record_attendance": True}, method="spoken", at=AT)
    revoke(store, person, "record_attendance", at=AT + timedelta(hours=1))
    record_consent(store, person, {"record_attendance": True}, method="spoken", at=AT + timedelta(hours=2))
    assert allows(store, person, "record_attendance", at=AT + timedelta(hours=3))


def test_paper_form_typed_in_later_counts_when_it_was_signed(store, person):
    """A revocation at 12:00 outranks a form signed at 10:00 even if it is typed in after."""
    record_consent(store, person, {"record_attendance": True}, method="spoken", at=AT - timedelta(hours=3))
    revoke(store, person, "record_attendance", at=AT + timedelta(hours=1))
    record_consent(store, person, {"record_attendance": True}, method="paper", at=AT - timedelta(hours=1))
    assert allows(store, person, "record_attendance", at=AT + timedelta(hours=2)).reason == consent.REVOKED


def test_new_text_version_not_accepted(store, person):
    record_consent(store, person, {"contact_for_followup": True}, method="spoken", at=AT)

    def bump(raw):
        entry = purpose_entry(raw, "contact_for_followup")
        entry["version"], entry["text"] = "2", entry["text"] + " We may also send a text message."

    change_template(store, bump)
    decision = allows(store, person, "contact_for_followup", at=AT)
    assert not decision and decision.reason == consent.VERSION_NOT_ACCEPTED
    assert "version 1" in decision.message and "version 2" in decision.message


def test_older_version_listed_as_accepted_still_counts(store, person):
    # record_attendance is at version 2 and accepts version 1 (see the sample template).
    store.append_fact(
        "consent_facts",
        {
            "record_id": "R1", "person_id": person, "purpose": "record_attendance", "action": "grant",
            "decision": "permit", "text_version": "1", "text_sha256": "0" * 64, "method": "paper",
            "recorded_by_device": "other-laptop", "recorded_by_role": "desk",
            "at": consent.utc_text(AT), "valid_until": consent.utc_text(AT + timedelta(days=30)),
        },
    )
    assert allows(store, person, "record_attendance", at=AT)
    change_template(store, lambda raw: purpose_entry(raw, "record_attendance").update(accepted_versions=[]))
    assert allows(store, person, "record_attendance", at=AT).reason == consent.VERSION_NOT_ACCEPTED


def test_reworded_text_under_the_same_version_is_not_accepted(store, person):
    record_consent(store, person, {"aggregate_reporting": True}, method="spoken", at=AT)
    change_template(store, lambda raw: purpose_entry(raw, "aggregate_reporting").update(text="Something else."))
    decision = allows(store, person, "aggregate_reporting", at=AT)
    assert decision.reason == consent.VERSION_NOT_ACCEPTED and "changed" in decision.message


def test_one_record_covers_several_purposes(store, person):
    choices = {"record_attendance": True, "share_intake_with_practitioners": False,
               "contact_for_followup": True, "aggregate_reporting": True}
    record = record_consent(store, person, choices, method="on_screen", at=AT)
    assert len(record.fact_ids) == 4
    status = {s.purpose.id: s.decision.reason for s in consent.consent_status(store, person, at=AT)}
    assert status == {"record_attendance": "permitted", "share_intake_with_practitioners": "denied",
                      "contact_for_followup": "permitted", "aggregate_reporting": "permitted"}


def test_consenting_people_agrees_with_the_gate(store, person):
    other = add_person(store, "Олена Коваленко")
    third = add_person(store, "Ελένη Παπαδάκη")
    record_consent(store, person, {"aggregate_reporting": True}, method="spoken", at=AT)
    record_consent(store, other, {"aggregate_reporting": True}, method="spoken", at=AT)
    record_consent(store, third, {"aggregate_reporting": False}, method="spoken", at=AT)
    revoke(store, other, "aggregate_reporting", at=AT + timedelta(minutes=5))
    later = AT + timedelta(hours=1)
    assert consent.consenting_people(store, "aggregate_reporting", at=later) == {person}
    for pid in (person, other, third):
        assert bool(allows(store, pid, "aggregate_reporting", at=later)) == (pid == person)


def test_gate_survives_reopening(store, person, reopen):
    record_consent(store, person, {"record_attendance": True}, method="spoken", at=AT)
    store.close()
    assert allows(reopen(), person, "record_attendance", at=AT)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda s, p: record_consent(s, p, {"marketing": True}, method="spoken"), "unknown_purpose"),
        (lambda s, p: record_consent(s, p, {"record_attendance": True}, method="telepathy"), "unknown_method"),
        (lambda s, p: record_consent(s, "NOPE", {"record_attendance": True}, method="spoken"), "unknown_person"),
        (lambda s, p: record_consent(s, p, {}, method="spoken"), "no_choices"),
        (lambda s, p: record_consent(s, p, {"record_attendance": True}, method="spoken", at=AT,
                                     valid_until=AT - timedelta(days=1)), "valid_until"),
        (lambda s, p: revoke(s, p, "record_attendance"), "nothing_to_revoke"),
        (lambda s, p: revoke(s, p, "marketing"), "unknown_purpose"),
        (lambda s, p: allows(s, p, "marketing"), "unknown_purpose"),
    ],
)
def test_bad_input_is_refused_with_a_sentence_and_writes_nothing(store, person, call, code):
    before = fact_count(store)
    with pytest.raises(ConsentError) as caught:
        call(store, person)
    assert caught.value.code == code
    assert str(caught.value).endswith(".")
    assert fact_count(store) == before


def test_a_paper_form_links_once(store, person):
    other = add_person(store, "Ana Silva")
    record_consent(store, person, {"record_attendance": True}, method="paper", form_id="FORM-1", at=AT)
    with pytest.raises(ConsentError) as caught:
        record_consent(store, other, {"record_attendance": True}, method="paper", form_id="FORM-1", at=AT)
    assert caught.value.code == "form_used"


def test_revoking_a_denial_is_refused(store, person):
    record_consent(store, person, {"record_attendance": False}, method="spoken", at=AT)
    with pytest.raises(ConsentError):
        revoke(store, person, "record_attendance", at=AT + timedelta(minutes=1))


def test_naive_times_are_refused(store, person):
    with pytest.raises(ValueError):
        allows(store, person, "record_attendance", at=datetime(2026, 12, 5, 11, 0))
