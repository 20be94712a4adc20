"""A check-in hashes nothing when it is written: the laptop chains its changes in a batch
later (Store.seal: when idle, before sending or applying, before a purge, at close).

What a user would notice if that went wrong: a peer refusing this laptop's changes, or a
change lost between two seals.
"""

from __future__ import annotations

from fieldkit.checkin import Desk
from fieldkit.checkin.passes import pass_token
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import open_store
from tests.syncing.conftest import PASSPHRASE
from tests.syncing.kit import pull


def _register(store, name: str) -> str:
    with store.transaction():
        return add_registration(store, add_person(store, name), source="test")


def _held_checkins(store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT id FROM checkins")}


def _unchained(store) -> int:
    return store.db.execute(
        "SELECT count(*) FROM changes WHERE origin = ? AND hash IS NULL", [store.device_id]
    ).fetchone()[0]


def test_checkins_written_between_seals_reach_a_peer_and_through_it_a_third_laptop(coordinator, enroll):
    desk_store, relay, third = enroll("desk-1"), enroll("relay", "coordinator"), enroll("third", "coordinator")
    people = [_register(coordinator, f"Person {n}") for n in range(6)]
    pull(desk_store, coordinator)
    desk = Desk(desk_store)
    tokens = [pass_token(coordinator, reg) for reg in people]

    first = {desk.scan(token).checkin_id for token in tokens[:3]}
    assert _unchained(desk_store) == 3  # the scans hashed nothing
    pull(relay, desk_store)  # sending seals them first
    second = {desk.scan(token).checkin_id for token in tokens[3:]}
    desk.tidy()  # idle: chained without any sync
    assert _unchained(desk_store) == 0
    pull(relay, desk_store)
    pull(third, relay)  # the desk's own signature over its chain, relayed

    assert first | second <= _held_checkins(relay)
    assert first | second <= _held_checkins(third)


def test_two_processes_on_one_laptop_seal_one_chain(coordinator, enroll):
    """The app writes check-ins while `fieldkit sync` (another connection) seals and sends them."""
    peer = enroll("peer", "coordinator")
    regs = [_register(coordinator, f"Guest {n}") for n in range(4)]
    app = Desk(open_store(coordinator.path, PASSPHRASE))
    for reg in regs[:2]:
        app.scan(pass_token(coordinator, reg))
    pull(peer, coordinator)  # the other connection seals what the app wrote
    for reg in regs[2:]:
        app.scan(pass_token(coordinator, reg))
    pull(peer, coordinator)  # ...and again, after the app wrote more: the chain goes on
    assert _held_checkins(peer) == _held_checkins(app.store) and len(_held_checkins(peer)) == 4
    app.store.close()


def test_a_fact_purged_before_it_was_sealed_still_syncs_as_purged(coordinator, enroll):
    peer = enroll("peer", "coordinator")
    person = _register(coordinator, "Purged Soon")
    checkin = Desk(coordinator).scan(pass_token(coordinator, person)).checkin_id
    coordinator.purge("checkins", checkin, "entered by mistake")
    kept = Desk(coordinator).scan(pass_token(coordinator, _register(coordinator, "Stays"))).checkin_id
    pull(peer, coordinator)
    assert _held_checkins(peer) == {kept}
    assert peer.db.execute("SELECT count(*) FROM tombstones WHERE row_id = ?", [checkin]).fetchone()[0] == 1


def test_closing_seals_what_was_written(tmp_path, store, reopen):
    reg = _register(store, "Closing Time")
    Desk(store).scan(pass_token(store, reg))
    store.close()
    after = reopen()
    assert _unchained(after) == 0
