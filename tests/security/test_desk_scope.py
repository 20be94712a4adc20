"""A desk holds what a desk needs: names, tickets, check-in state and consent status per purpose;
never email, phone, how consent was given or who witnessed it, whoever sends them, and a desk
that held them before the upgrade holds none after it. Relaying through a desk loses nothing."""

from __future__ import annotations

import socket
import threading

import pytest

from fieldkit.checkin import Desk
from fieldkit.checkin.passes import pass_cards
from fieldkit.consent.gate import consent_status
from fieldkit.consent.receipts import build_receipt, printed_receipt
from fieldkit.consent.records import record_consent
from fieldkit.people.importer import import_registrations
from fieldkit.store import open_store
from fieldkit.store.desk_upgrade import DESK_FIELDS_PURGED_AT_UPGRADE
from sync import scope
from sync.frames import Channel
from sync.protocol import Peer, ProtocolError, Session, SyncRefused
from tests.conftest import PASSPHRASE, SAMPLE_EVENTS
from tests.syncing.conftest import coordinator, enroll  # noqa: F401  (the sync tests' event and laptops)
from tests.syncing.kit import sync_pair

WITNESS = "Sam Whitfield"


def held(store) -> dict[str, int]:
    """What a desk must not hold, counted."""
    one = lambda sql: store.db.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "emails": one("SELECT count(*) FROM people WHERE email IS NOT NULL"),
        "phones": one("SELECT count(*) FROM people WHERE phone IS NOT NULL"),
        "methods": one("SELECT count(*) FROM consent_facts WHERE method IS NOT NULL"),
        "witnesses": one("SELECT count(*) FROM consent_facts WHERE witness IS NOT NULL"),
    }


NOTHING = {"emails": 0, "phones": 0, "methods": 0, "witnesses": 0}


@pytest.fixture
def event(coordinator):  # noqa: F811
    """The coordinator with the sample registrations and consent recorded on paper, witnessed."""
    import_registrations(coordinator, SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    people = [r[0] for r in coordinator.db.execute("SELECT id FROM people ORDER BY id LIMIT 5")]
    for person in people:
        record_consent(coordinator, person, {"record_attendance": True, "contact_for_followup": False},
                       method="paper", witness=WITNESS)
    assert held(coordinator)["emails"] > 10 and held(coordinator)["phones"] > 5
    return coordinator, people


def test_after_sync_a_desk_holds_no_contact_details_methods_or_witnesses(event, enroll):  # noqa: F811
    coordinator, people = event
    desk = enroll("desk-2", "desk")
    sync_pair(desk, coordinator)
    assert held(desk) == NOTHING
    # ... and still shows consent status per purpose, and checks people in by name and pass.
    status = {s.purpose.id: s.decision.reason for s in consent_status(desk, people[0])}
    assert status["record_attendance"] == "permitted" and status["contact_for_followup"] == "denied"
    receipt = printed_receipt(desk, build_receipt(desk, people[0]))  # when, not how: the desk does not know
    assert any(line.details.startswith("decided ") and "(" not in line.details for line in receipt.lines)
    assert desk.counts()["people"] == coordinator.counts()["people"]
    card = pass_cards(coordinator)[0]
    assert Desk(desk).scan(card.token).name == card.name
    # The coordinator and a practitioner keep every field.
    practitioner = enroll("practitioner-1", "practitioner")
    sync_pair(practitioner, coordinator)
    assert held(practitioner) == held(coordinator) != NOTHING


def test_a_desk_relays_to_a_desk_without_them_and_to_others_without_loss(event, enroll):  # noqa: F811
    coordinator, _ = event
    first, second = enroll("desk-1", "desk"), enroll("desk-2", "desk")
    practitioner = enroll("practitioner-1", "practitioner")
    sync_pair(first, coordinator)
    sync_pair(second, first)  # desk to desk: names and consent status, nothing more
    assert held(second) == NOTHING and second.counts()["people"] == coordinator.counts()["people"]
    # The practitioner meets a desk first: it takes nobody's writes from it that it could get only in part ...
    sync_pair(practitioner, first)
    assert practitioner.counts()["people"] == 0
    # ... so the laptop that has them gives them whole.
    sync_pair(practitioner, coordinator)
    assert held(practitioner) == held(coordinator)
    emails = "SELECT id, email, phone FROM people ORDER BY id"
    assert practitioner.db.execute(emails).fetchall() == coordinator.db.execute(emails).fetchall()


def test_a_desk_refuses_contact_details_sent_to_it_anyway(event, enroll):  # noqa: F811
    coordinator, _ = event
    desk = enroll("desk-2", "desk")
    before = desk.counts()
    left, right = socket.socketpair()
    # A sender (a modified laptop) that sends a desk everything, as if it were a coordinator.
    sender = Session(coordinator, Channel(right), initiator=False, peer=Peer(desk.device_id, "coordinator"))
    thread = threading.Thread(target=lambda: _quietly(sender.run))
    thread.start()
    with pytest.raises(ProtocolError, match=r"people\.email, which this laptop's role may not hold"):
        Session(desk, Channel(left), initiator=True).run()
    left.close()
    thread.join(timeout=10)
    right.close()
    assert held(desk) == NOTHING and desk.counts() == before


def test_a_desk_that_held_them_before_the_upgrade_holds_none_after(event, enroll, monkeypatch):  # noqa: F811
    coordinator, people = event
    desk = enroll("desk-2", "desk")
    # What desks received before scoping by field: everything.
    monkeypatch.setattr(scope, "FIELD_ROLES", {})
    sync_pair(desk, coordinator)
    monkeypatch.undo()
    # The desk's own consent conversation, witnessed at the desk, not yet synced anywhere.
    mine = record_consent(desk, people[1], {"aggregate_reporting": True}, method="spoken", witness="Desk Volunteer")
    assert held(desk)["emails"] == held(coordinator)["emails"] and held(desk)["witnesses"] > 1
    changes_before = desk.db.execute("SELECT count(*) FROM changes").fetchone()[0]
    # Upgrade: the migration had not run on this database yet.
    desk.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm062_desks_hold_no_contact_details'")
    path = desk.path
    desk.close()
    upgraded = open_store(path, PASSPHRASE)
    try:
        # Only its own witnessed conversation is left, until it has reached the coordinator.
        assert held(upgraded) == {"emails": 0, "phones": 0, "methods": 1, "witnesses": 1}
        assert upgraded.db.execute("SELECT count(*) FROM changes").fetchone()[0] == changes_before  # nothing logged
        sync_pair(upgraded, coordinator)
        assert held(upgraded)["emails"] == 0
        witnessed = "SELECT witness FROM consent_facts WHERE id = ?"
        assert coordinator.db.execute(witnessed, [mine.fact_ids[0]]).fetchone() == ("Desk Volunteer",)
        assert held(coordinator)["emails"] > 10  # the upgrade of a desk took nothing from anyone else
    finally:
        upgraded.close()


def test_the_upgrade_empties_exactly_what_scoping_keeps_from_desks():
    for table, fields in DESK_FIELDS_PURGED_AT_UPGRADE.items():
        assert scope.hidden_fields("desk", table) == frozenset(fields)
    assert set(scope.FIELD_ROLES) == set(DESK_FIELDS_PURGED_AT_UPGRADE)
    assert scope.hidden_fields("coordinator", "people") == scope.hidden_fields("practitioner", "people") == frozenset()


def _quietly(run):
    try:
        run()
    except (ProtocolError, SyncRefused):
        pass
