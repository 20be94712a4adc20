"""Issue 14's app-wide items: a laptop shows its role's modes only, the palette lists the app's
actions first, one meaning per key, the demo's passphrase on screen, and the passphrase asked
again (three tries) instead of the app ending."""

from __future__ import annotations

from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import Input, Static

from fieldkit.event.demo import DEMO_PASSPHRASE, make_demo
from fieldkit.store import open_store
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.checkin import CheckinScreen
from fieldkit.tui.screens.consent import ConsentScreen
from fieldkit.tui.screens.directory import DirectoryScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.intake import IntakeScreen
from fieldkit.tui.screens.person import PersonScreen
from fieldkit.tui.screens.referrals import ReferralsScreen
from fieldkit.tui.screens.survey import SurveyScreen
from fieldkit.tui.screens.unlock import UnlockScreen
from tests.conftest import PASSPHRASE
from tests.tui.footer import footer_actions

SIZE = (80, 24)


def palette_titles(app) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


# -- 8: a desk shows only a desk's modes; the palette --------------------------------------


async def test_a_desk_has_no_intake_or_referrals_keys_at_all(store):
    store.set_meta("role", "desk")
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.current_mode == "checkin" and app.modes == ("home", "checkin", "sync")
        for key in ("f3", "f4"):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == "checkin" and isinstance(app.screen, CheckinScreen)
        offered = footer_actions(app)
        assert "switch_mode('home')" in offered
        assert not {"switch_mode('intake')", "switch_mode('referrals')"} & offered
        assert not {"Intake", "Referrals"} & set(palette_titles(app))


async def test_the_palette_lists_the_apps_actions_first_and_no_text_editing(store):
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        titles = palette_titles(app)
        # The check-in box has focus: its cursor and clipboard keys are not things to do here.
        assert not {"Move cursor left", "Delete character left", "Paste text from the clipboard", "Focus Next"} & set(titles)
        textual_own = titles.index("Theme")
        assert {"Home", "Intake", "Walk-in", "Undo", "Quit"} <= set(titles[:textual_own])
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)
        from textual.command import CommandList

        shown = app.screen.query_one(CommandList)
        first = [str(shown.get_option_at_index(i).prompt).split("\n")[0] for i in range(min(3, shown.option_count))]
        assert first[0] in titles[:textual_own], first


def test_one_meaning_per_key_across_the_app():
    """Every key means one thing wherever it is pressed (issue 14 item 11): the app's screens'
    bindings, key by key, by the word the footer and palette show. Escape always backs out,
    Ctrl+S saves the form on screen, F7 pauses or resumes (one toggle)."""
    screens = (FieldKitApp, HomeScreen, CheckinScreen, IntakeScreen, ReferralsScreen, SurveyScreen,
               ConsentScreen, PersonScreen, DirectoryScreen)
    same_meaning = {"escape", "ctrl+s", "up", "down", "left", "space", *map(str, range(10))}
    meanings: dict[str, set[str]] = {}
    for screen in screens:
        for binding in screen.BINDINGS:
            binding = binding if isinstance(binding, Binding) else Binding(*binding)
            for key in binding.key.split(","):
                meanings.setdefault(key, set()).add((binding.description or binding.action).replace("Resume", "Pause"))
    clashes = {key: actions for key, actions in meanings.items() if len(actions) > 1 and key not in same_meaning}
    assert clashes == {}
    assert meanings["ctrl+o"] == {"Consent"} and meanings["f12"] == {"Person"}


async def test_a_practitioner_laptop_opens_on_intake(store):
    store.set_meta("role", "practitioner")
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.current_mode == "intake" and isinstance(app.screen, IntakeScreen)


# -- 15: the demo's passphrase in the app ----------------------------------------------------


async def test_the_demo_says_its_passphrase_in_the_app(tmp_path):
    store = open_store(make_demo(tmp_path), DEMO_PASSPHRASE)
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert DEMO_PASSPHRASE in str(app.screen.query_one("#home-demo", Static).render())
        assert any(DEMO_PASSPHRASE in str(n.message) for n in app._notifications)


async def test_a_real_event_never_shows_a_passphrase(store):
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#home-demo", Static).display
        assert not any(PASSPHRASE in str(n.message) for n in app._notifications)


# -- 16: a wrong passphrase asks again, three tries -------------------------------------------


async def answer(pilot, app, passphrase: str) -> None:
    app.screen.query_one("#unlock-passphrase", Input).value = passphrase
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_wrong_passphrase_asks_again_then_the_right_one_opens_the_event(store, db_path):
    store.set_meta("role", "desk")
    store.close()
    app = FieldKitApp(database=db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and app.screen.query_one("#unlock-passphrase", Input).has_focus
        assert not footer_actions(app) & {"switch_mode('home')", "switch_mode('checkin')"}  # nothing before unlocking
        await answer(pilot, app, "wrong one")
        assert "type it again (2 tries left)" in str(app.screen.query_one("#unlock-message", Static).render())
        await answer(pilot, app, "wrong two")
        assert "(1 try left)" in str(app.screen.query_one("#unlock-message", Static).render())
        await answer(pilot, app, PASSPHRASE)
        await pilot.pause()
        assert app.is_running and app.current_mode == "checkin" and isinstance(app.screen, CheckinScreen)
        assert app.title == "Northside Wellbeing Pop-up"


async def test_three_wrong_passphrases_end_the_app_with_a_sentence(store, db_path):
    store.close()
    app = FieldKitApp(database=db_path)
    async with app.run_test(size=SIZE) as pilot:
        for attempt in ("one", "two", "three"):
            await answer(pilot, app, attempt)
    assert app.return_code == 1
