"""Scoping by role: a desk never receives intake content, and relaying through it loses nothing."""

from __future__ import annotations

import socket
import threading

import pytest
from kit import canonical_dump, new_store, sync_pair

from fieldkit.store import new_id
from fieldkit.store.schema import FACT, create_synced_table, schema_version
from sync.frames import Channel
from sync.protocol import PROTOCOL_VERSION, Peer, ProtocolError, Session, SyncRefused
from sync.scope import TABLE_ROLES, may_receive

INTAKE = "intake_notes_for_tests"  # not in TABLE_ROLES: default-deny for desks


def _with_intake_table(store):
    """A test-only fact table, created without a migration, standing in for intake content."""
    create_synced_table(store.db, INTAKE, FACT, {"person_id": str, "note": str})
    store.synced[INTAKE] = FACT
    return store


@pytest.fixture
def laptops(tmp_path):
    event = new_id()
    made = {role: _with_intake_table(new_store(tmp_path, role, event, role=role))
            for role in ("coordinator", "desk", "practitioner")}
    yield made
    for store in made.values():
        store.close()


def test_scoping_table_is_default_deny_for_desks():
    assert INTAKE not in TABLE_ROLES
    assert not may_receive("desk", INTAKE)
    assert may_receive("practitioner", INTAKE) and may_receive("coordinator", INTAKE)
    assert may_receive("desk", "registrations") and may_receive("desk", "consent_facts")
    assert not may_receive("someone", "registrations")


def test_a_desk_gets_registrations_never_intake_and_relays_without_losing_it(laptops):
    coordinator, desk, practitioner = laptops["coordinator"], laptops["desk"], laptops["practitioner"]
    person = new_id()
    coordinator.set_record("registrations", None, {"person_id": person, "source": "walk-in"})
    coordinator.append_fact(INTAKE, {"person_id": person, "note": "private"})
    coordinator.set_record("people", person, {"display_name": "Ana Lima"})

    summary, _ = sync_pair(desk, coordinator)
    assert summary.result.withheld == 1
    # The sentence accounts for every change received: 3 received = 2 applied + 1 withheld.
    assert "received 3 (applied 2, already had 0, 1 withheld from this laptop's role)" in summary.sentence()
    assert desk.counts()[INTAKE] == 0 and desk.counts()["registrations"] == 1
    assert not desk.db.execute("SELECT 1 FROM changes WHERE tbl = ? AND row_id != ''", [INTAKE]).fetchone()

    # The practitioner meets the desk first: it gets what precedes the gap, nothing after it is lost.
    sync_pair(practitioner, desk)
    assert practitioner.counts()["registrations"] == 1 and practitioner.counts()[INTAKE] == 0
    sync_pair(practitioner, coordinator)
    assert practitioner.counts()[INTAKE] == 1 and practitioner.counts()["people"] == 1
    assert canonical_dump(practitioner) == canonical_dump(coordinator)

    again, _ = sync_pair(desk, practitioner)
    assert (again.sent, again.received) == (0, 0)
    assert desk.counts()[INTAKE] == 0


def test_a_desk_refuses_intake_content_sent_to_it_anyway(laptops):
    coordinator, desk = laptops["coordinator"], laptops["desk"]
    coordinator.append_fact(INTAKE, {"person_id": "p", "note": "private"})
    left, right = socket.socketpair()
    # A sender that wrongly believes the desk is a coordinator.
    sender = Session(coordinator, Channel(right), initiator=False, peer=Peer(desk.device_id, "coordinator"))
    thread = threading.Thread(target=lambda: _quietly(sender.run))
    thread.start()
    with pytest.raises(ProtocolError, match="may not hold"):
        Session(desk, Channel(left), initiator=True).run()
    left.close()
    thread.join(timeout=10)
    right.close()
    assert desk.counts()[INTAKE] == 0


def _quietly(run):
    try:
        run()
    except (ProtocolError, SyncRefused):
        pass


@pytest.mark.parametrize(
    "field, value, sentence",
    [
        ("schema", schema_version() + 1, "upgrade Field Kit on coordinator"),
        ("schema", schema_version() - 1, "upgrade Field Kit on visitor"),
        ("protocol", PROTOCOL_VERSION + 1, "upgrade Field Kit on coordinator"),
        ("event", "another-event", "belongs to another event"),
    ],
)
def test_handshake_mismatch_names_the_laptop_to_upgrade(laptops, field, value, sentence):
    coordinator = laptops["coordinator"]
    left, right = socket.socketpair()
    server = Session(coordinator, Channel(right), initiator=False)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(error=_error_of(server.run)))
    thread.start()
    client = Channel(left)
    client.send({"type": "hello", "protocol": PROTOCOL_VERSION, "schema": schema_version(),
                 "event": coordinator.event_id, "device": "visitor-id", "name": "visitor", "role": "desk",
                 "wall": coordinator.wall(), "watermarks": {}, field: value})
    reply = client.recv()
    thread.join(timeout=10)
    left.close()
    right.close()
    assert reply["type"] == "refuse" and sentence in reply["reason"]
    assert isinstance(outcome["error"], SyncRefused)


def _error_of(run):
    try:
        run()
    except (ProtocolError, SyncRefused) as exc:
        return exc
    return None
