"""The continuous-sync engine in process on 127.0.0.1: push, pull, back-off, pause, what it remembers, pairing."""

from __future__ import annotations

import functools
import re
import socket
import time

import pytest
from live_kit import until
from test_discovery import flood

from fieldkit.event import create_event
from fieldkit.store import open_store
from sync import discovery
from sync.enroll import enroll_device, join_event
from sync.live import LiveSync
from sync.pairing import join_by_code
from sync.pairing_host import PairingHost
from sync.peers import META_KEY, PeerRecord, load_peers, save_peers
from sync.standing import LIVE, PAUSED, PeerStanding, Standing, ago, standing_of
from sync.transport import sync_with

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def event(tmp_path, template):
    """(coordinator path, desk path): a plain-SQLite event (fast to open) and an enrolled desk."""
    coordinator = create_event(tmp_path / "coordinator.db", template, None)
    join_event(tmp_path / "desk.db", None, enroll_device(coordinator, "desk-2", "desk")).close()
    coordinator.close()
    return tmp_path / "coordinator.db", tmp_path / "desk.db"


@pytest.fixture
def engines():
    """engine(path, **options) -> a started LiveSync without mDNS (peers added by address); all stopped after."""
    started = []

    def _engine(path, **options) -> LiveSync:
        options = {"discover": False, "port": 0, "interfaces": LOOPBACK, **options}
        engine = LiveSync(functools.partial(open_store, path, None), **options).start()
        started.append(engine)
        assert engine.wait_ready(30) and not engine.problem, engine.problem
        return engine

    yield _engine
    for engine in started:
        engine.stop()


def _dead_ports(count: int) -> list[int]:
    """Ports of 127.0.0.1 where nothing listens (bound, then closed): a connection there is refused."""
    ports = []
    for _ in range(count):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            ports.append(closed.getsockname()[1])
    return ports


def _person(path, name: str) -> str:
    store = open_store(path, None)
    try:
        return store.set_record("people", None, {"display_name": name, "search_name": name.lower()})
    finally:
        store.close()


def _has(path, person: str) -> bool:
    store = open_store(path, None)
    try:
        return store.db.execute("SELECT 1 FROM people WHERE id = ?", [person]).fetchone() is not None
    finally:
        store.close()


def test_a_write_is_pushed_at_once_without_waiting_for_the_pull(event, engines):
    coordinator, desk = event
    slow = {"pull_seconds": 60.0}
    a, b = engines(coordinator, **slow), engines(desk, **slow)
    a.add_peer("127.0.0.1", b.port)
    assert until(lambda: a.status().in_step(time.time()), 10) is not None  # the first sync, at once
    person = _person(coordinator, "Ana")  # another connection, as the app or `fieldkit checkin` writes
    assert until(lambda: _has(desk, person), 2.0) is not None


def test_the_pull_brings_what_the_other_laptop_did_not_push(event, engines):
    coordinator, desk = event
    a = engines(coordinator, pull_seconds=60.0)  # knows nobody, so pushes to nobody
    b = engines(desk, pull_seconds=0.5)
    b.add_peer("127.0.0.1", a.port)
    assert until(lambda: b.status().in_step(time.time()), 10) is not None
    person = _person(coordinator, "Ben")
    assert until(lambda: _has(desk, person), 3.0) is not None


def test_a_laptop_that_does_not_answer_is_tried_again_less_and_less_often(event, engines):
    coordinator, _ = event
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once closed
    notes = []
    engine = engines(coordinator, backoff=(0.1, 0.4), on_note=notes.append)
    engine.add_peer("127.0.0.1", port)
    time.sleep(2.0)
    (target,) = engine.peers._targets.values()
    # 0.1 + 0.2 + 0.4 + 0.4 ... (+/- 20%): about 6 tries in 2 s, not one every tick.
    assert 3 <= target.failures <= 9, target.failures
    assert sum("Could not sync with 127.0.0.1" in n for n in notes) == 1  # said once, not at every try
    assert "Could not reach" in target.problem


def test_fake_mdns_records_are_set_aside_so_a_real_laptop_is_found_while_they_stay(event, engines, monkeypatch):
    monkeypatch.setattr(discovery, "MAX_PEERS", 3)  # 64 in use: the same, only slower to fill
    coordinator, desk = event
    options = {"discover": True, "backoff": (0.1, 0.4), "set_aside_seconds": 120.0}
    a = engines(coordinator, **options)
    dead = _dead_ports(3)
    stranger = flood(a.discovery.tag, dead)  # the event id read off a's own record
    try:
        assert until(lambda: len(a.discovery.peers()) == 3, 30) is not None  # (bounds, not budgets: a loaded CI)
        b = engines(desk, **options)
        # Each fake is refused 3 times, set aside, its worker ends; the real laptop waiting takes the slot.
        assert until(lambda: b.port in [s.port for s in a.discovery.peers()], 40) is not None
        assert until(lambda: a.port in [s.port for s in b.discovery.peers()], 40) is not None
        assert until(lambda: a.status().in_step(time.time()) and b.status().in_step(time.time()), 20) is not None
        assert until(lambda: sorted(t.port for t in a.peers._targets.values()) == [b.port], 10) is not None
        assert until(lambda: len(a.discovery._aside) == 3 and a.discovery._waiting == {}, 20) is not None
    finally:
        stranger.close()


def test_a_laptop_that_synced_here_before_keeps_its_place_when_it_does_not_answer(event, engines):
    coordinator, _ = event
    known, unknown = _dead_ports(2)
    store = open_store(coordinator, None)
    try:
        save_peers(store, {"D1": PeerRecord("D1", "desk-2", "desk", f"127.0.0.1:{known}", 10.0, 12.0)})
    finally:
        store.close()
    engine = engines(coordinator, backoff=(0.05, 0.1))
    given_up: list[str] = []
    engine.peers._on_unreached = given_up.append  # what would set the sighting aside in discovery
    engine.add_peer("127.0.0.1", known)
    engine.add_peer("127.0.0.1", unknown)
    assert until(lambda: len(given_up) >= 2, 5) is not None  # asked at every failure from the third on
    assert set(given_up) == {f"127.0.0.1:{unknown}"}
    assert all(t.failures >= 3 for t in engine.peers._targets.values())


def test_pausing_stops_sessions_both_ways_and_resuming_catches_up(event, engines):
    coordinator, desk = event
    a, b = engines(coordinator, pull_seconds=0.5), engines(desk, pull_seconds=0.5, backoff=(0.2, 0.5))
    a.add_peer("127.0.0.1", b.port)
    b.add_peer("127.0.0.1", a.port)
    assert until(lambda: a.status().in_step(time.time()), 10) is not None
    a.pause()
    assert until(lambda: a.status().mode == PAUSED, 2) is not None
    assert a.status().sentence(time.time()).startswith("sync paused: ")
    person = _person(desk, "Cleo")
    time.sleep(1.5)
    assert not _has(coordinator, person)  # b knocks, and is told a is busy
    a.resume()
    assert until(lambda: _has(coordinator, person), 5) is not None
    assert until(lambda: a.status().mode == LIVE, 2) is not None


def test_what_it_knows_of_the_peers_is_saved_and_read_back_by_sync_status(event, engines):
    coordinator, desk = event
    a, b = engines(coordinator), engines(desk)
    a.add_peer("127.0.0.1", b.port)
    assert until(lambda: a.status().in_step(time.time()), 10) is not None
    a.stop()
    b.stop()
    _person(coordinator, "Dee")  # made after the last sync: waiting to go to desk-2
    store = open_store(coordinator, None)
    try:
        (desk_2,) = standing_of(store).peers
    finally:
        store.close()
    assert desk_2.name == "desk-2" and desk_2.role == "desk" and desk_2.last_sync is not None
    assert desk_2.address == f"127.0.0.1:{b.port}"
    assert (desk_2.to_send, desk_2.to_receive) == (1, 0)


def test_a_laptop_paired_into_a_running_engine_makes_its_first_sync_with_it(event, engines, tmp_path):
    coordinator, _ = event
    engine = engines(coordinator)
    store = open_store(coordinator, None)
    try:
        with PairingHost(store, "desk-3", "desk", interfaces=LOOPBACK, sync_port=engine.port, advertise=False) as host:
            enrollment = join_by_code(host.code, interfaces=LOOPBACK)
            host.wait()
    finally:
        store.close()
    laptop = join_event(tmp_path / "desk-3.db", None, enrollment.bundle)
    try:
        summary = sync_with(laptop, enrollment.host, enrollment.sync_port)
    finally:
        laptop.close()
    assert summary.peer_name == "coordinator" and summary.received > 0
    assert until(lambda: any(p.name == "desk-3" and p.last_sync for p in engine.status().peers), 3) is not None


def test_a_port_in_use_is_one_sentence(event, engines):
    coordinator, _ = event
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        engine = LiveSync(functools.partial(open_store, coordinator, None), discover=False, port=port,
                          interfaces=LOOPBACK).start()
        assert engine.wait_ready(30)
        engine.stop()
    assert engine.problem == (f"Port {port} is already in use on this laptop: choose another --port, "
                              "or stop the other sync there.")
    assert engine.status().sentence(time.time()) == "offline: sync could not start (F5 says why)"


def test_peer_records_round_trip_and_a_damaged_one_is_forgotten(event):
    coordinator, _ = event
    store = open_store(coordinator, None)
    try:
        record = PeerRecord("D1", "desk-2", "desk", "127.0.0.1:1", 10.0, 12.0, {"A": 3}, {"A": 2})
        save_peers(store, {"D1": record})
        assert load_peers(store) == {"D1": record}
        assert record.waiting({"A": 5, "B": 1}) == (3, 0)
        store.set_meta(META_KEY, "{not json")
        assert load_peers(store) == {}
    finally:
        store.close()


@pytest.mark.parametrize("seconds, words", [(0.4, "just now"), (4.2, "4 s ago"), (185, "3 min ago"), (7300, "2 h ago")])
def test_ago_in_words(seconds, words):
    assert ago(seconds) == words


def test_the_header_sentence():
    now = 1_000_000.0

    def peer(ago_s, **kwargs):
        return PeerStanding("d", "desk-2", "desk", "", now - ago_s, now - ago_s, 0, 0, **kwargs)

    def standing(*peers, checkins=0, changes=0, mode=LIVE):
        return Standing("me", "desk", "F", peers, checkins, changes, mode=mode)

    assert standing(peer(4), peer(9)).sentence(now) == "synced 4 s ago with 2 laptops"
    assert standing(peer(4), peer(60)).sentence(now) == "synced 4 s ago with 1 laptop"
    assert standing(peer(4, problem="Could not reach it.")).sentence(now) == "offline: nothing to share"
    assert standing(peer(60), checkins=37, changes=40).sentence(now) == "offline: 37 check-ins to share"
    assert standing(checkins=0, changes=2).sentence(now) == "offline: 2 changes to share"
    assert standing(peer(4), checkins=1, mode=PAUSED).sentence(now) == "sync paused: 1 check-in to share"


def test_sync_status_says_it_in_text_and_the_app_runs_sync_unless_offline(event, engines, monkeypatch):
    from click.testing import CliRunner

    from fieldkit.cli import main
    from fieldkit.tui.app import FieldKitApp

    coordinator, desk = event
    a, b = engines(coordinator), engines(desk)
    a.add_peer("127.0.0.1", b.port)
    assert until(lambda: a.status().in_step(time.time()), 10) is not None
    a.stop()
    said = CliRunner().invoke(main, ["sync", "status", "--db", str(coordinator), "--unencrypted"])
    lines = said.output.splitlines()
    assert said.exit_code == 0 and lines[0].startswith("This laptop: coordinator (coordinator), event CA fingerprint ")
    assert re.fullmatch(r"Standing: +synced (just now|\d s ago) with 1 laptop", lines[1])
    assert lines[2].split() == ["Laptop", "Role", "Address", "Last", "seen", "Last", "sync", "To", "send", "To", "get",
                                "State"]
    assert lines[3].split()[:3] == ["desk-2", "desk", f"127.0.0.1:{b.port}"] and lines[3].endswith("in step")

    opened_with = []
    monkeypatch.setattr(FieldKitApp, "run", lambda app: opened_with.append((app.make_sync, app.reopen)))
    for offline in ([], ["--offline"]):
        CliRunner().invoke(main, ["app", "--db", str(desk), "--unencrypted", "--interface", "127.0.0.1", *offline])
    (make_sync, reopen), (none, _) = opened_with
    live = make_sync(reopen)  # as the app does once its first screen is drawn
    assert isinstance(live, LiveSync) and live.interfaces == LOOPBACK and not live.running and none is None
