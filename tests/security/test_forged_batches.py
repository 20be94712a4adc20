"""A hostile enrolled laptop that relays: forging another origin, replaying, reordering, truncating and altering signed batches (hypothesis-generated mutations of a captured batch) are refused and change nothing."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fieldkit.store import new_id
from fieldkit.store.chain import field_digest
from sync.protocol import ProtocolError, SyncRefused
from tests.security.enrolled import deliver, frames_for, full_state
from tests.syncing.kit import new_store, pull, signed_frame

STAMP = "0000000000002-000000"


def _laptops(tmp_path, victim_role: str):
    """(sender, victim): the sender, a practitioner, holds the changes of three laptops
    (records, facts, purges, a record write later writes partly decide, a purged fact);
    the victim holds the same roster and none of the changes."""
    event = new_id()
    coordinator = new_store(tmp_path, "coordinator", event)
    desk = new_store(tmp_path, "desk-1", event, role="desk")
    sender = new_store(tmp_path, "practitioner-1", event, role="practitioner")
    victim = new_store(tmp_path, "victim", event, role=victim_role)
    person = coordinator.set_record("people", None, {"display_name": "Ana Lima", "email": "a@x", "phone": "1"})
    coordinator.set_record("people", person, {"display_name": "Ana L."})  # the first write now decides less
    registration = coordinator.set_record("registrations", None, {"person_id": person, "source": "walk-in"})
    coordinator.purge("people", person, "consent withdrawn: contact_for_followup", fields=["email", "phone"])
    coordinator.append_fact("token_revocations", {"token_id": new_id(), "reason": "lost", "revoked_at": "t"})
    pull(desk, coordinator)
    desk.append_fact("checkins", {"registration_id": registration, "person_id": person, "nonce": new_id(),
                                  "method": "pass", "desk": "desk-1", "checked_in_at": "2026-12-05T10:00:00+00:00"})
    desk.set_record("people", None, {"display_name": "Bo Chen"})
    pull(sender, coordinator)  # whole: a desk does not relay the coordinator's people to a practitioner
    pull(sender, desk)
    timer = new_id()
    sender.append_fact("intent_timer_events", {"timer_id": timer, "event_id": event, "kind": "start", "at": "t"})
    text = sender.append_fact("intake_texts", {"subject": "timer", "subject_id": timer, "person_id": person,
                                               "field": "note", "text": "private"})
    sender.purge("intake_texts", text, "consent withdrawn: share_intake_with_practitioners")
    sender.append_fact("consent_facts", {"person_id": person, "purpose": "record_attendance", "action": "grant"})
    return sender, victim


@pytest.fixture(params=["coordinator", "desk"])
def relay(request, tmp_path):
    sender, victim = _laptops(tmp_path, request.param)
    yield sender, victim, frames_for(sender, victim)
    sender.close()
    victim.close()


def test_the_captured_batch_is_accepted_as_sent(relay):
    sender, victim, frames = relay
    assert len(frames) == 1 and len(frames[0]["runs"]) >= 3
    assert deliver(victim, sender, frames) is None
    assert victim.counts()["people"] == 2 and victim.counts()["checkins"] == 1
    # Replayed: already had, nothing changes.
    after = full_state(victim)
    assert deliver(victim, sender, frames) is None
    assert full_state(victim) == after


def _changes_of(frame, run_index):
    start = sum(r[3] for r in frame["runs"][:run_index])
    return start, start + frame["runs"][run_index][3]


def _mutate(frame: dict, data) -> str:
    """Change one thing in the frame, in place; returns what, for the failure message."""
    runs, changes = frame["runs"], frame["changes"]
    r = data.draw(st.integers(0, len(runs) - 1), label="run")
    start, end = _changes_of(frame, r)
    i = data.draw(st.integers(start, end - 1), label="change")
    kind = data.draw(st.sampled_from([
        "value", "seq", "table", "row_id", "hlc", "op", "swap", "drop", "truncate", "duplicate", "prev",
        "signature", "origin", "proof", "checkpoint",
    ]), label="mutation")
    change = changes[i]
    if kind == "value":
        assume(isinstance(change[5], dict) and change[5])
        key = data.draw(st.sampled_from(sorted(change[5])))
        new = data.draw(st.text(max_size=6) | st.integers(-3, 3))
        assume(new != change[5][key])
        change[5][key] = new
    elif kind == "seq":
        change[0] += data.draw(st.sampled_from([-1, 1, 1000]))
    elif kind == "table":
        change[1] = data.draw(st.sampled_from(["people", "registrations", "checkins", "consent_facts", "events"]))
    elif kind == "row_id":
        change[2] = new_id()
    elif kind == "hlc":
        change[3] = STAMP
    elif kind == "op":
        change[4] = data.draw(st.sampled_from(["insert", "set", "purge", "withheld"]))
    elif kind in ("swap", "drop", "truncate", "duplicate"):
        assume(end - start > 1 or kind == "duplicate")
        if kind == "swap":
            j = data.draw(st.integers(start, end - 1))
            assume(i != j)
            changes[i], changes[j] = changes[j], changes[i]
            return kind
        if kind == "duplicate":
            changes.insert(i, copy.deepcopy(change))
            runs[r][3] += 1
            return kind
        if kind == "truncate":
            i = end - 1
        del changes[i]
        runs[r][3] -= 1
    elif kind == "prev":
        runs[r][1] = ("11" if runs[r][1][:2] != "11" else "22") + runs[r][1][2:]
    elif kind == "signature":
        other = data.draw(st.integers(0, len(runs) - 1))
        runs[r][2] = runs[other][2] if other != r else "00" + runs[r][2][2:]
        assume(runs[r][2] != frame["runs_before"][r])
    elif kind == "origin":
        assume(len(frame["origins"]) > 1)
        runs[r][0] = (runs[r][0] + 1) % len(frame["origins"])
    elif kind == "proof":
        change[6] = data.draw(st.sampled_from(["ab" * 32, ["ab" * 32], None]))
    elif kind == "checkpoint":
        assume(runs[r][4])
        point = runs[r][4][0]
        if data.draw(st.booleans()):
            point[0] += 1
        else:
            point[1] = "00" * 64
    return kind


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def _mutations(relay, data):
    sender, victim, frames = relay
    frame = copy.deepcopy(frames[0])
    frame["runs_before"] = [run[2] for run in frame["runs"]]
    before = copy.deepcopy(frame)
    kind = _mutate(frame, data)
    del frame["runs_before"]
    del before["runs_before"]
    assume(frame != before)
    state = full_state(victim)
    outcome = deliver(victim, sender, [frame])
    assert full_state(victim) == state, f"{kind}: {outcome}"


def test_every_mutation_of_a_signed_batch_is_refused_and_changes_nothing(relay):
    sender, victim, frames = relay
    _mutations(relay)
    # A real peer still syncs afterwards: the same batch, unchanged, is taken.
    assert deliver(victim, sender, frames) is None
    assert victim.counts()["checkins"] == 1


def test_a_relay_cannot_forge_another_laptops_changes(relay):
    sender, victim, _ = relay
    coordinator_origin = victim.db.execute("SELECT id FROM devices WHERE name = 'coordinator'").fetchone()[0]
    forged = signed_frame(sender, [[1, "people", new_id(), STAMP, "set", {"display_name": "Mallory"}]],
                          origin=coordinator_origin)
    before = full_state(victim)
    outcome = deliver(victim, sender, [forged])
    assert isinstance(outcome, SyncRefused) and "did not sign as they are" in str(outcome)
    assert full_state(victim) == before


def test_a_laptop_the_roster_does_not_list_is_held_back_not_applied(relay):
    sender, victim, _ = relay
    stranger = signed_frame(sender, [[1, "people", new_id(), STAMP, "set", {"display_name": "Mallory"}]],
                            origin=new_id())
    before = full_state(victim)
    assert deliver(victim, sender, [stranger]) is None
    assert full_state(victim) == before


@pytest.mark.parametrize("part", ["prev", "signature"])
def test_a_run_that_does_not_follow_what_is_held_is_refused(relay, part):
    sender, victim, frames = relay
    assert deliver(victim, sender, frames) is None
    before = full_state(victim)
    sender.set_record("people", None, {"display_name": "Cy Diaz"})
    (frame,) = frames_for(sender, victim)
    frame["runs"][0][1 if part == "prev" else 2] = "00" * (32 if part == "prev" else 64)
    outcome = deliver(victim, sender, [frame])
    assert isinstance(outcome, (SyncRefused, ProtocolError))
    assert full_state(victim) == before


def _grant(store, person: str, purpose: str = "record_attendance", **fields) -> str:
    """A consent fact as `record_consent` writes it: a permit with its expiry, unless `fields` say otherwise."""
    fact = {"record_id": new_id(), "person_id": person, "purpose": purpose, "action": "grant", "decision": "permit",
            "text_version": "1", "text_sha256": "ab" * 32, "method": "paper", "recorded_by_device": store.device_id,
            "recorded_by_role": store.role, "witness": "Sam Whitfield", "at": "2026-12-05T10:00:00+00:00",
            "valid_until": "2027-12-05T10:00:00+00:00", **fields}
    return store.append_fact("consent_facts", {k: v for k, v in fact.items() if v is not None})


def _consent_frames(tmp_path, receiver_role: str, **fields):
    """A coordinator's witnessed paper consent (or the fact `fields` make of it), as it sends it to
    a desk: the fact without its method and witness, their field digests in their place; and a
    fresh `receiver_role` laptop."""
    event = new_id()
    coordinator = new_store(tmp_path, "coordinator", event)
    desk = new_store(tmp_path, "desk-1", event, role="desk")
    receiver = new_store(tmp_path, "receiver", event, role=receiver_role)
    person = coordinator.set_record("people", None, {"display_name": "Ana Lima"})
    _grant(coordinator, person, **fields)
    return coordinator, desk, receiver, frames_for(coordinator, desk)


def _consent_change(frames):
    return next(c for frame in frames for c in frame["changes"] if c[1] == "consent_facts")


def test_a_desk_proves_a_fact_sent_without_the_fields_it_may_not_hold(tmp_path):
    coordinator, desk, _receiver, frames = _consent_frames(tmp_path, "desk")
    change = _consent_change(frames)
    assert "method" not in change[5] and "witness" not in change[5] and len(change[6]) == 2
    assert deliver(desk, coordinator, frames) is None
    assert desk.db.execute("SELECT purpose, method, witness FROM consent_facts").fetchall() == [
        ("record_attendance", None, None)
    ]


@pytest.mark.parametrize("receiver_role", ["desk", "coordinator"])
def test_a_fact_that_leaves_out_a_field_the_receiver_may_hold_is_refused(tmp_path, receiver_role):
    # A relay that keeps the purpose from a desk (or the witness from a coordinator) by sending
    # its digest instead: proven as signed, yet not what the receiver's role is owed.
    coordinator, desk, receiver, frames = _consent_frames(tmp_path, receiver_role)
    if receiver_role == "coordinator":
        frames = frames_for(coordinator, receiver)
    change = _consent_change(frames)
    dropped = "purpose" if receiver_role == "desk" else "witness"
    change[6] = [*(change[6] or []), field_digest(dropped, change[5].pop(dropped)).hex()]
    before = full_state(receiver)
    refused = deliver(receiver, coordinator, frames)
    assert isinstance(refused, SyncRefused) and "leaves out fields this laptop may hold" in str(refused)
    assert full_state(receiver) == before


@pytest.mark.parametrize(
    ("fields", "dropped"),
    [
        ({"decision": "deny", "valid_until": None}, "decision"),  # a "no" would read as a yes
        ({}, "valid_until"),  # a consent that ends would never end
        ({"action": "revoke", "decision": None, "valid_until": None, "text_version": None, "text_sha256": None},
         "action"),  # a withdrawal would read as nothing at all
    ],
)
def test_a_relay_cannot_pass_a_field_off_as_the_witness_that_was_never_written(tmp_path, fields, dropped):
    # A spoken consent has no witness, so a desk is owed one digest (the method) where a witnessed
    # one has two. A relay drops a field the desk holds and sends its digest as if it were the
    # witness's: the count matches, and the chain proves; what the fact must carry does not.
    coordinator, desk, receiver, frames = _consent_frames(tmp_path, "desk", method="spoken", witness=None, **fields)
    assert deliver(desk, coordinator, copy.deepcopy(frames)) is None  # as sent, it is accepted
    change = _consent_change(frames)
    assert len(change[6]) == 1
    change[6] = [*change[6], field_digest(dropped, change[5].pop(dropped)).hex()]
    before = full_state(receiver)
    refused = deliver(receiver, coordinator, frames)
    assert isinstance(refused, SyncRefused) and "leaves out fields this laptop may hold" in str(refused)
    assert full_state(receiver) == before


def test_every_fact_table_with_fields_some_role_does_not_hold_says_what_its_facts_carry(tmp_path):
    from fieldkit.store.schema import FACT
    from sync.scope import ALWAYS_CARRIED, FIELD_ROLES

    store = new_store(tmp_path, "coordinator", new_id())
    facts = {table for table in FIELD_ROLES if store.synced.get(table) == FACT}
    assert facts and facts <= ALWAYS_CARRIED.keys()
    for table, (always, rules) in ALWAYS_CARRIED.items():
        named = always | {field for field, _value, _then in rules} | {f for *_, then in rules for f in then}
        assert named <= store.settable_columns(table) and not named & FIELD_ROLES[table].keys()
