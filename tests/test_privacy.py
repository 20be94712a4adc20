"""Purging what a purpose covers: revocation, denial and the end-of-day sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldkit import consent
from fieldkit.consent import withdrawal as privacy
from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke, sweep
from fieldkit.people.contact_details import contact_details_for_followup
from fieldkit.people.registry import add_person
from tests.sample_dates import sample_time

AT = sample_time(11)
PURPOSE = "contact_for_followup"


def contact(store, person_id):
    return store.db.execute("SELECT email, phone FROM people WHERE id = ?", [person_id]).fetchone()


def tombstones(store, person_id):
    return store.db.execute(
        "SELECT field, reason FROM tombstones WHERE tbl = 'people' AND row_id = ? ORDER BY field", [person_id]
    ).fetchall()


@pytest.fixture
def person(store):
    return add_person(store, "Łukasz Wójcik", email="lukasz@example.org", phone="07700 900102")


def test_contact_details_are_covered_by_contact_for_followup():
    names = [c.name for c in privacy.coverage_of(PURPOSE)]
    assert names == ["contact details (email, phone)"]


def test_revoking_purges_contact_details_and_leaves_tombstones(store, person):
    record_consent(store, person, {PURPOSE: True}, method="on_screen", at=AT)
    assert contact_details_for_followup(store, person, AT).email == "lukasz@example.org"
    result = revoke(store, person, PURPOSE, at=AT + timedelta(minutes=5))
    assert contact(store, person) == (None, None)
    assert tombstones(store, person) == [
        ("email", "consent revoked: contact_for_followup"),
        ("phone", "consent revoked: contact_for_followup"),
    ]
    assert result.purged[0].items == 2
    # The purge is in the change log, so it syncs.
    ops = [c.op for c in store.changes_of(store.device_id) if c.row_id == person]
    assert ops[-1] == "purge"
    # The name stays: it is not covered by this purpose.
    assert store.db.execute("SELECT display_name FROM people WHERE id = ?", [person]).fetchone()[0] == "Łukasz Wójcik"


def test_saying_no_purges_at_once(store, person):
    record_consent(store, person, {PURPOSE: False, "record_attendance": True}, method="spoken", at=AT)
    assert contact(store, person) == (None, None)
    assert [r[1] for r in tombstones(store, person)] == ["consent denied: contact_for_followup"] * 2


def test_revoking_another_purpose_keeps_contact_details(store, person):
    record_consent(store, person, {PURPOSE: True, "aggregate_reporting": True}, method="spoken", at=AT)
    revoke(store, person, "aggregate_reporting", at=AT + timedelta(minutes=1))
    assert contact(store, person) == ("lukasz@example.org", "07700 900102")


def test_contact_details_are_only_read_through_the_gate(store, person):
    assert contact_details_for_followup(store, person, AT) is None
    record_consent(store, person, {PURPOSE: False}, method="spoken", at=AT)
    assert contact_details_for_followup(store, person, AT) is None


def test_sweep_keeps_never_asked_until_end_of_event_day_then_purges(store, person, template):
    asked_yes = add_person(store, "Ana Silva", email="ana@example.org")
    record_consent(store, asked_yes, {PURPOSE: True}, method="spoken", at=AT)
    end_of_day = consent.end_of_event_day(template)
    assert end_of_day == sample_time(0, days=1)

    report = sweep(store, at=end_of_day - timedelta(minutes=1))
    assert report.people == 0 and contact(store, person) == ("lukasz@example.org", "07700 900102")

    report = sweep(store, at=end_of_day)
    assert report.people == 1
    assert contact(store, person) == (None, None)
    assert [r[1] for r in tombstones(store, person)] == ["consent never_given: contact_for_followup"] * 2
    assert contact(store, asked_yes) == ("ana@example.org", None)
    # A second sweep finds nothing more to do.
    assert sweep(store, at=end_of_day).people == 0


def test_sweep_purges_expired_consent(store, person):
    until = AT + timedelta(days=1)
    record_consent(store, person, {PURPOSE: True}, method="spoken", at=AT, valid_until=until)
    assert sweep(store, at=until - timedelta(seconds=1)).people == 0
    assert sweep(store, at=until).people == 1
    assert contact(store, person) == (None, None)


def test_a_failing_purge_rolls_back_the_revocation(store, person, monkeypatch):
    record_consent(store, person, {PURPOSE: True}, method="spoken", at=AT)
    facts_before = store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0]

    def broken(store, person_id, reason):
        raise RuntimeError("disk full")

    coverage = privacy.coverage_of(PURPOSE)[0]
    swapped = tuple(
        privacy.Coverage(PURPOSE, c.name, c.holders, broken) if c is coverage else c for c in privacy.COVERAGES
    )
    monkeypatch.setattr(privacy, "COVERAGES", swapped)
    with pytest.raises(RuntimeError):
        revoke(store, person, PURPOSE, at=AT + timedelta(minutes=1))
    monkeypatch.undo()
    assert store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0] == facts_before
    assert contact(store, person) == ("lukasz@example.org", "07700 900102")
    assert allows_contact(store, person)


def allows_contact(store, person):
    return consent.allows(store, person, PURPOSE, at=AT + timedelta(minutes=2))
