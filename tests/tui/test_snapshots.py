"""What each mode looks like at 80x24 with the demo event, so a layout change is seen in review.

Update after looking at the diff: `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from fieldkit.cli.event import DEMO_PASSPHRASE, make_demo
from fieldkit.store import open_store
from fieldkit.tui.app import FieldKitApp

SIZE = (80, 24)
# The demo event's morning: every time on screen is the same on every run.
NOW_MS = int(datetime(2026, 12, 5, 10, 30, tzinfo=timezone.utc).timestamp() * 1000)


class StillApp(FieldKitApp):
    """The real app without a blinking cursor, so two renders are the same picture."""

    def on_mount(self) -> None:
        super().on_mount()
        for widget in self.query("Input"):
            widget.cursor_blink = False


@pytest.fixture
def demo(tmp_path):
    store = open_store(make_demo(tmp_path), DEMO_PASSPHRASE, wall=lambda: NOW_MS)
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


@pytest.mark.parametrize("keys", [[], ["f2"], ["f3"], ["f4"]], ids=["home", "checkin", "intake", "referrals"])
def test_each_mode_at_80x24(snap_compare, demo, keys):
    assert snap_compare(StillApp(demo), terminal_size=SIZE, press=keys, run_before=_still)
