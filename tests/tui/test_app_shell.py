"""The app shell: header, home screen with the event, quit."""

from __future__ import annotations

from textual.widgets import Static

from fieldkit.people.importer import import_registrations
from fieldkit.tui.app import FieldKitApp
from tests.conftest import SAMPLE_EVENTS


async def test_home_screen_shows_the_event(store):
    import_registrations(store, SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    app = FieldKitApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.title == "Northside Wellbeing Pop-up"
        assert "desk-1" in app.sub_title
        screen = app.screen
        assert "Northside Wellbeing Pop-up" in str(screen.query_one("#event-name", Static).render())
        details = str(screen.query_one("#event-details", Static).render())
        assert "St Aidan's Community Hall" in details and "Europe/London" in details
        assert "Registered: 44" in str(screen.query_one("#event-counts", Static).render())
        assert app.return_code is None
        await pilot.press("ctrl+q")
        # Checked inside the test harness: leaving it would end the app whatever the key did.
        assert app.return_code == 0
