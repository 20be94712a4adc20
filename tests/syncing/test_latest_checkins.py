"""The desk's last check-ins and undo, with no index on check-in times (m068): the same
check-ins in the same order as the query over every check-in by time, on every laptop,
whichever desk made them, when they arrived, and however the desks' clocks moved."""

from __future__ import annotations

import random

import pytest
from kit import new_store, sync_pair

from fieldkit.checkin import Desk, lookup
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import new_id
from tests.sample_dates import sample_time

START = int(sample_time(10).timestamp() * 1000)  # the event day, 10:00
NOT_VOIDED = "NOT EXISTS (SELECT 1 FROM checkin_voids v WHERE v.checkin_id = c.id)"
# What the desk read before m068, through the index on check-in times.
NEWEST = f"SELECT c.id FROM checkins c WHERE {NOT_VOIDED} ORDER BY c.checked_in_at DESC, c.id DESC LIMIT ?"
UNDO = (
    f"SELECT c.id FROM checkins c WHERE c.origin = ? AND {NOT_VOIDED}"
    " ORDER BY c.checked_in_at DESC, c.hlc DESC LIMIT 1"
)


@pytest.fixture(params=["walking the feeds", "reading every check-in"])
def walk(request, monkeypatch):
    """Both ways the newest are found: walking the laptops' feeds (past a thousand check-ins),
    and reading them all (up to a thousand)."""
    if request.param == "walking the feeds":
        monkeypatch.setattr(lookup, "_FEW", 0)
    return request.param


def test_the_time_index_is_gone(tmp_path):
    store = new_store(tmp_path, "desk-1", new_id(), role="desk")
    try:
        indexes = {row[0] for row in store.db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'checkins'")}
        assert "idx_checkins_checked_in_at" not in indexes and "checkins_by_registration" in indexes
    finally:
        store.close()


def test_last_check_ins_and_undo_match_the_query_by_time_on_every_laptop(tmp_path, walk):
    rng = random.Random(14)
    event = new_id()
    clocks = {name: [START] for name in ("coordinator", "desk-1", "desk-2")}
    laptops = [
        new_store(tmp_path, name, event, role=role, wall=lambda c=clocks[name]: c[0])
        for name, role in (("coordinator", "coordinator"), ("desk-1", "desk"), ("desk-2", "desk"))
    ]
    coordinator = laptops[0]
    with coordinator.transaction():
        people = [add_registration(coordinator, add_person(coordinator, f"P {n}"), source="test") for n in range(40)]
    for store in laptops[1:]:
        sync_pair(store, coordinator)
    desks = [Desk(store) for store in laptops]
    try:
        for step in range(150):
            desk = rng.choice(desks[1:])
            clock = clocks[desk.name]
            # Mostly forward, sometimes a jump back (a clock corrected at the desk).
            clock[0] += rng.choice([1, 5, 40, 90]) * 1000 if rng.random() > 0.1 else -rng.randint(60, 600) * 1000
            if rng.random() < 0.15 and desk.store.db.execute(UNDO, [desk.store.device_id]).fetchone():
                desk.undo_last()
            else:
                desk.check_in_registration(rng.choice(people))
            if step % 25 == 24:  # the desks meet now and then, through the coordinator
                for store in laptops[1:]:
                    sync_pair(store, coordinator)
            for each in desks if step % 25 == 24 else [desk]:
                db = each.store.db
                for count in (1, 7, 50):
                    assert lookup.latest_checkins(each.store, count) == [r[0] for r in db.execute(NEWEST, [count])]
                mine = db.execute(UNDO, [each.store.device_id]).fetchone()
                last = lookup.latest_checkins(each.store, 1, each.store.device_id, then_by_stamp=True)
                assert last == list(mine or [])
        for desk in desks:  # newest first, one line a person
            lines = desk.recent(limit=12)
            assert lines and len({r.name for r in lines}) == len(lines)
            assert [r.at for r in lines] == sorted((r.at for r in lines), reverse=True)
    finally:
        for store in laptops:
            store.close()


def test_undo_takes_back_this_desks_last_check_in_though_another_desk_checked_in_later(tmp_path, walk):
    event = new_id()
    now = [START]
    coordinator, one, two = (
        new_store(tmp_path, name, event, role=role, wall=lambda: now[0])
        for name, role in (("coordinator", "coordinator"), ("desk-1", "desk"), ("desk-2", "desk"))
    )
    try:
        with coordinator.transaction():
            ana, bo = (add_registration(coordinator, add_person(coordinator, n), source="t") for n in ("Ana", "Bo"))
        for store in (one, two):
            sync_pair(store, coordinator)
        mine = Desk(one).check_in_registration(ana)
        now[0] += 60_000
        Desk(two).check_in_registration(bo)
        sync_pair(two, coordinator)
        sync_pair(one, coordinator)
        assert [r.name for r in Desk(one).recent()] == ["Bo", "Ana"]
        assert Desk(one).undo_last().checkin_id == mine.checkin_id
        assert [r.name for r in Desk(one).recent()] == ["Bo"]
    finally:
        for store in (coordinator, one, two):
            store.close()
