"""Issue 14's desk items, through the real app: scans start from an empty box, Enter admits only
one match, names any keyboard finds, platform tickets, walk-ins that might be registered, the
big result, scanners (Caps Lock, 16 in a row) and a walk-in's pass on screen."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image
from textual import events
from textual.widgets import OptionList

from fieldkit.checkin.passes import pass_token
from fieldkit.people.importer import import_registrations
from fieldkit.tui.screens.checkin import CheckinScreen
from fieldkit.tui.widgets.choice_dialog import ChoiceDialog
from fieldkit.tui.widgets.pass_qr import PassQRScreen
from tests.test_desk_lookup import PRETIX
from tests.tui.test_checkin_screen import SIZE, RecordingApp, open_checkin, registration_of, result_of, scan, side_of


@pytest.fixture
def imported(store):
    import_registrations(store, __import__("tests.conftest").conftest.SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    return store


def people_count(store) -> int:
    return store.db.execute("SELECT count(*) FROM people").fetchone()[0]


def option_labels(widget: OptionList) -> list[str]:
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


async def typed(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.pause()


# -- 1: a scan always starts from an empty box ---------------------------------------


async def test_a_scan_after_a_name_nobody_has_is_a_scan_not_a_walk_in(imported):
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    people = people_count(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, "xyzzy")
        await pilot.press("enter")
        await pilot.pause()
        assert result_of(screen) == "No one called 'xyzzy': press F8 to register them as a walk-in."
        assert screen.box.value == ""  # Enter emptied the box
        await typed(pilot, token)
        await pilot.press("enter")
        await pilot.pause()
        assert result_of(screen) == "Welcome, Ana Silva: checked in"
        await pilot.press("f8")  # nothing pending any more: no name, nobody registered
        await pilot.pause()
        assert result_of(screen) == "Type the person's name first, then press F8 (F9: with a pass to print)."
        assert people_count(imported) == people


async def test_a_pass_prefix_after_leftover_text_drops_the_leftover(imported):
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, "xyz")  # typed and left, no Enter
        await typed(pilot, token)
        assert screen.box.value == token
        await pilot.press("enter")
        await pilot.pause()
        assert result_of(screen) == "Welcome, Ana Silva: checked in"


async def test_f8_never_registers_a_code_and_leftover_text_is_cleared_when_idle(imported):
    app = RecordingApp(imported)
    people = people_count(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        screen.box.value = "xyzzyFK1:AEFQAAAAAAAA"
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert result_of(screen).startswith("That is a code, not a name")
        assert screen.result_panel.state == "refused"
        screen.box.value = "ana"
        screen._last_key -= 60
        screen.tidy_when_idle()
        assert screen.box.value == ""
        assert people_count(imported) == people


# -- 2: Enter admits only a single match -------------------------------------------


async def test_enter_on_several_matches_asks_which_with_what_tells_them_apart(imported):
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, "dvorak")
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        labels = option_labels(dialog.query_one("#choice-list", OptionList))
        assert len(labels) == 2 and all("not checked in" in label for label in labels)
        marek = next(label for label in labels if "Marek" in label)
        assert "Free drop-in" in marek and "order 1289340294" in marek
        assert imported.db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 0  # asked, nobody admitted
        await pilot.press(str(labels.index(marek) + 1))
        await pilot.pause()
        assert app.screen is screen and result_of(screen) == "Welcome, Marek Dvořák: checked in"


async def test_enter_on_one_match_admits_and_arrows_choose_among_several(imported):
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, "lukasz")  # 3: the Latin letters find Łukasz
        await pilot.press("enter")
        await pilot.pause()
        assert result_of(screen) == "Welcome, Łukasz Wójcik: checked in"
        await typed(pilot, "dvorak")
        await pilot.press("down", "enter")  # picked with the arrows: no question
        await pilot.pause()
        assert app.screen is screen and result_of(screen).startswith("Welcome, ")


# -- 3 and 4: names a keyboard cannot type; the tickets people already hold ------------------


async def test_giorgos_and_ivan_are_listed(imported):
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, "giorgos")
        assert any("Γιώργος" in label for label in option_labels(screen.query_one("#matches", OptionList)))
        await pilot.press("escape")
        await typed(pilot, "ivan")
        assert any("Іван" in label for label in option_labels(screen.query_one("#matches", OptionList)))


async def test_a_pretix_ticket_secret_scanned_at_the_desk_admits_its_holder(store, tmp_path):
    path = tmp_path / "pretix.csv"
    path.write_text(PRETIX, encoding="utf-8")
    import_registrations(store, path)
    app = RecordingApp(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, "h7kqm2xw9prvz3tn8bcj4dfg6ys5aue2")
        await pilot.press("enter")
        await pilot.pause()
        assert result_of(screen) == "Welcome, Hélène Garnier: checked in by their ticket"
        assert "Party of 2 (order WK1DE): 1 of 2 in" in screen.result_panel.text
        await scan(pilot, "zzzzzzzz99999999")
        assert screen.result_panel.state == "refused" and "nor a ticket of this event" in result_of(screen)


# -- 5: a walk-in that may be someone registered ------------------------------------------


async def test_f8_on_a_registered_name_asks_first_and_undo_takes_the_walk_in_back(imported):
    app = RecordingApp(imported)
    people = people_count(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, "ana silva")
        await pilot.press("f8")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        labels = option_labels(dialog.query_one("#choice-list", OptionList))
        assert labels[0].startswith("1  Ana Silva") and "register \u201cana silva\u201d as a new walk-in" in labels[-1]
        await pilot.press("1")  # it is her
        await pilot.pause()
        assert result_of(screen) == "Welcome, Ana Silva: checked in" and people_count(imported) == people

        await typed(pilot, "ana silva")
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press(str(len(labels)))  # someone else of the same name
        await pilot.pause()
        assert result_of(screen) == "Welcome, ana silva: registered as a walk-in and checked in"
        assert people_count(imported) == people + 1
        assert "Registered  45" in await side_of(pilot, "#counters")
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "walk-in registration was taken back" in result_of(screen)
        assert "Registered  44" in await side_of(pilot, "#counters")
        assert imported.db.execute("SELECT count(*) FROM registration_voids").fetchone()[0] == 1


# -- 6: the result is large, plain and goes back to Ready ------------------------------------


async def test_the_result_says_what_to_do_with_ticket_and_returns_to_ready(imported):
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_checkin(pilot)
        screen.desk.double_scan_window = type(screen.desk.double_scan_window)(0)
        screen.result_seconds = 60
        await scan(pilot, token)
        panel = screen.result_panel
        assert panel.text.splitlines()[0] == "ADMIT" and "Ticket: Family (up to 3)" in panel.text
        assert panel.region.height >= 9 and panel.query_one("#result-verdict").region.height == 3
        await scan(pilot, token)
        assert panel.text.splitlines()[0] == "ALREADY IN: ASK THEM" and panel.state == "flagged"
        await scan(pilot, "FK1:NOPE")
        assert panel.text.splitlines()[0] == "DO NOT ADMIT" and panel.state == "refused"
        recent = await side_of(pilot, "#recent")
        assert recent.count("Ana Silva") == 1 and "(flagged)" in recent  # one line a person

        screen.result_seconds = 1.0
        await scan(pilot, pass_token(imported, registration_of(imported, "Zoë Müller")))
        assert panel.state == "admitted"
        await pilot.pause(1.5)
        assert panel.state == "ready" and result_of(screen) == "Ready: scan a pass or type a name."
        assert "Zoë Müller" in panel.text  # Ctrl+O and F12 still reach the last person


# -- 7: scanners -------------------------------------------------------------------------


async def test_a_pass_typed_with_caps_lock_is_admitted(imported):
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await typed(pilot, token.lower())
        await pilot.press("enter")
        await pilot.pause()
        assert result_of(screen) == "Welcome, Ana Silva: checked in"


async def test_sixteen_passes_back_to_back_are_each_checked_in(imported):
    names = [r[0] for r in imported.db.execute("SELECT display_name FROM people ORDER BY search_name LIMIT 16")]
    tokens = [pass_token(imported, registration_of(imported, name)) for name in names]
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        # As a scanner sends them: every key of all 16 at once, no wait between keys or scans.
        for token in tokens:
            for char in token:
                key = "colon" if char == ":" else char
                app._driver.send_message(events.Key(key, char))
            app._driver.send_message(events.Key("enter", "\r"))
        for _ in range(200):
            await pilot.pause(0.05)
            if imported.db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 16:
                break
        await pilot.pause()
        assert imported.db.execute("SELECT count(DISTINCT registration_id) FROM checkins").fetchone()[0] == 16
        assert app.bells == 0 and screen.box.value == ""


# -- 9: a walk-in's pass on screen -----------------------------------------------------------


def decode_lines(lines: list[str]) -> str:
    """Read the half-block QR back into an image and decode it, as a phone's camera would."""
    tops = {"\u2588": (1, 1), "\u2580": (1, 0), "\u2584": (0, 1), " ": (0, 0)}
    rows = []
    for line in lines:
        pairs = [tops[ch] for ch in line]
        rows += [[p[0] for p in pairs], [p[1] for p in pairs]]
    scale, quiet = 6, 4
    size = (len(rows[0]) + 2 * quiet) * scale, (len(rows) + 2 * quiet) * scale
    image = Image.new("L", size, 255)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, ((x + quiet) * scale, (y + quiet) * scale, (x + quiet + 1) * scale, (y + quiet + 1) * scale))
    (found,) = zxingcpp.read_barcodes(image)
    return found.text


async def test_f9_shows_the_walk_ins_pass_as_a_qr_to_photograph(imported, tmp_path):
    app = RecordingApp(imported)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_checkin(pilot)
        await pilot.press(*"Li Wei", "f9")
        await pilot.pause()
        shown = app.screen
        assert isinstance(shown, PassQRScreen)
        lines = str(shown.query_one("#pass-qr-code").render()).splitlines()
        assert shown.query_one("#pass-qr").region.bottom <= 24  # whole on an 80x24 screen
        registration = registration_of(imported, "Li Wei")
        decoded = decode_lines(lines)
        assert decoded == shown.token and decoded.startswith("FK1:")
        from fieldkit.checkin import Desk

        assert Desk(imported).scan(decoded).registration_id == registration  # the code is their pass
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CheckinScreen) and app.screen.box.has_focus
        await app.workers.wait_for_complete()
    assert len(list((tmp_path / "passes").glob("pass-*.pdf"))) == 1  # and printed (saved) where it can be
