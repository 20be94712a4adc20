"""Consent across laptops: a withdrawal on one laptop purges the covered data on another at the next sync."""

from __future__ import annotations

from fieldkit.consent import allows
from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke
from fieldkit.people.registry import add_person
from tests.syncing.kit import sync_pair


def contact(store, person_id):
    return store.db.execute("SELECT email, phone FROM people WHERE id = ?", [person_id]).fetchone()


def test_a_withdrawal_on_a_desk_purges_contact_details_on_the_coordinator(coordinator, enroll):
    desk = enroll("desk-2", "desk")
    person = add_person(coordinator, "Олена Коваленко", email="olena@example.org", phone="020 7946 0000")
    record_consent(coordinator, person, {"contact_for_followup": True}, method="spoken")
    sync_pair(desk, coordinator)
    assert contact(desk, person) == ("olena@example.org", "020 7946 0000")
    assert allows(desk, person, "contact_for_followup")

    # The person changes their mind at the check-in desk.
    revoke(desk, person, "contact_for_followup")
    assert contact(desk, person) == (None, None)
    sync_pair(desk, coordinator)

    assert contact(coordinator, person) == (None, None)
    assert allows(coordinator, person, "contact_for_followup").reason == "revoked"
    reasons = coordinator.db.execute(
        "SELECT field, reason FROM tombstones WHERE tbl = 'people' AND row_id = ? ORDER BY field", [person]
    ).fetchall()
    assert reasons == [("email", "consent revoked: contact_for_followup"),
                       ("phone", "consent revoked: contact_for_followup")]
