"""The event's own figures, from a clinic day played through the desk, consent, intake and referrals."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest

from fieldkit import metrics
from fieldkit.checkin import Desk
from fieldkit.event import create_event
from fieldkit.metrics import aggregates
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import new_id, open_store
from fieldkit.store.times import utc_text
from tests.conftest import PASSPHRASE
from tests.metrics.clinic_day import EVENT_START
from tests.referrals.conftest import Clock


def test_people_are_counted_once_from_every_check_in_fact(day):
    _, expected, doc = day
    event = doc["events"][0]
    assert event["registered"] == expected.registered
    assert event["attended"] == expected.attended  # people, not scans: twice-checked-in count once
    assert event["walk_ins"] == expected.walk_ins
    assert event["no_shows"] == expected.no_shows  # a voided check-in is not a visit
    assert event["double_checkins"] == expected.double_checkins  # derived from the facts, not a stored flag
    assert event["followup"] == {"people": expected.followup, "rate": expected.followup / expected.attended}


def test_arrivals_per_quarter_hour_count_first_check_ins_and_hide_small_ones(day):
    _, expected, doc = day
    arrivals = doc["events"][0]["arrivals"]
    assert set(arrivals["by_quarter_hour"]) == set(expected.arrivals)
    shown = {q: n for q, n in arrivals["by_quarter_hour"].items() if isinstance(n, int)}
    assert shown and all(n == expected.arrivals[q] and n >= 11 for q, n in shown.items())
    hidden = {q for q, n in arrivals["by_quarter_hour"].items() if not isinstance(n, int)}
    assert {q for q, n in expected.arrivals.items() if n < 11} <= hidden
    assert len(hidden) >= 2  # one hidden quarter alone could be had from the total
    assert arrivals["by_desk"] == {"coordinator": expected.attended}


def test_intent_mix_and_timer_durations(day):
    _, expected, doc = day
    intent = doc["events"][0]["intent"]
    total = sum(len(v) for v in expected.timers.values())
    assert intent["timers"] == total
    every = sorted(s for v in expected.timers.values() for s in v)
    assert intent["duration_minutes"]["median"] == pytest.approx(statistics.median(every) / 60, abs=1 / 60)
    for found in intent["by_category"].values():
        # nine timers per category: hidden as "<11", and so are their share and durations
        assert found == {"timers": "<11", "share": None, "duration_minutes": {"median": None, "p90": None}}


def test_referrals_per_100_attendees_velocity_and_rebook(day):
    _, expected, doc = day
    refs = doc["events"][0]["referrals"]
    issued = sum(expected.referrals.values())
    assert refs["issued"] == issued
    assert refs["per_100_attendees"] == pytest.approx(100 * issued / expected.attended)
    assert refs["velocity_days"]["median"] == 3  # 14 booked on day 3, 5 on day 13
    assert refs["rebook_7_days"] == expected.booked_within_7 / issued


COUNT_KEYS = {
    "registered",
    "attended",
    "walk_ins",
    "no_shows",
    "double_checkins",
    "people",
    "timers",
    "issued",
    "referrals",
    "vetted",
    "booked",
    "first_session",
    "third_session",
    "ended",
    "followup",
    "returning",
}


def counts_in(value, key=None):
    """Every count the JSON document holds, with where it is."""
    if isinstance(value, dict):
        for k, v in value.items():
            inner = "count" if k in ("by_quarter_hour", "by_desk") else k
            yield from counts_in(v, inner)
    elif isinstance(value, list):
        for v in value:
            yield from counts_in(v, key)
    elif key in COUNT_KEYS or key == "count":
        yield key, value


def test_no_output_shows_a_count_from_1_to_10(day, tmp_path):
    import csv
    import json

    import jsonschema

    from tests.conftest import REPO_ROOT

    _, _, doc = day
    jsonschema.validate(doc, json.loads((REPO_ROOT / "docs" / "report-schema.json").read_text()))
    found = list(counts_in(doc))
    assert len(found) > 50 and "<11" in {v for _, v in found}
    assert not [(k, v) for k, v in found if isinstance(v, int) and 0 < v < 11]
    for path in metrics.write_csv(doc, tmp_path / "csv"):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for column, cell in row.items():
                    if column in COUNT_KEYS | {"people", "timers", "first_session", "third_session"}:
                        assert not (cell.isdigit() and 0 < int(cell) < 11), (path.name, column, cell)
    text = metrics.render(doc)
    assert "fewer than 11" in text or "<11" in text


def test_a_walk_in_taken_back_at_the_desk_is_not_registered_attended_or_a_walk_in(db_path, template, tmp_path):
    create_event(db_path, template, PASSPHRASE, device_name="desk-1").close()
    clock = Clock(EVENT_START)
    store = open_store(db_path, PASSPHRASE, wall=clock)
    try:
        desk = Desk(store)
        for n in range(12):
            person = add_person(store, f"Guest {n}")
            desk.check_in_registration(add_registration(store, person, source="csv", external_id=f"G{n}"))
            desk.walk_in(f"Walk-in {n}")
            clock.advance(minutes=1)
        desk.walk_in("Wrong Name")  # typed wrong, and undone straight away
        assert desk.undo_last().walk_in
        clock.advance(minutes=1)
        raced = desk.walk_in("Sam Okoro")
        # Another laptop checked Sam's pass in before this desk's undo reached it; its check-in
        # arrives by sync and stands, but the registration it was made with was taken back.
        store.db.execute(
            "INSERT INTO checkins (id, origin, hlc, registration_id, person_id, nonce, method, desk, checked_in_at)"
            " VALUES (?, 'laptop-2', '0000000000000-0000', ?, ?, ?, 'ticket', 'desk-2', ?)",
            [new_id(), raced.registration_id, raced.person_id, new_id(), utc_text(store.now() + timedelta(seconds=30))],
        )
        before_undo = store.now() + timedelta(seconds=40)
        clock.advance(minutes=1)
        assert desk.undo_last().walk_in
        clock.advance(days=1)
        for scope in (metrics.Scope(store.now()), metrics.Scope(before_undo)):
            found = metrics.collect(store, scope)
            event = metrics.build(found)["events"][0]
            undone = scope.as_of > before_undo  # before Sam's undo, Sam was a walk-in who came
            assert (event["registered"], event["no_shows"]) == (12, 0)
            assert event["attended"] == (24 if undone else 25)
            assert event["walk_ins"] == (12 if undone else 13)
            path = tmp_path / f"aggregates-{undone}.sqlite"
            aggregates.write_file(found, path)
            exported = aggregates.read_file(path).tables["attendance"]
            assert sum(n for _, kind, *_, n in exported if kind == "walk_in") == (12 if undone else 13)
    finally:
        store.close()
