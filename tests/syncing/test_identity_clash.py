"""Two laptops set up from one join file share a device identity: sync refuses it and changes nothing."""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time

import pytest
from kit import canonical_dump, new_store, signed_frame

from fieldkit.checkin import Desk
from fieldkit.people.registry import add_person
from fieldkit.store import new_id, open_store
from fieldkit.store.apply import IdentityClash, apply_changes
from fieldkit.store.changes import RemoteChange, head_entries
from sync import feed
from sync.enroll import enroll_device, join_event, read_join_file, write_join_file
from sync.frames import Channel
from sync.protocol import ProtocolError, Session, SyncRefused, _hello
from sync.transport import sync_with

PASSPHRASE = "correct horse battery staple"
CLASH = (
    "Two laptops are using the identity of desk-2: re-enroll one of them with `fieldkit device enroll` "
    "and a new join file; nothing was synced."
)


@pytest.fixture
def twins(tmp_path, coordinator):
    """Two encrypted laptops joined from the same join file for desk-2."""
    join = tmp_path / "desk-2.join"
    write_join_file(enroll_device(coordinator, "desk-2", "desk"), join, "join passphrase")
    pair = [join_event(tmp_path / f"desk-2-{n}.db", PASSPHRASE, read_join_file(join, "join passphrase")) for n in "ab"]
    yield pair
    for store in pair:
        store.close()


def _logged(caplog, text: str, within: float = 5.0) -> bool:
    """Whether `text` was logged, waiting (bounded) for the serving thread to log it."""
    deadline = time.monotonic() + within
    while text not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    return text in caplog.text


# How much the second twin wrote: nothing, less than the first, more than the first. The
# side that holds more of desk-2's changes finds the clash (the serving coordinator, or
# the laptop that runs `sync with`), and both say so.
@pytest.mark.parametrize("second_writes", [0, 1, 4])
def test_the_second_twin_to_sync_is_refused_and_nothing_moves(twins, coordinator, serving, caplog, second_writes):
    caplog.set_level(logging.WARNING, logger="fieldkit.sync")
    first, second = twins
    Desk(first).walk_in("Ana Lima")  # a check-in: person, registration, check-in (3 changes)
    for n in range(second_writes):
        add_person(second, f"Person {n}")  # record edits
    host, port = serving(coordinator)
    assert sync_with(first, host, port).sent == 3
    before = canonical_dump(coordinator), canonical_dump(second)

    with pytest.raises(SyncRefused) as refused:
        sync_with(second, host, port)
    assert str(refused.value) == CLASH
    assert (canonical_dump(coordinator), canonical_dump(second)) == before
    assert _logged(caplog, "refused: " + CLASH)  # the serving laptop's log
    assert "identity clash" in caplog.text
    # The first twin still syncs normally: the coordinator's copy of desk-2 was not touched.
    assert sync_with(first, host, port).received == 0


def test_twins_syncing_with_each_other_are_refused(twins, serving):
    first, second = twins
    add_person(first, "Ana Lima")
    before = canonical_dump(first), canonical_dump(second)
    with pytest.raises(SyncRefused, match="^" + CLASH.replace("(", r"\(")):
        sync_with(second, *serving(first))
    assert (canonical_dump(first), canonical_dump(second)) == before


def test_the_same_database_is_still_told_it_is_the_same_laptop(coordinator, enroll, serving):
    desk = enroll("desk-2", "desk")
    again = open_store(desk.path, PASSPHRASE)
    try:
        with pytest.raises(SyncRefused, match="This is the same laptop"):
            sync_with(again, *serving(desk))
    finally:
        again.close()


# -- the apply-level check -------------------------------------------------------


@pytest.fixture
def forked(tmp_path):
    """(desk, twin, coordinator): plain stores; desk and twin share one device id."""
    event = new_id()
    desk = new_store(tmp_path, "desk-2", event)
    twin = new_store(tmp_path, "desk-2", event, device_id=desk.device_id)
    coordinator = new_store(tmp_path, "coordinator", event)
    yield desk, twin, coordinator
    for store in (desk, twin, coordinator):
        store.close()


def _everything(store) -> list[RemoteChange]:
    return [change for batch in feed.changes_since(store, {}) for change in batch]


def test_a_held_number_arriving_as_another_change_refuses_the_whole_batch(forked):
    desk, twin, coordinator = forked
    add_person(desk, "Ana Lima")
    add_person(desk, "Bo Chen")
    for name in ("Cy Diaz", "Di Ek", "Ed Fu"):
        add_person(twin, name)
    apply_changes(coordinator, _everything(desk))
    before = canonical_dump(coordinator)

    with pytest.raises(IdentityClash) as clash:
        apply_changes(coordinator, _everything(twin))  # seq 1-2 held as other changes, seq 3 new
    assert clash.value.device_id == desk.device_id
    assert canonical_dump(coordinator) == before  # not even the new seq 3 was applied
    assert apply_changes(coordinator, _everything(desk)).already_had == 2  # the same changes again are fine


@pytest.mark.parametrize(
    "differs",
    [
        {"table": "registrations", "payload": {}},
        {"row_id": "another-row"},
        {"hlc": "0000000000001-000000"},
        {"op": "purge", "payload": {"fields": [""], "reason": "mistake"}},
        {"op": "withheld", "table": "registrations", "row_id": "", "hlc": "", "payload": None},
    ],
    ids=["table", "row id", "stamp", "operation", "placeholder of another table"],
)
def test_any_difference_at_a_held_number_is_a_clash(forked, differs):
    desk, _, coordinator = forked
    add_person(desk, "Ana Lima")
    (held,) = _everything(desk)
    apply_changes(coordinator, [held])
    with pytest.raises(IdentityClash):
        apply_changes(coordinator, [dataclasses.replace(held, **differs)])


def test_a_placeholder_of_the_same_table_is_the_same_change(forked):
    desk, _, coordinator = forked
    add_person(desk, "Ana Lima")
    (held,) = _everything(desk)
    apply_changes(coordinator, [held])
    placeholder = RemoteChange(held.origin, held.seq, held.table, "", "", "withheld", None)
    assert apply_changes(coordinator, [placeholder]).already_had == 1


def test_a_change_numbered_as_the_receivers_own_is_a_clash(forked):
    desk, twin, _ = forked
    add_person(desk, "Ana Lima")
    for name in ("Bo Chen", "Cy Diaz"):
        add_person(twin, name)
    before = canonical_dump(desk)
    _, second = _everything(twin)
    with pytest.raises(IdentityClash):
        apply_changes(desk, [second])  # desk made seq 1 of its own and never a seq 2
    assert canonical_dump(desk) == before


def test_a_clash_found_mid_session_is_refused_with_the_sentence(forked):
    """A peer whose hello is honest but whose batch renumbers a held change (the apply-level check)."""
    desk, twin, coordinator = forked
    coordinator.set_record("people", None, {"display_name": "Cy Diaz"})
    add_person(desk, "Ana Lima")
    apply_changes(coordinator, _everything(desk))
    add_person(twin, "Bo Chen")
    before = canonical_dump(coordinator)
    # The coordinator had already sent its roster change when the clash arrived.
    MORE = CLASH.replace("nothing was synced", "nothing more was synced")

    ours, theirs = socket.socketpair()
    outcome: dict[str, object] = {}

    def respond() -> None:
        try:
            outcome["run"] = Session(coordinator, Channel(theirs, timeout=10), initiator=False).run()
        except (SyncRefused, ProtocolError) as exc:
            outcome["run"] = exc

    thread = threading.Thread(target=respond)
    thread.start()
    channel = Channel(ours, timeout=10)
    try:
        channel.send(_hello(desk, head_entries(desk)))
        assert channel.recv()["type"] == "hello"
        while channel.recv()["type"] != "done":
            pass  # the coordinator's own change, which the desk may take
        (clashing,) = _everything(twin)
        channel.send(signed_frame(twin, [[
            clashing.seq, clashing.table, clashing.row_id, clashing.hlc, clashing.op, clashing.payload,
        ]]))
        assert channel.recv() == {"type": "refuse", "reason": MORE}
    finally:
        channel.close()
        thread.join(timeout=10)
    assert isinstance(outcome["run"], SyncRefused) and str(outcome["run"]) == MORE
    assert canonical_dump(coordinator) == before
