"""The authority table: printed in docs/threat-model.md as in code, covering every synced table, and no legitimate flow of a desk or a practitioner refused by it."""

from __future__ import annotations

from fieldkit import referrals as rf
from fieldkit.checkin import Desk
from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke
from fieldkit.intake.timers import start_timer, stop_timer
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store.authority import AUTHORS, EVENT, markdown_table, may_author
from fieldkit.store.changes import INSERT, PURGE, SET
from fieldkit.store.schema import FACT
from sync.transport import sync_with
from tests.conftest import REPO_ROOT
from tests.syncing.conftest import serving  # noqa: F401  (coordinator, enroll: conftest.py)


def test_the_threat_model_prints_the_table_in_the_code():
    assert markdown_table() in (REPO_ROOT / "docs" / "threat-model.md").read_text()


def test_every_synced_table_has_its_operations_in_the_table(store):
    assert set(AUTHORS) == set(store.synced)  # a new event database has every synced table
    for table, kind in store.synced.items():
        assert set(AUTHORS[table]) == ({INSERT, PURGE} if kind == FACT else {SET, PURGE}), table
    # The event's keys, roster and revocations: under the event key only.
    for table in ("events", "devices", "signing_keys", "device_revocations", "key_revocations"):
        assert not any(roles for roles in AUTHORS[table].values()), table
        assert all(may_author(EVENT, table, op) for op in AUTHORS[table])


def test_a_desk_and_a_practitioner_do_their_work_and_every_laptop_takes_it(coordinator, enroll, serving):
    desk, practitioner = enroll("desk-1", "desk"), enroll("practitioner-1", "practitioner")
    address = serving(coordinator)
    registration = add_registration(coordinator, add_person(coordinator, "Ana Lima", email="a@x"), source="import")
    for laptop in (desk, practitioner):
        sync_with(laptop, *address)
    # The practitioner: a timer, a referral issued and vetted.
    person = coordinator.db.execute("SELECT person_id FROM registrations").fetchone()[0]
    timer = start_timer(practitioner, person)
    stop_timer(practitioner, timer.timer_id, "book_session")
    referral = rf.vet(practitioner, rf.issue_referral(practitioner, channel="walk_in", need="grief").id,
                      "amara-okafor")
    sync_with(practitioner, *address)
    sync_with(desk, *address)
    # The desk: a check-in, a walk-in, an undo, consent given and withdrawn, a card scanned.
    checkins = Desk(desk)
    checkins.check_in_registration(registration)
    checkins.walk_in("Bo Chen", email="b@x")
    checkins.undo_last()
    record_consent(desk, person, {"contact_for_followup": True, "record_attendance": True}, method="spoken")
    revoke(desk, person, "contact_for_followup")
    assert rf.advance_by_scan(desk, rf.signed_code(practitioner, referral.card_id)).advanced
    for laptop in (desk, practitioner, desk):
        summary = sync_with(laptop, *address)
        assert summary.strangers == 0 and summary.after_revocation == 0
    assert coordinator.counts()["checkin_voids"] == 1 and coordinator.counts()["referral_scans"] == 1
    assert rf.get_referral(coordinator, referral.id).status == rf.BOOKED
