"""A scanner types wherever focus happens to be: into a dialog, a list, a form. What an audit
found it did there (checked in the wrong person, answered a survey, stopped a timer, pressed
"Start another"), and that a scan now goes where passes are read or is refused in words."""

from __future__ import annotations

import asyncio
import contextlib

from textual import events
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, OptionList

from fieldkit.checkin.passes import pass_token
from fieldkit.tui.scan_guard import DROPPED, HOLD_SECONDS
from fieldkit.tui.screens.intake import IntakeScreen
from fieldkit.tui.widgets.choice_dialog import ChoiceDialog
from fieldkit.tui.widgets.confirm import ConfirmScreen
from tests.tui.test_checkin_screen import SIZE, RecordingApp, imported, open_checkin, registration_of, result_of  # noqa: F401

PEOPLE_MATCHING_MAR = ("Marek Dvořák", "Μαρία Κωνσταντίνου")


class NotingApp(RecordingApp):
    """The real app, keeping the notifications it shows."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []

    def notify(self, message: str, **kwargs) -> None:
        self.notes.append(message)
        super().notify(message, **kwargs)


async def scanner(pilot, text: str, *, enter: bool = True) -> None:
    """As a USB scanner types: every key at once through the terminal driver, then Enter."""
    app = pilot.app
    for char in text:
        app._driver.send_message(events.Key("colon" if char == ":" else char, char))
    if enter:
        app._driver.send_message(events.Key("enter", "\r"))
    await pilot.pause(0.3)


def checked_in(store) -> list[str]:
    return [row[0] for row in store.db.execute(
        "SELECT p.display_name FROM checkins c JOIN registrations r ON r.id = c.registration_id"
        " JOIN people p ON p.id = r.person_id ORDER BY c.checked_in_at"
    )]


def token_of(store, name: str) -> str:
    return pass_token(store, registration_of(store, name))


@contextlib.asynccontextmanager
async def at_the_desk(store):
    """(app, pilot, check-in screen): the real app on the check-in screen, its box focused."""
    app = NotingApp(store)
    async with app.run_test(size=SIZE) as pilot:
        yield app, pilot, await open_checkin(pilot)


async def test_a_pass_scanned_while_the_who_is_here_list_is_open_checks_in_nobody(imported):
    # Before: the "1" of FK1: picked the first name, and the rest became a walk-in's name.
    async with at_the_desk(imported) as (app, pilot, screen):
        await pilot.press(*"mar", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await scanner(pilot, token_of(imported, "Ana Silva"))
        assert isinstance(app.screen, ChoiceDialog) and checked_in(imported) == []
        assert app.notes[-1] == DROPPED and app.bells == 1
        await pilot.press("escape")
        await pilot.pause()
        await scanner(pilot, token_of(imported, "Ana Silva"))  # scanned again, as told
        assert checked_in(imported) == ["Ana Silva"] and result_of(screen) == "Welcome, Ana Silva: checked in"


async def test_a_pass_scanned_with_the_match_list_focused_admits_its_holder_not_the_highlighted_name(imported):
    async with at_the_desk(imported) as (app, pilot, screen):
        await pilot.press(*"mar", "tab")
        await pilot.pause()
        assert isinstance(app.focused, OptionList)
        await scanner(pilot, token_of(imported, "Ana Silva"))
        assert checked_in(imported) == ["Ana Silva"] and result_of(screen) == "Welcome, Ana Silva: checked in"
        assert screen.box.has_focus


async def test_a_code_whose_enter_was_lost_gives_way_to_the_next_scan(imported):
    async with at_the_desk(imported) as (app, pilot, screen):
        await scanner(pilot, token_of(imported, "Ana Silva"), enter=False)
        await scanner(pilot, token_of(imported, "Marek Dvořák"))
        assert checked_in(imported) == ["Marek Dvořák"] and app.bells == 0
        assert result_of(screen) == "Welcome, Marek Dvořák: checked in"


async def test_a_name_and_f8_in_one_burst_register_that_name(imported):
    async with at_the_desk(imported) as (app, pilot, screen):
        for char in "Wanjiru Kamau":
            app._driver.send_message(events.Key("space" if char == " " else char, char))
        app._driver.send_message(events.Key("f8", None))
        await pilot.pause(0.3)
        assert result_of(screen).startswith("Welcome, Wanjiru Kamau") and checked_in(imported) == ["Wanjiru Kamau"]


async def test_f8_on_an_empty_box_is_a_hint_not_a_refusal(imported):
    async with at_the_desk(imported) as (app, pilot, screen):
        await pilot.press("f8")
        await pilot.pause()
        assert result_of(screen) == "Type the person's name first, then press F8 (F9: with a pass to print)."
        assert app.bells == 0 and "DO NOT ADMIT" not in str(screen.result_panel.render())


async def test_a_letter_f_typed_into_the_command_palette_still_arrives(imported):
    # The key a pass begins with is held back a moment wherever focus is not a scan box: a
    # person typing it sees it arrive, in order with the keys after it.
    async with at_the_desk(imported) as (app, pilot, _screen):
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await pilot.press(*"Fo", "x")
        await asyncio.sleep(HOLD_SECONDS * 3)
        await pilot.pause()
        assert palette.query_one(Input).value == "Fox"


async def test_f_keys_over_the_command_palette_close_it_and_ctrl_p_opens_it_again(imported):
    # Before: F1 left the palette open behind the next mode, and the next Ctrl+P ended the app.
    async with at_the_desk(imported) as (app, pilot, _screen):
        await pilot.press("ctrl+p", "f1", "ctrl+p")
        await pilot.pause()
        assert app.is_running and app.current_mode == "home" and isinstance(app.screen, CommandPalette)
        assert [type(s).__name__ for s in app.screen_stack].count("CommandPalette") == 1


async def intake(pilot) -> IntakeScreen:
    await pilot.press("f3")
    await pilot.pause()
    assert isinstance(pilot.app.screen, IntakeScreen)
    return pilot.app.screen


def timers(store) -> int:
    return store.db.execute("SELECT count(DISTINCT timer_id) FROM intent_timer_events").fetchone()[0]


async def test_at_intake_a_scan_answers_no_survey_and_stops_no_timer(imported):
    app = NotingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await intake(pilot)
        await scanner(pilot, token_of(imported, "Ana Silva"))
        assert timers(imported) == 1
        await pilot.press("ctrl+e")  # the stop list for the selected timer
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await scanner(pilot, token_of(imported, "Marek Dvořák"))
        assert isinstance(app.screen, ChoiceDialog) and app.notes[-1] == DROPPED
        assert imported.db.execute("SELECT count(*) FROM intent_timer_events WHERE kind = 'stop'").fetchone()[0] == 0
        await pilot.press("escape")
        await pilot.pause()
        screen.query_one("#intake-timers", DataTable).focus()  # a timer picked with Tab, Up/Down
        await scanner(pilot, token_of(imported, "Marek Dvořák"))
        assert timers(imported) == 2 and isinstance(app.screen, IntakeScreen)


async def test_at_intake_a_double_read_starts_one_timer_and_asks_nothing(imported):
    app = NotingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        await intake(pilot)
        code = token_of(imported, "Ana Silva")
        await scanner(pilot, code)
        await scanner(pilot, code)
        assert timers(imported) == 1 and isinstance(app.screen, IntakeScreen)


async def test_asked_about_a_second_timer_enter_keeps_the_one_running(imported):
    app = NotingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await intake(pilot)
        await pilot.press(*"Ana Silva", "enter")
        await pilot.pause()
        screen.start(*imported.db.execute(
            "SELECT id, display_name FROM people WHERE display_name = 'Ana Silva'").fetchone())
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # the focused answer: not the unusual one
        await pilot.pause()
        assert timers(imported) == 1 and isinstance(app.screen, IntakeScreen)


async def test_a_leftover_name_in_the_intake_box_gives_way_to_a_scan(imported):
    app = NotingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await intake(pilot)
        await pilot.press(*"ana")
        await scanner(pilot, token_of(imported, "Marek Dvořák"))
        assert timers(imported) == 1
        assert "Marek Dvořák" in str(screen.query_one("#intake-timers", DataTable).get_row_at(0))
