"""Continuous sync between real `fieldkit sync auto` processes that find each other by mDNS on 127.0.0.1."""

from __future__ import annotations

import json
import re

from live_kit import LOOPBACK, count, opened, passes, until
from test_pairing_cli import REGISTRATIONS, Coordinator
from test_sync_cli import TEMPLATE, fieldkit
from zeroconf import IPVersion, ServiceBrowser, Zeroconf

from sync.discovery import SERVICE_TYPE

PROPAGATION_BUDGET = 2.0  # seconds: DESIGN.md's "a check-in reaching every other laptop"


def _event(tmp_path, name: str = "coordinator.db"):
    db = tmp_path / name
    fieldkit("init", str(TEMPLATE), "--db", str(db))
    fieldkit("import", "registrations", str(REGISTRATIONS), "--db", str(db))
    return db


def _found(db, person_id: str, name: str) -> str:
    """The line `fieldkit people find NAME` prints for this person on this laptop."""
    out = fieldkit("people", "find", name, "--db", str(db), "--limit", "100").stdout
    return next(line for line in out.splitlines() if line.startswith(person_id + "\t"))


def _status(db) -> dict:
    return json.loads(fieldkit("sync", "status", "--db", str(db), "--json").stdout)


def test_three_laptops_one_paired_by_code_see_each_others_checkins_within_two_seconds(tmp_path, auto_sync):
    coordinator = _event(tmp_path)
    desk1, desk2 = tmp_path / "desk-1.db", tmp_path / "desk-2.db"
    fieldkit("device", "enroll", "desk-1", "--role", "desk", "--db", str(coordinator), "--out", str(tmp_path / "j"))
    fieldkit("init", "--join", str(tmp_path / "j"), "--db", str(desk1))
    other_event = _event(tmp_path, "other-event.db")  # another event's laptop on the same interface

    # Pulls are 30 s apart, so only the push of each write can bring it within the budget.
    slow_pull = ("--pull-every", "30")
    laptops = {coordinator: auto_sync(coordinator, *slow_pull), desk1: auto_sync(desk1, *slow_pull)}
    stranger = auto_sync(other_event)
    # desk-2 is paired by code while the coordinator's continuous sync runs on the same database.
    pairing = Coordinator(coordinator)
    code = pairing.line_starting("Pairing code: ").split(": ", 1)[1]
    joined = fieldkit("init", "--pair", code, "--db", str(desk2), *LOOPBACK)
    assert pairing.finish()[0] == 0 and "Synced with coordinator" in joined.stdout
    laptops[desk2] = auto_sync(desk2, *slow_pull)

    stores = {db: opened(db) for db in laptops}
    try:
        everyone = count(stores[coordinator], "SELECT count(*) FROM registrations")
        assert until(lambda: all(count(s, "SELECT count(*) FROM registrations") == everyone
                                 for s in stores.values()), 30) is not None, "the desks never got the names"
        taken = {}
        for db, (person, name, pass_code) in zip(laptops, passes(coordinator, 3)):
            fieldkit("checkin", pass_code, "--db", str(db))
            others = [s for other, s in stores.items() if other != db]
            taken[db.name] = until(lambda: all(count(s, "SELECT count(*) FROM checkins WHERE person_id = ?", person)
                                               for s in others), 10)
            assert taken[db.name] is not None, f"a check-in at {db.name} never reached the others"
            for other in laptops:
                assert "\tchecked in " in _found(other, person, name), other.name
        assert max(taken.values()) <= PROPAGATION_BUDGET, taken
        assert {count(s, "SELECT count(*) FROM checkins") for s in stores.values()} == {3}
    finally:
        for store in stores.values():
            store.close()

    for process in [*laptops.values(), stranger]:
        assert process.stop() == 0  # as Ctrl+C: what each knows of the others is saved
    # The other event's laptop was on the same interface the whole time: nobody knocked either way.
    assert not any("Found a laptop" in line for line in stranger.output())
    assert _status(other_event)["peers"] == []
    for db, process in laptops.items():
        assert sum("Found a laptop" in line for line in process.output()) == 2, (db.name, process.output())
        status = _status(db)
        assert {p["name"] for p in status["peers"] if p["last_sync"]} == {"coordinator", "desk-1", "desk-2"} - {
            status["laptop"]["name"]}
        # Nothing they held at the last handshake is missing here, and this laptop's check-in is known to be
        # held elsewhere. (What waits to go to a peer is as of the last session with it: with 30 s between
        # pulls, a change it got from a third laptop since is still counted.)
        assert all(p["to_receive"] == 0 for p in status["peers"]), status
        assert status["checkins_to_share"] == 0 and status["standing"].startswith("synced "), status
        assert not any("Traceback" in line for line in process.errors)


def test_a_laptop_killed_mid_sync_and_restarted_converges(tmp_path, auto_sync):
    coordinator = _event(tmp_path)
    desk = tmp_path / "desk.db"
    join = str(tmp_path / "j")
    fieldkit("device", "enroll", "desk-1", "--role", "practitioner", "--db", str(coordinator), "--out", join)
    fieldkit("init", "--join", join, "--db", str(desk))
    source = opened(coordinator)
    with source.transaction():  # enough to take several batches of 4,000
        for n in range(7000):
            person = source.set_record("people", None, {"display_name": f"Person {n}", "search_name": f"person {n}"})
            source.set_record("registrations", None, {"person_id": person, "source": "test"})
    total = count(source, "SELECT count(*) FROM changes")
    auto_sync(coordinator)
    receiving = auto_sync(desk)
    target = opened(desk)
    try:
        assert until(lambda: 0 < count(target, "SELECT count(*) FROM changes") < total, 60, step=0.005) is not None
        receiving.kill()
        partial = count(target, "SELECT count(*) FROM changes")
        assert 0 < partial < total, (partial, total)
        restarted = auto_sync(desk)
        assert until(lambda: count(target, "SELECT count(*) FROM changes") == total, 60) is not None
        assert count(target, "SELECT count(*) FROM people") == count(source, "SELECT count(*) FROM people")
        twice = "SELECT count(*) FROM (SELECT origin, seq FROM changes GROUP BY 1, 2 HAVING count(*) > 1)"
        assert count(target, twice) == 0
        restarted.wait_for("Synced with coordinator")
    finally:
        source.close()
        target.close()


def test_sync_auto_advertises_only_the_event_id_and_its_port(tmp_path, auto_sync):
    coordinator = _event(tmp_path)
    laptop = auto_sync(coordinator)
    reader = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    names: list[str] = []
    browser = ServiceBrowser(reader, SERVICE_TYPE, handlers=[lambda zeroconf, service_type, name, state_change:
                                                             names.append(name)])
    try:
        assert until(lambda: bool(names), 15, step=0.1) is not None
        infos = [info for info in (reader.get_service_info(SERVICE_TYPE, name, timeout=3000) for name in set(names))
                 if info is not None and info.port == laptop.port]
    finally:
        browser.cancel()
        reader.close()
    (info,) = infos
    assert set(info.properties) == {b"v", b"e"} and re.fullmatch(rb"[0-9a-f]{16}", info.properties[b"e"])
    assert re.fullmatch(r"[0-9a-f]{16}\._fieldkit\._tcp\.local\.", info.name)
    said = f"{info.name} {info.server} {info.text!r}".lower()
    assert "coordinator" not in said and "northside" not in said and "wellbeing" not in said
