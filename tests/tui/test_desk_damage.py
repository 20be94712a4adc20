"""A damaged database met by the check-in screen's own timed work is one sentence, not a traceback."""

from __future__ import annotations

from fieldkit.checkin.passes import pass_token
from fieldkit.store import open_store
from fieldkit.tui.screens.checkin import CheckinScreen
from tests.conftest import PASSPHRASE
from tests.tui.test_checkin_screen import (  # noqa: F401 (imported: a fixture)
    SIZE,
    RecordingApp,
    imported,
    open_checkin,
    registration_of,
    result_of,
    scan,
)

PAGE = 4096


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_damaged_page_read_while_warming_is_told_once_and_the_desk_goes_on(imported, db_path):
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    (root,) = imported.db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'people'").fetchone()
    imported.close()
    with open(db_path, "r+b") as handle:  # four bytes of the people's page, as a failing disk leaves them
        handle.seek((root - 1) * PAGE + 300)
        handle.write(b"\x01\x02\x03\x04")
    app = RecordingApp(open_store(db_path, PASSPHRASE))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        for _ in range(60):  # the screen warms its cache a statement a turn, names included
            if screen.warmed:
                break
            await pilot.pause(0.05)
        told = [n for n in notices(app) if "is damaged" in n]
        assert len(told) == 1 and "fieldkit check --db" in told[0]
        await scan(pilot, token)  # the scan needs the person's name: it says so too
        assert "is damaged" in result_of(screen) and screen.result_panel.state == "refused"
        await pilot.pause(0.3)  # the side panel follows, and meets the damage again: not told twice
        assert isinstance(app.screen, CheckinScreen) and app.is_running
        assert len([n for n in notices(app) if "is damaged" in n]) == 1
