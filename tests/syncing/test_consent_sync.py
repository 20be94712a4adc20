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
    assert contact(desk, person) == (None, None)  # a desk never holds contact details (sync/scope.py)
    assert allows(desk, person, "contact_for_followup")  # but knows the consent status

    # The person changes their mind at the check-in desk: the desk purges what it never held.
    revoke(desk, person, "contact_for_followup")
    sync_pair(desk, coordinator)

    assert contact(coordinator, person) == (None, None)
    assert allows(coordinator, person, "contact_for_followup").reason == "revoked"
    reasons = coordinator.db.execute(
        "SELECT field, reason FROM tombstones WHERE tbl = 'people' AND row_id = ? ORDER BY field", [person]
    ).fetchall()
    assert reasons == [("email", "consent revoked: contact_for_followup"),
                       ("phone", "consent revoked: contact_for_followup")]


def links(store, person_id) -> int:
    return store.db.execute("SELECT count(*) FROM intake_links WHERE person_id = ?", [person_id]).fetchone()[0]


def test_intake_sharing_withdrawn_at_a_desk_purges_the_intake_on_every_laptop_that_holds_it(coordinator, enroll):
    # The desk holds no intake, so its own purge removed nothing; before, the practitioner and
    # the coordinator kept the person's linked intake until the coordinator's next sweep.
    from fieldkit.intake.timers import start_timer

    practitioner, desk = enroll("practitioner-1", "practitioner"), enroll("desk-1", "desk")
    person = add_person(coordinator, "Amira Haddad")
    other = add_person(coordinator, "Bo Chen")
    for who in (person, other):
        record_consent(coordinator, who, {"share_intake_with_practitioners": True}, method="spoken")
    sync_pair(practitioner, coordinator)
    sync_pair(desk, coordinator)
    for who in (person, other):
        start_timer(practitioner, who)
    sync_pair(practitioner, coordinator)
    assert links(coordinator, person) == links(practitioner, person) == 1

    revoke(desk, person, "share_intake_with_practitioners")
    sync_pair(desk, coordinator)
    assert links(coordinator, person) == 0  # purged as the withdrawal arrived
    sync_pair(practitioner, coordinator)
    assert links(practitioner, person) == 0
    assert links(practitioner, other) == links(coordinator, other) == 1  # nobody else's
    assert practitioner.db.execute(
        "SELECT reason FROM tombstones WHERE tbl = 'intake_links'").fetchall() == [("consent revoked: share_intake_with_practitioners",)]


def test_a_yes_given_again_after_the_no_keeps_the_intake(coordinator, enroll):
    from fieldkit.intake.timers import start_timer

    practitioner, desk = enroll("practitioner-1", "practitioner"), enroll("desk-1", "desk")
    person = add_person(coordinator, "Amira Haddad")
    record_consent(coordinator, person, {"share_intake_with_practitioners": True}, method="spoken")
    sync_pair(practitioner, coordinator)
    sync_pair(desk, coordinator)
    revoke(desk, person, "share_intake_with_practitioners")
    record_consent(desk, person, {"share_intake_with_practitioners": True}, method="spoken")  # changed their mind
    start_timer(practitioner, person)
    sync_pair(desk, coordinator)
    sync_pair(practitioner, coordinator)
    assert allows(practitioner, person, "share_intake_with_practitioners")
    assert links(practitioner, person) == 1
