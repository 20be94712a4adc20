""""Already checked in" is derived on every laptop from every check-in it holds.

The scenario the desks met: one pass admitted at two desks while they were apart is
flagged on all three laptops after sync (the result, the recent list, the name search,
the counts). And a property: any interleaving of check-ins, undos and syncs among three
laptops (connections cut mid-sync included) leaves identical flags on all of them after
a final full sync, and those flags are exactly "another check-in of this registration
that is not voided". Settings: max_examples=40, stateful_step_count=30, deadline=None.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule
from kit import new_store, sync_pair

from fieldkit.checkin import CheckinRefused, Desk
from fieldkit.checkin.flags import double_checkins
from fieldkit.checkin.passes import pass_token
from fieldkit.event.overview import event_overview
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import new_id
from tests.sample_dates import sample_time
from tests.syncing.conftest import coordinator, enroll  # noqa: F401  (the sync tests' event and laptops)

_FAST_DIR = "/dev/shm" if Path("/dev/shm").is_dir() else None
NAMES = ("Ana Silva", "Bo Chen", "Chloé Dubois")
START = int(sample_time(10).timestamp() * 1000)  # the event day, 10:00


def flags(desk: Desk) -> dict:
    """Everything a laptop shows about double check-ins, in a form two laptops can compare."""
    recent = {r.checkin_id: r.flagged for r in desk.recent(limit=10_000)}  # one line a person
    results = {}
    for checkin_id in truth(desk):
        result = desk._result_of(checkin_id)
        results[checkin_id] = (result.flagged, result.earlier)
    found = {name: [(a.registration_id, a.checkins, a.flagged) for a in desk.search(name)] for name in NAMES}
    return {"recent": recent, "results": results, "found": found, "counters": desk.counters(),
            "double": double_checkins(desk.store)}


def truth(desk: Desk) -> dict[str, bool]:
    """The flag every check-in must show: another check-in of its registration that is not voided."""
    rows = desk.store.db.execute(
        "SELECT id, registration_id FROM checkins c"
        " WHERE NOT EXISTS (SELECT 1 FROM checkin_voids v WHERE v.checkin_id = c.id)"
    ).fetchall()
    per_registration = Counter(reg for _, reg in rows)
    return {checkin_id: per_registration[reg] > 1 for checkin_id, reg in rows}


def three_laptops(tmp: Path, wall):
    event = new_id()
    laptops = [new_store(tmp, name, event, role=role, wall=wall)
               for name, role in (("coordinator", "coordinator"), ("desk-1", "desk"), ("desk-2", "desk"))]
    coordinator = laptops[0]
    with coordinator.transaction():
        registrations = [add_registration(coordinator, add_person(coordinator, n), source="test") for n in NAMES]
    for desk in laptops[1:]:
        sync_pair(desk, coordinator)
    return laptops, registrations


def test_one_pass_admitted_at_two_desks_while_apart_is_flagged_everywhere_after_sync(tmp_path):
    now = [START]
    laptops, (ana, *_) = three_laptops(tmp_path, lambda: now[0])
    coordinator, one, two = (Desk(store) for store in laptops)
    try:
        first = one.check_in_registration(ana)  # the cable is out: neither desk sees the other
        now[0] += 60_000
        second = two.check_in_registration(ana)
        assert not first.flagged and not second.flagged  # nothing to see yet, on either desk
        sync_pair(one.store, coordinator.store)
        sync_pair(two.store, coordinator.store)
        sync_pair(one.store, coordinator.store)
        for desk in (coordinator, one, two):
            # The last check-ins show one line a person: the latest, flagged.
            assert {r.checkin_id: r.flagged for r in desk.recent()} == {second.checkin_id: True}
            assert desk._result_of(first.checkin_id).flagged and desk._result_of(second.checkin_id).flagged
            assert desk._result_of(second.checkin_id).earlier.desk == "desk-1"
            assert desk._result_of(first.checkin_id).earlier.desk == "desk-2"
            (hit,) = desk.search("Ana Silva")
            assert hit.flagged and [c.desk for c in hit.checkins] == ["desk-1", "desk-2"]
            assert desk.counters().flagged == 1 and desk.counters().checked_in == 1
        # A void (a new fact) takes the flag away everywhere once it has synced.
        two.undo_last()
        for store in (coordinator.store, one.store):
            sync_pair(two.store, store)
        for desk in (coordinator, one, two):
            assert {r.checkin_id: r.flagged for r in desk.recent()} == {first.checkin_id: False}
            assert desk.counters().flagged == 0
    finally:
        for store in laptops:
            store.close()


class CheckinsAndSyncs(RuleBasedStateMachine):
    @initialize()
    def make_laptops(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="fk-flags-", dir=_FAST_DIR))
        self.now = START
        self.stores, self.registrations = three_laptops(self.tmp, lambda: self.now)
        self.desks = [Desk(store) for store in self.stores]

    @rule(seconds=st.sampled_from([0, 1, 3, 60]))
    def time_passes(self, seconds):
        self.now += seconds * 1000

    @rule(laptop=st.integers(0, 2), person=st.integers(0, 2), nonce=st.sampled_from([None, "A", "B"]))
    def check_in(self, laptop, person, nonce):
        self.desks[laptop].check_in_registration(self.registrations[person], nonce=nonce)

    @rule(laptop=st.integers(0, 2))
    def undo(self, laptop):
        try:
            self.desks[laptop].undo_last()
        except CheckinRefused:
            pass

    @rule(
        first=st.integers(0, 2),
        second=st.integers(0, 2),
        cut_after=st.none() | st.integers(min_value=0, max_value=4),
    )
    def sync(self, first, second, cut_after):
        if first != second:
            sync_pair(self.stores[first], self.stores[second], cut_after=cut_after, batch_size=2)

    def teardown(self):
        try:
            if hasattr(self, "stores"):
                self._final_sync()
        finally:
            for store in getattr(self, "stores", []):
                store.close()
            if hasattr(self, "tmp"):
                shutil.rmtree(self.tmp, ignore_errors=True)

    def _final_sync(self):
        for _ in range(2):
            for i, store in enumerate(self.stores):
                outcome, _ = sync_pair(store, self.stores[(i + 1) % 3], batch_size=7)
                assert not isinstance(outcome, Exception), outcome
        seen = [flags(desk) for desk in self.desks]
        assert seen[1] == seen[0] and seen[2] == seen[0]
        expected = truth(self.desks[0])
        assert {k: flagged for k, (flagged, _) in seen[0]["results"].items()} == expected
        assert seen[0]["recent"] == {k: expected[k] for k in seen[0]["recent"]}


CheckinsAndSyncs.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestDerivedFlags = CheckinsAndSyncs.TestCase


def test_a_walk_in_undone_at_one_desk_counts_nowhere_though_another_desk_admitted_it(coordinator, enroll):  # noqa: F811
    """Desk 1 takes a walk-in; desk 2 scans the walk-in's pass (twice) before the undo reaches
    it; desk 1 undoes the walk-in. After sync, no laptop counts that person as come, walked in
    or flagged: not the desk's counters, not `fieldkit info`'s overview."""
    first, second = enroll("desk-1", "desk"), enroll("desk-2", "desk")
    before = Desk(second).counters()
    walked = Desk(first).walk_in("Li Wei")
    sync_pair(first, second)
    pass_text = pass_token(first, walked.registration_id)
    Desk(second).scan(pass_text), Desk(second).scan(pass_text, nonce="again")
    assert Desk(second).counters().checked_in == before.checked_in + 1
    Desk(first).undo_last()
    for _ in range(2):
        sync_pair(first, second), sync_pair(second, coordinator), sync_pair(first, coordinator)
    for laptop in (first, second, coordinator):
        counted, seen = Desk(laptop).counters(), event_overview(laptop)
        assert (counted.registered, counted.checked_in, counted.walk_ins, counted.flagged) == (
            before.registered, before.checked_in, before.walk_ins, before.flagged
        ), laptop.device_name
        assert (seen.registered, seen.checked_in, seen.double_checkins) == (before.registered, 0, 0)
