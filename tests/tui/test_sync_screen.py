"""The sync screen (F5) and the header line, with the engine faked or real on 127.0.0.1."""

from __future__ import annotations

import functools
import re
import threading
import time

import pytest
from textual.widgets import DataTable, Static

from fieldkit.store import open_store
from fieldkit.tui.app import FieldKitApp
from sync.enroll import enroll_device, join_event
from sync.live import LiveSync
from sync.pairing import join_by_code
from sync.pairing_code import parse_code
from sync.standing import LIVE, PAUSED, PeerStanding, Progress, Standing, standing_of
from tests.conftest import PASSPHRASE
from tests.tui.footer import footer_actions

LOOPBACK = ["127.0.0.1"]


class FakeSync:
    """What the app asks of continuous sync, with a standing the test sets."""

    def __init__(self, standing: Standing, opener=None):
        self.standing = standing
        self.opener = opener
        self.interfaces = LOOPBACK
        self.port = None
        self.paused = False
        self.started = self.stopped = False
        self.nudged = 0

    def start(self):
        self.started = True
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped = True

    def status(self) -> Standing:
        return self.standing

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def nudge(self) -> None:
        self.nudged += 1


def peer(name: str, *, synced_ago: float | None, device_id: str | None = None, **kwargs) -> PeerStanding:
    now = time.time()
    at = None if synced_ago is None else now - synced_ago
    values = dict(device_id=device_id or f"device-{name}", name=name, role="desk", address="127.0.0.1:47801",
                  last_seen=at, last_sync=at, to_send=0, to_receive=0)
    return PeerStanding(**{**values, **kwargs})


def standing(*peers: PeerStanding, mode: str = LIVE, checkins: int = 0, progress: Progress | None = None) -> Standing:
    return Standing("desk-1", "coordinator", "FC6B D0CF 0865 7DBB", peers, checkins, checkins, mode=mode,
                    serving="0.0.0.0:47800", progress=progress)


def rows(app) -> dict[str, list[str]]:
    table = app.screen.query_one(DataTable)
    return {key.value: [str(cell) for cell in table.get_row(key)] for key in table.rows}


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_the_header_says_how_this_laptop_stands_and_keeps_saying_it(store):
    fake = FakeSync(standing(peer("desk-2", synced_ago=4), peer("desk-3", synced_ago=2)))
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert fake.started
        # The newest of the two syncs, in seconds (a busy machine may take a second to get here).
        assert re.fullmatch(r"synced [234] s ago with 2 laptops", app.sub_title)  # 80 columns: no room for the name
        await pilot.resize_terminal(120, 30)
        await pilot.pause(1.2)
        assert re.fullmatch(r"desk-1 \(coordinator\) \u00b7 synced \d s ago with 2 laptops", app.sub_title)
        fake.standing = standing(peer("desk-2", synced_ago=300), checkins=37)
        await pilot.pause(1.2)  # refreshed every second
        assert app.sub_title.endswith("offline: 37 check-ins to share")
        fake.standing = standing(mode=PAUSED, checkins=1)
        await pilot.pause(1.2)
        assert app.sub_title.endswith("sync paused: 1 check-in to share")
    assert fake.stopped


async def test_without_continuous_sync_the_header_is_unchanged_and_f5_reads_the_store(store):
    app = FieldKitApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        assert app.current_mode == "sync"
        assert app.sub_title == "desk-1 (coordinator)"
        assert "sync is off here" in text(app, "#sync-standing")
        assert "pause_or_resume" not in footer_actions(app) and "pair" not in footer_actions(app)
        assert text(app, "#sync-laptop").startswith("This laptop: desk-1 (coordinator)")


async def test_continuous_sync_is_made_by_the_app_with_the_reopening_function_and_after_unlocking(store, db_path):
    # `fieldkit app` passes how to make sync, not sync made: the app makes it once its first screen is up.
    made = []

    def make_sync(reopen):
        made.append(reopen)
        return FakeSync(standing(peer("desk-2", synced_ago=3)), opener=reopen)

    def reopen():
        return open_store(db_path, PASSPHRASE)

    app = FieldKitApp(store, make_sync=make_sync, reopen=reopen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert made == [reopen] and app.live_sync.started
        assert re.fullmatch(r"synced [345] s ago with 1 laptop", app.sub_title)
    assert app.live_sync.stopped
    store.close()
    app = FieldKitApp(database=db_path, make_sync=make_sync)  # the app asks for the passphrase
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert len(made) == 1 and app.live_sync is None  # nothing before the database is open
        app.screen.query_one("#unlock-passphrase").value = PASSPHRASE
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(made) == 2 and app.live_sync.started
        again = made[1]()  # the unlock screen's opener: the same database, its own connection
        assert again.device_id == app.store.device_id and again is not app.store
        again.close()
    assert app.live_sync.stopped
    # Sync made after the first screen, when the app has quit before that: never made, so never left running.
    app.live_sync = None
    app._start_sync()
    assert len(made) == 2 and app.live_sync is None


async def test_f5_shows_each_laptop_its_state_and_what_waits_each_way(store):
    fake = FakeSync(standing(
        peer("desk-2", synced_ago=3, to_send=0, to_receive=0),
        peer("practitioner-1", synced_ago=None, to_send=None, to_receive=None, role="practitioner", address=""),
        peer("desk-3", synced_ago=600, to_send=12, to_receive=3, problem="Could not reach 127.0.0.1:47803."),
    ))
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        assert "CA fingerprint FC6B D0CF 0865 7DBB" in text(app, "#sync-laptop")
        assert re.fullmatch(r"Synced \d s ago with 1 laptop", text(app, "#sync-standing"))
        shown = rows(app)
        assert shown["device-desk-2"][:3] == ["desk-2", "desk", "in step"]
        assert shown["device-practitioner-1"][2:] == ["not seen yet", "never", "never", "-", "-"]
        assert shown["device-desk-3"][2] == "trying again" and shown["device-desk-3"][-2:] == ["12", "3"]
        assert text(app, "#sync-detail") == "desk-2 at 127.0.0.1:47801: in step."
        await pilot.press("down", "down")
        assert text(app, "#sync-detail").endswith("Last try: Could not reach 127.0.0.1:47803.")
        assert not app.screen.query_one("#sync-progress").display


async def test_long_laptop_names_leave_send_and_get_on_80_columns(store):
    long_name = "practitioner-room-upstairs-by-the-lift"  # 38 of the 40 a name may have
    fake = FakeSync(standing(
        peer(long_name, synced_ago=None, to_send=1234, to_receive=567, role="practitioner"),
        peer("desk-2", synced_ago=3),
    ))
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.virtual_size.width <= table.region.width  # every column whole, none scrolled off
        shown = rows(app)[f"device-{long_name}"]
        assert shown[0] == "practitioner-room\u2026" and shown[-2:] == ["1,234", "567"]
        assert text(app, "#sync-detail").startswith(long_name + " at ")  # the whole name, below the table


async def test_a_first_sync_shows_a_progress_bar(store):
    fake = FakeSync(standing(progress=Progress("desk-2", 4000, 10000, first=True)))
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.query_one("#sync-progress").display
        assert text(app, "#sync-progress-label").startswith("First sync with desk-2: 4,000 of 10,000")
        fake.standing = standing(peer("desk-2", synced_ago=0.2))
        await pilot.pause(1.2)
        assert not app.screen.query_one("#sync-progress").display


async def test_p_pauses_and_resumes(store):
    fake = FakeSync(standing())
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", "p")
        assert fake.paused
        await pilot.press("p")
        assert not fake.paused


async def test_a_desk_has_f5_but_cannot_pair_or_revoke(store, tmp_path):
    desk = join_event(tmp_path / "desk.db", PASSPHRASE, enroll_device(store, "desk-2", "desk"))
    try:
        app = FieldKitApp(desk, live_sync=FakeSync(standing()))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f5")
            assert app.current_mode == "sync"
            actions = footer_actions(app)
            assert "pause_or_resume" in actions and "pair" not in actions and "revoke" not in actions
    finally:
        desk.close()


async def test_revoking_a_laptop_asks_first_then_revokes_it(store):
    enroll_device(store, "desk-2", "desk")
    fake = FakeSync(standing())
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        fake.standing = standing_of(store, mode=LIVE)  # the roster's desk-2, never seen
        await pilot.pause(1.2)
        await pilot.press("r")
        assert app.screen.query_one("#confirm-title", Static).render().plain == "Revoke desk-2?"
        await pilot.press("escape")  # Back: nothing revoked
        assert store.db.execute("SELECT count(*) FROM device_revocations").fetchone()[0] == 0
        await pilot.press("r")
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert store.db.execute("SELECT count(*) FROM device_revocations").fetchone()[0] == 1
        assert fake.nudged == 1
        fake.standing = standing_of(store, mode=LIVE)  # what the engine says next
        await pilot.pause(1.2)
        assert [row[2] for row in rows(app).values()] == ["revoked"]


async def _pair_from_the_screen(pilot, app, name: str) -> str:
    """N, the desk role, a name, Enter: the code the screen then shows."""
    await pilot.press("f5", "n", "2")
    for key in name:
        await pilot.press(key)
    await pilot.press("enter")
    for _ in range(200):
        await pilot.pause(0.05)
        if app.screen.query_one("#sync-pairing").display and text(app, "#sync-pairing-code").startswith("Pairing"):
            return text(app, "#sync-pairing-code").split(": ", 1)[1]
    pytest.fail("the sync screen showed no pairing code")


async def test_a_coordinator_pairs_a_laptop_from_the_sync_screen(store, db_path, tmp_path):
    fake = FakeSync(standing(), opener=functools.partial(open_store, db_path, PASSPHRASE))
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        code = await _pair_from_the_screen(pilot, app, "desk-9")
        assert "\u2588" in text(app, "#sync-pairing-qr")
        assert not app.screen.query_one(DataTable).display
        joined = {}
        laptop = threading.Thread(target=lambda: joined.update(e=join_by_code(parse_code(code), interfaces=LOOPBACK)))
        laptop.start()
        for _ in range(300):
            await pilot.pause(0.05)
            if not laptop.is_alive() and not app.screen.query_one("#sync-pairing").display:
                break
        laptop.join(5)
        assert joined["e"].bundle["device_name"] == "desk-9"
        assert any(str(n.message).startswith("Paired desk-9 (desk).") for n in app._notifications)
        assert app.screen.query_one(DataTable).display
        assert fake.nudged == 1
        assert "desk-9" in [r[0] for r in store.db.execute("SELECT name FROM devices")]


async def test_escape_cancels_a_pairing_and_nobody_is_enrolled(store, db_path):
    fake = FakeSync(standing(), opener=functools.partial(open_store, db_path, PASSPHRASE))
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _pair_from_the_screen(pilot, app, "desk-8")
        await pilot.press("escape")
        for _ in range(100):  # the worker ends within its 0.1 s wait: not awaited, it fails on purpose
            await pilot.pause(0.05)
            if not app.screen.query_one("#sync-pairing").display:
                break
        assert not app.screen.query_one("#sync-pairing").display
        assert any("Pairing cancelled" in str(n.message) for n in app._notifications)
        assert "desk-8" not in [r[0] for r in store.db.execute("SELECT name FROM devices")]


async def test_with_real_continuous_sync_the_screen_and_header_show_the_other_laptop(store, db_path, tmp_path):
    desk_db = tmp_path / "desk.db"
    join_event(desk_db, PASSPHRASE, enroll_device(store, "desk-2", "desk")).close()
    mine = LiveSync(functools.partial(open_store, db_path, PASSPHRASE), interfaces=LOOPBACK, port=0)
    desk = LiveSync(functools.partial(open_store, desk_db, PASSPHRASE), interfaces=LOOPBACK, port=0).start()
    try:
        app = FieldKitApp(store, live_sync=mine)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f5")
            for _ in range(150):
                await pilot.pause(0.1)
                if app.sub_title.endswith("with 1 laptop"):
                    break
            assert "synced" in app.sub_title and app.sub_title.endswith("with 1 laptop"), app.sub_title
            await pilot.pause(1.2)
            (row,) = rows(app).values()
            assert row[:3] == ["desk-2", "desk", "in step"] or row[2] == "syncing"
            assert text(app, "#sync-laptop").endswith(f"serving on 127.0.0.1:{mine.port}")
        assert not mine.running
    finally:
        desk.stop()


async def test_a_pass_scanned_on_the_sync_screen_triggers_nothing(store):
    fake = FakeSync(standing())
    app = FieldKitApp(store, live_sync=fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", *"FK1:PNRQ7XPNR", "enter")
        await pilot.pause()
        assert not fake.paused and app.current_mode == "sync" and len(app.screen_stack) == 1


async def test_offline_the_sync_screen_does_not_offer_a_key_that_does_nothing(store):
    # `fieldkit app --offline`: no live sync, so no pairing; the hint said "N pairs one" anyway.
    app = FieldKitApp(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        detail = str(app.screen.query_one("#sync-detail", Static).render())
        assert "pairing needs live sync (start the app without --offline)" in detail and "N pairs" not in detail
        assert "pair" not in footer_actions(app)
