"""What each mode looks like at 80x24 with the demo event, so a layout change is seen in review.

Update after looking at the diff: `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from fieldkit.checkin.passes import pass_token
from fieldkit.event.demo import DEMO_PASSPHRASE, make_demo
from fieldkit.store import open_store
from fieldkit.tui.app import FieldKitApp

SIZE = (80, 24)
# make_demo starts the event on the hour before it is made: 10:00, as the sample template has it.
DEMO_MADE_AT = datetime(2026, 12, 5, 11, 0, tzinfo=timezone.utc)
# The demo event's morning: every time on screen is the same on every run.
NOW_MS = int(datetime(2026, 12, 5, 10, 30, tzinfo=timezone.utc).timestamp() * 1000)


class StillApp(FieldKitApp):
    """The real app without a blinking cursor, so two renders are the same picture."""

    def on_mount(self) -> None:
        # Textual calls FieldKitApp.on_mount itself (handlers run for each class): no super().
        for widget in self.query("Input"):
            widget.cursor_blink = False


@pytest.fixture
def demo(tmp_path):
    store = open_store(make_demo(tmp_path, now=DEMO_MADE_AT), DEMO_PASSPHRASE, wall=lambda: NOW_MS)
    yield store
    store.close()


async def _still(pilot) -> None:
    # A busy machine may still be mounting the mode: wait until it has settled, then still the cursor.
    await pilot.app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False
    await pilot.pause()


async def _quiet(pilot) -> None:
    """Settled, and without the demo's passphrase notice (the home picture keeps it)."""
    await _still(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("keys", [[], ["f2"], ["f3"], ["f4"]], ids=["home", "checkin", "intake", "referrals"])
def test_each_mode_at_80x24(snap_compare, demo, keys):
    assert snap_compare(StillApp(demo), terminal_size=SIZE, press=keys, run_before=_still if not keys else _quiet)


def _registration(store, name: str) -> str:
    return store.db.execute(
        "SELECT r.id FROM registrations r JOIN people p ON p.id = r.person_id WHERE p.display_name = ?", [name]
    ).fetchone()[0]


def _scans(*codes):
    """Open check-in and scan `codes` (callables of the store), each as a scanner would: the
    code in the box, then Enter. The result stays (no return to Ready while the picture is taken)."""

    async def run_before(pilot) -> None:
        await pilot.press("f2")
        await _quiet(pilot)
        screen = pilot.app.screen
        screen.result_seconds = 600
        screen.desk.double_scan_window = type(screen.desk.double_scan_window)(0)
        for code in codes:
            screen.box.value = code(pilot.app.store)
            await pilot.press("enter")
            await pilot.pause()
        await _still(pilot)

    return run_before


def ana(store) -> str:
    return pass_token(store, _registration(store, "Ana Silva"))


@pytest.mark.parametrize(
    "codes",
    [(), (ana,), (ana, ana), (lambda store: "FK1:NOPE",)],
    ids=["ready", "admitted", "already_in", "refused"],
)
def test_checkin_results_at_80x24(snap_compare, demo, codes):
    assert snap_compare(StillApp(demo), terminal_size=SIZE, run_before=_scans(*codes))


async def _survey_with_ticks(pilot) -> None:
    await pilot.press("f3")
    await _quiet(pilot)
    await pilot.press("enter", "f10")  # an anonymous timer, then its survey
    await pilot.pause()
    await pilot.press("4", "2", "4", "1", "3")  # three answers, then Stress and Family ticked
    # Not _still: the survey runs inside the intake screen's dialog worker until it closes.
    for _ in range(3):
        await pilot.pause()
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False
    await pilot.pause()


def test_survey_with_ticks_at_80x24(snap_compare, demo):
    assert snap_compare(StillApp(demo), terminal_size=SIZE, run_before=_survey_with_ticks)
