"""A hostile enrolled laptop serving sync: what it sends first cannot make the laptop that
started the session send it less than it lacks of what others wrote, nor send anything after
a forgery.

The initiating laptop sends after it has received, and takes the runs the server sent as
held by it (sync/protocol.py: so a change passed on is not sent back). A server can only
lie about that to its own loss: a run it does not hold is a forgery (refused, and the
session ends before anything is sent), or a stranger's (held back; it says nothing of what
this laptop holds), or numbered as the victim's own (refused as a clash).
"""

from __future__ import annotations

from fieldkit.store import new_id
from sync.protocol import ProtocolError, SyncRefused
from tests.security.enrolled import frames_for, full_state, serve
from tests.security.test_forged_batches import STAMP, _laptops
from tests.syncing.kit import signed_frame


def _one_change_as(sender, origin: str) -> dict:
    """A frame of one change numbered 1,000,000, signed by `sender` as if by `origin`."""
    return signed_frame(sender, [[10**6, "people", new_id(), STAMP, "set", {"display_name": "M"}]], origin=origin)


def _with_a_change_of_its_own(tmp_path):
    sender, victim = _laptops(tmp_path, "desk")
    victim.set_record("people", None, {"display_name": "Di Evans"})  # a walk-in the server lacks
    return sender, victim


def test_a_forged_run_ends_the_session_before_the_victim_sends_anything(tmp_path):
    sender, victim = _with_a_change_of_its_own(tmp_path)
    coordinator = victim.db.execute("SELECT id FROM devices WHERE name = 'coordinator'").fetchone()[0]
    forged = _one_change_as(sender, coordinator)
    before = full_state(victim)
    outcome, taken = serve(victim, sender, [forged])
    assert isinstance(outcome, (SyncRefused, ProtocolError)) and taken == 0
    assert full_state(victim) == before


def test_a_stranger_run_with_a_huge_number_leaves_the_victim_sending_all_the_server_lacks(tmp_path):
    sender, victim = _with_a_change_of_its_own(tmp_path)
    stranger = _one_change_as(sender, new_id())
    outcome, taken = serve(victim, sender, [*frames_for(sender, victim), stranger])
    assert outcome is None
    assert taken == 1  # its own walk-in, and none of what the server just sent it
    assert victim.counts()["checkins"] == 1 and "M" not in {
        r[0] for r in victim.db.execute("SELECT display_name FROM people")
    }


def test_a_run_numbered_as_the_victims_own_is_refused_before_it_sends(tmp_path):
    sender, victim = _with_a_change_of_its_own(tmp_path)
    claimed = _one_change_as(sender, victim.device_id)
    before = full_state(victim)
    outcome, taken = serve(victim, sender, [claimed])
    assert isinstance(outcome, (SyncRefused, ProtocolError)) and taken == 0
    assert full_state(victim) == before
