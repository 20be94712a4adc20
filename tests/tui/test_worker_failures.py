"""A failure in background work is one sentence on screen, and the app keeps running."""

from __future__ import annotations

import sqlite3

from textual import work
from textual.widgets import Static

from fieldkit.errors import Refused
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.base import FieldKitScreen


class Failing(FieldKitScreen):
    def compose(self):
        yield Static("failing")

    @work(thread=True, exit_on_error=False)
    def broken_database(self) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    @work(exit_on_error=False)
    async def refused(self) -> None:
        raise Refused("demo", "The printer is out of paper: load paper and press F9 again.")


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def settle(pilot, app, count: int) -> None:
    """Wait (bounded) until `count` notices are up; the failed worker is not awaited, it failed."""
    for _ in range(100):
        if len(notices(app)) >= count:
            return
        await pilot.pause(0.02)


async def test_a_database_error_in_a_worker_is_a_sentence_and_the_app_runs_on(store):
    app = FieldKitApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Failing()
        await app.push_screen(screen)
        screen.broken_database()
        await settle(pilot, app, 1)
        assert app.is_running
        (said,) = notices(app)
        assert "did not finish" in said and "database disk image is malformed" in said
        screen.refused()
        await settle(pilot, app, 2)
        assert notices(app)[-1] == "The printer is out of paper: load paper and press F9 again."
        await pilot.press("f1")  # still answering keys
        assert app.current_mode == "home"


async def test_the_intake_dialog_workers_do_not_quit_the_app_on_a_database_error(store, monkeypatch):
    from fieldkit.tui.screens import intake

    app = FieldKitApp(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, intake.IntakeScreen)

        def broken(*args, **kwargs):
            raise sqlite3.DatabaseError("database disk image is malformed")

        monkeypatch.setattr(screen, "_selected_run", broken)
        screen.action_consent()  # a dialog worker: it reads the selected timer first
        await settle(pilot, app, 1)
        assert app.is_running
        assert any("database disk image is malformed" in n for n in notices(app))
