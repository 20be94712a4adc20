"""Merge rules of the store's apply path, and the feed/protocol moving them between laptops."""

from __future__ import annotations

import pytest
from kit import canonical_dump, new_store, pull, sync_pair

from fieldkit.store import new_id
from fieldkit.store.apply import BatchRefused, apply_changes
from fieldkit.store.changes import RemoteChange, watermarks
from sync import feed
from sync.protocol import ProtocolError, SyncSummary

FACT = "token_revocations"


@pytest.fixture
def trio(tmp_path):
    event = new_id()
    stores = [new_store(tmp_path, name, event) for name in ("a", "b", "c")]
    yield stores
    for s in stores:
        s.close()


def _pull(dst, src):
    """Apply everything src holds beyond dst's watermarks, without a socket."""
    pull(dst, src, limit=3)


def test_facts_union_and_applying_twice_is_a_no_op(trio):
    a, b, _ = trio
    a.append_fact(FACT, {"token_id": "x", "reason": "lost", "revoked_at": "t"})
    b.append_fact(FACT, {"token_id": "y", "reason": "lost", "revoked_at": "t"})
    batch = next(feed.changes_since(a, {}))
    first = apply_changes(b, batch)
    again = apply_changes(b, batch)
    assert (first.applied, again.applied, again.already_had) == (1, 0, 1)
    _pull(a, b)
    assert canonical_dump(a) == canonical_dump(b)
    assert a.counts()[FACT] == 2


def test_record_fields_last_writer_wins_with_device_id_breaking_ties(trio):
    a, b, c = trio
    pid = a.set_record("people", None, {"display_name": "Ana", "email": "a@x"})
    _pull(b, a)
    b.set_record("people", pid, {"display_name": "Ana B"})
    a.set_record("people", pid, {"email": "ana@x"})
    for dst, src in ((c, b), (c, a), (a, c), (b, c)):
        _pull(dst, src)
    rows = {s.db.execute("SELECT display_name, email FROM people").fetchone() for s in trio}
    assert rows == {("Ana B", "ana@x")}
    assert canonical_dump(a) == canonical_dump(b) == canonical_dump(c)


def test_equal_stamps_are_decided_by_origin(tmp_path):
    event = new_id()
    a = new_store(tmp_path, "a", event)
    b = new_store(tmp_path, "b", event)
    a.clock.now = b.clock.now = lambda: 1_700_000_000_000
    pid = new_id()
    a.set_record("people", pid, {"display_name": "from a"})
    b.set_record("people", pid, {"display_name": "from b"})
    _pull(a, b)
    _pull(b, a)
    winner = max((a.device_id, "from a"), (b.device_id, "from b"))[1]
    for s in (a, b):
        assert s.db.execute("SELECT display_name FROM people").fetchone()[0] == winner
    assert canonical_dump(a) == canonical_dump(b)


def test_tombstone_wins_over_older_writes_and_a_purged_fact_never_returns(trio):
    a, b, c = trio
    fid = a.append_fact(FACT, {"token_id": "x", "reason": "lost", "revoked_at": "t"})
    pid = a.set_record("people", None, {"display_name": "Ana", "email": "a@x"})
    _pull(b, a)
    b.set_record("people", pid, {"phone": "123"})  # older than the purge below
    a.purge(FACT, fid, "test")
    a.purge("people", pid, "consent revoked")
    _pull(c, b)  # c holds the fact and the edit, not the purges
    _pull(c, a)
    _pull(a, c)
    _pull(b, c)
    for s in trio:
        assert s.counts()[FACT] == 0
        assert s.counts()["people"] == 0
    assert canonical_dump(a) == canonical_dump(b) == canonical_dump(c)


def test_a_write_newer_than_a_purge_recreates_the_row(trio):
    a, b, _ = trio
    pid = a.set_record("people", None, {"display_name": "Ana", "email": "a@x"})
    _pull(b, a)
    a.purge("people", pid, "mistake")
    b.clock.now = lambda: a.clock.millis + 1000  # b writes after the purge
    b.set_record("people", pid, {"display_name": "Ana again"})
    _pull(a, b)
    _pull(b, a)
    for s in (a, b):
        assert s.db.execute("SELECT display_name, email, origin FROM people").fetchall() == [
            ("Ana again", None, b.device_id)
        ]
    assert canonical_dump(a) == canonical_dump(b)


def test_field_purge_syncs(trio):
    a, b, _ = trio
    pid = a.set_record("people", None, {"display_name": "Ana", "email": "a@x", "phone": "1"})
    _pull(b, a)
    a.purge("people", pid, "contact withdrawn", fields=["email", "phone"])
    _pull(b, a)
    assert b.db.execute("SELECT display_name, email, phone FROM people").fetchone() == ("Ana", None, None)
    assert canonical_dump(a) == canonical_dump(b)


def test_changes_relay_through_a_third_laptop_with_their_original_stamps(trio):
    a, b, c = trio
    a.append_fact(FACT, {"token_id": "x", "reason": "lost", "revoked_at": "t"})
    _pull(b, a)
    _pull(c, b)
    assert c.changes_of(a.device_id) == a.changes_of(a.device_id)


def test_a_gap_in_an_origins_sequence_is_refused_and_nothing_applies(trio):
    a, b, _ = trio
    for n in range(3):
        a.append_fact(FACT, {"token_id": str(n), "reason": "r", "revoked_at": "t"})
    batch = next(feed.changes_since(a, {}))
    with pytest.raises(BatchRefused):
        apply_changes(b, [batch[0], batch[2]])
    assert b.counts()[FACT] == 0 and watermarks(b) == {}


@pytest.mark.parametrize(
    "change",
    [
        RemoteChange("o", 1, "nope", "r", "0000000000001-000000", "insert", {}),
        RemoteChange("o", 1, FACT, "r", "not a stamp", "insert", {}),
        RemoteChange("o", 1, FACT, "r", "0000000000001-000000", "set", {"reason": "x"}),
        RemoteChange("o", 1, FACT, "r", "0000000000001-000000", "insert", {"secret": "x"}),
        RemoteChange("o", 1, FACT, "r", "0000000000001-000000", "insert", {"reason": ["x"]}),
        RemoteChange("o", 1, "people", "r", "0000000000001-000000", "purge", {"fields": ["nope"], "reason": ""}),
        RemoteChange("o", 0, FACT, "r", "0000000000001-000000", "insert", {}),
        RemoteChange("o", 1, FACT, "", "", "withheld", {"reason": "x"}),
    ],
)
def test_malformed_changes_are_refused(trio, change):
    _, b, _ = trio
    before = canonical_dump(b)
    with pytest.raises(BatchRefused):
        apply_changes(b, [change])
    assert canonical_dump(b) == before


def test_a_far_ahead_stamp_is_held_back_without_dragging_the_clock(trio):
    a, b, _ = trio
    a.clock.now = lambda: b.wall() + 60 * 60 * 1000  # an hour ahead
    a.append_fact(FACT, {"token_id": "x", "reason": "lost", "revoked_at": "t"})
    result = apply_changes(b, next(feed.changes_since(a, {})))
    assert result.applied == 0 and result.deferred == {a.device_id: 1}
    assert result.ahead_ms >= 59 * 60 * 1000
    assert b.clock.millis < a.clock.millis - 50 * 60 * 1000
    assert watermarks(b) == {}


def test_session_moves_both_ways_and_a_second_sync_moves_nothing(trio):
    a, b, _ = trio
    a.append_fact(FACT, {"token_id": "x", "reason": "lost", "revoked_at": "t"})
    b.set_record("people", None, {"display_name": "Bo"})
    first, served = sync_pair(a, b)
    assert isinstance(first, SyncSummary), first
    assert (first.sent, first.received, first.applied) == (1, 1, 1)
    assert canonical_dump(a) == canonical_dump(b)
    second, _ = sync_pair(a, b)
    assert (second.sent, second.received) == (0, 0)


def test_a_cut_connection_resumes_without_duplicates(trio):
    a, b, _ = trio
    for n in range(25):
        a.append_fact(FACT, {"token_id": str(n), "reason": "r", "revoked_at": "t"})
        b.append_fact(FACT, {"token_id": f"b{n}", "reason": "r", "revoked_at": "t"})
    first, served = sync_pair(a, b, cut_after=3, batch_size=4)
    assert isinstance(first, ProtocolError) and isinstance(served, ProtocolError)
    partial = a.counts()[FACT] + b.counts()[FACT]
    assert 50 < partial < 100
    done, _ = sync_pair(a, b, batch_size=4)
    assert isinstance(done, SyncSummary) and done.already_had == 0
    assert a.counts()[FACT] == b.counts()[FACT] == 50
    assert canonical_dump(a) == canonical_dump(b)


def test_rows_held_are_found_whichever_way_the_new_ids_sort(trio):
    """Apply skips the per-row lookups when every id of a batch sorts after every id held (new
    rows, as a first sync's mostly are): a held row, a tombstone or a field clock among ids that
    sort before or after the held ones is still found."""
    a, b, _ = trio
    held = a.set_record("people", "01M000000000000000000HELD", {"display_name": "Held"})
    gone = a.append_fact(FACT, {"token_id": "gone", "reason": "lost", "revoked_at": "t"})
    _pull(b, a)
    b.purge(FACT, gone, "test")
    before = [a.set_record("people", f"01A00000000000000000000{n:03d}", {"display_name": f"Before {n}"})
              for n in range(3)]
    after = [a.set_record("people", f"01Z00000000000000000000{n:03d}", {"display_name": f"After {n}"})
             for n in range(3)]
    a.set_record("people", held, {"phone": "555"})
    _pull(b, a)
    _pull(a, b)
    for s in (a, b):
        assert s.counts()[FACT] == 0
        assert s.db.execute("SELECT display_name, phone FROM people WHERE id = ?", [held]).fetchone() == ("Held", "555")
        assert s.counts()["people"] == 1 + len(before) + len(after)
    assert canonical_dump(a) == canonical_dump(b)
