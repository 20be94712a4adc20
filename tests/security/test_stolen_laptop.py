"""A lost (stolen) laptop after its revocation: what it writes later is refused everywhere, whoever relays it and whatever its clock says, and its key cannot rewrite what the coordinator accepted."""

from __future__ import annotations

from fieldkit.people.registry import add_person
from fieldkit.store import new_id
from fieldkit.store.changes import watermarks
from sync.enroll import revoke_device
from sync.transport import sync_with
from tests.security.enrolled import deliver, frames_for, full_state
from tests.syncing.conftest import serving  # noqa: F401  (coordinator, enroll: conftest.py)
from tests.syncing.kit import new_store, signed_frame

STAMP = "0000000000002-000000"


def _names(store):
    return {r[0] for r in store.db.execute("SELECT display_name FROM people")}


def test_what_a_revoked_laptop_writes_later_is_refused_everywhere(coordinator, enroll, serving):
    # The relay is a practitioner: a desk never relays other laptops' people to a coordinator
    # (it holds them without contact details), so it could not offer them.
    thief, relay, other = enroll("desk-2", "desk"), enroll("practitioner-4", "practitioner"), enroll("desk-5", "desk")
    address = serving(coordinator)
    add_person(thief, "Before Loss")
    sync_with(thief, *address)
    revoke_device(coordinator, "desk-2", "stolen")
    (last_seq,) = coordinator.db.execute("SELECT last_seq FROM device_revocations").fetchone()
    assert last_seq == watermarks(coordinator)[thief.device_id]

    thief.wall = lambda: 1_600_000_000_000  # its clock set back, to look older than the revocation
    add_person(thief, "After Loss 1")
    add_person(thief, "After Loss 2")
    sync_with(thief, *serving(relay))  # practitioner-4 has not heard of the revocation yet: it takes them
    assert {"After Loss 1", "After Loss 2"} <= _names(relay)

    summary = sync_with(coordinator, *serving(relay))  # the relay offers them to the coordinator first
    assert summary.after_revocation == 2
    assert "2 changes revoked laptops made after their revocation were refused" in summary.sentence()
    assert "After Loss 1" not in _names(coordinator) and "Before Loss" in _names(coordinator)
    assert watermarks(coordinator)[thief.device_id] == last_seq

    sync_with(other, *serving(relay))  # the relay now holds the revocation: it never passes them on
    sync_with(other, *address)
    assert "After Loss 1" not in _names(other) and "Before Loss" in _names(other)


def test_a_stolen_key_cannot_rewrite_what_the_revocation_accepted(coordinator, enroll):
    thief, victim = enroll("desk-2", "desk"), enroll("desk-5", "desk")
    for name in ("Ana", "Bo", "Cy"):
        add_person(thief, name)
    assert deliver(coordinator, thief, frames_for(thief, coordinator)) is None
    revoke_device(coordinator, "desk-2", "stolen")
    # The victim learns the roster and the revocation, not desk-2's changes (a relay may send less).
    frames = frames_for(coordinator, victim)
    for frame in frames:
        keep = [i for i, run in enumerate(frame["runs"]) if frame["origins"][run[0]] == coordinator.device_id]
        spans = [(sum(r[3] for r in frame["runs"][:i]), frame["runs"][i]) for i in keep]
        frame["changes"] = [c for start, run in spans for c in frame["changes"][start : start + run[3]]]
        frame["runs"] = [run for _, run in spans]
    assert deliver(victim, coordinator, frames) is None
    assert thief.device_id not in watermarks(victim)

    rewritten = signed_frame(thief, [[seq, "people", new_id(), STAMP, "set", {"display_name": f"Forged {seq}"}]
                                     for seq in (1, 2, 3)])
    before = full_state(victim)
    outcome = deliver(victim, thief, [rewritten])
    assert "differ from what the coordinator accepted before revoking it" in str(outcome)
    assert full_state(victim) == before


def test_a_forked_feed_cannot_continue_what_is_held(tmp_path):
    """Two laptops with one identity and key: a run that follows the other's history is refused."""
    event = new_id()
    desk = new_store(tmp_path, "desk-2", event, role="desk")
    twin = new_store(tmp_path, "desk-2", event, role="desk", device_id=desk.device_id)
    victim = new_store(tmp_path, "coordinator", event)
    add_person(desk, "Ana Lima")
    assert deliver(victim, desk, frames_for(desk, victim)) is None
    add_person(twin, "Bo Chen")
    add_person(twin, "Cy Diaz")
    (frame,) = frames_for(twin, victim)  # seq 2 only: the victim holds seq 1 (desk's)
    assert [c[0] for c in frame["changes"]] == [2]
    before = full_state(victim)
    outcome = deliver(victim, twin, [frame])
    assert "do not follow the changes this laptop holds" in str(outcome)
    assert full_state(victim) == before
