"""The check-in screen driven through the real app: scan, search and pick, walk-in, undo, refusals."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static
from textual.widgets._footer import FooterKey

from fieldkit.checkin.passes import pass_token
from fieldkit.people.importer import import_registrations
from fieldkit.store import new_id
from fieldkit.tokens import sign_token
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.checkin import SIDE_AFTER_SECONDS, CheckinScreen
from tests.conftest import SAMPLE_EVENTS

SIZE = (100, 34)


def registration_of(store, name: str) -> str:
    return store.db.execute(
        "SELECT r.id FROM registrations r JOIN people p ON p.id = r.person_id WHERE p.display_name = ?", [name]
    ).fetchone()[0]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def side_of(pilot, selector: str) -> str:
    """A side panel's text once it has followed the last result (SIDE_AFTER_SECONDS later)."""
    await pilot.pause(SIDE_AFTER_SECONDS + 0.1)
    return text_of(pilot.app.screen, selector)


def result_of(screen) -> str:
    """The sentence on the result panel (its instruction band and details are asserted apart)."""
    return screen.result_panel.headline


def footer_keys(screen) -> dict:
    """The keys the footer offers now: action -> where on screen."""
    return {key.action: key.region for key in screen.query(FooterKey)}


class RecordingApp(FieldKitApp):
    """The real app, counting terminal bells."""

    bells = 0

    def bell(self) -> None:
        self.bells += 1
        super().bell()


@pytest.fixture
def imported(store):
    import_registrations(store, SAMPLE_EVENTS / "wellbeing-popup-registrations.csv")
    return store


async def open_checkin(pilot) -> CheckinScreen:
    await pilot.press("f2")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CheckinScreen)
    assert screen.query_one("#scan", Input).has_focus
    return screen


async def type_and_enter(pilot, text: str) -> None:
    # A USB scanner is a keyboard: each character is a key press, then Enter.
    await pilot.press(*text, "enter")
    await pilot.pause()


async def scan(pilot, text: str) -> None:
    """What a scanner leaves in the box, then Enter (typing 147 keys is tested once above)."""
    pilot.app.screen.query_one("#scan", Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_scan_shows_welcome_and_updates_counters(imported):
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        assert "Checked in  0" in text_of(screen, "#counters")
        await type_and_enter(pilot, token)
        assert result_of(screen) == "Welcome, Ana Silva: checked in"
        assert screen.query_one("#result").has_class("admitted")
        assert screen.query_one("#scan", Input).value == "" and screen.query_one("#scan", Input).has_focus
        assert "Registered  44" in await side_of(pilot, "#counters") and "Checked in  1" in text_of(screen, "#counters")
        assert "Ana Silva" in text_of(screen, "#recent")
        assert app.bells == 0


async def test_the_screen_warms_the_desk_without_holding_up_a_scan(imported):
    # The desk's cache is warmed a step at a time after the screen opens; a pass scanned at
    # once is checked in all the same, the side panel following it.
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await scan(pilot, token)
        assert result_of(screen) == "Welcome, Ana Silva: checked in"
        assert "Checked in  1" in await side_of(pilot, "#counters")
        for _ in range(40):
            if screen.warmed:
                break
            await pilot.pause(0.05)
        assert screen.warmed


async def test_second_scan_later_is_flagged(imported):
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        screen.desk.double_scan_window = type(screen.desk.double_scan_window)(0)
        await scan(pilot, token)
        await scan(pilot, token)
        result = result_of(screen)
        assert result.startswith("Ana Silva: already checked in at ") and result.endswith("recorded again and flagged")
        assert screen.query_one("#result").has_class("flagged")


async def test_name_search_lists_matches_and_enter_picks(imported):
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert not screen.query_one("#matches", OptionList).display  # one letter: no list yet
        await pilot.press(*"ilv")
        await pilot.pause()
        matches = screen.query_one("#matches", OptionList)
        assert matches.display and matches.option_count >= 1
        labels = [str(matches.get_option_at_index(i).prompt) for i in range(matches.option_count)]
        assert any("Ana Silva" in label for label in labels)
        target = next(i for i, label in enumerate(labels) if "Ana Silva" in label)
        for _ in range(target):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert result_of(screen) == "Welcome, Ana Silva: checked in"
        await pilot.press(*"silv")
        await pilot.pause()
        relisted = screen.query_one("#matches", OptionList)
        assert "checked in" in str(relisted.get_option_at_index(target).prompt)


async def test_walk_in_registers_and_checks_in(imported):
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await pilot.press(*"Li Wei")
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert result_of(screen) == "Welcome, Li Wei: registered as a walk-in and checked in"
        counters = await side_of(pilot, "#counters")
        assert "Registered  45" in counters and "Walk-ins    1" in counters


async def test_walk_in_with_a_pass_saves_a_pdf(imported, tmp_path):
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        await open_checkin(pilot)
        await pilot.press(*"Li Wei", "f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert len(list((tmp_path / "passes").glob("pass-*.pdf"))) == 1


async def test_undo_voids_the_last_checkin(imported, reopen):
    app = RecordingApp(imported)
    token = pass_token(imported, registration_of(imported, "Ana Silva"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await scan(pilot, token)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert result_of(screen).startswith("Undone: Ana Silva's check-in at ")
        assert "Checked in  0" in await side_of(pilot, "#counters")
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert result_of(screen) == "There is no check-in at this desk to undo."
    # The app closed its store on the way out: look in the file as a restarted app would.
    assert reopen().db.execute("SELECT count(*) FROM checkin_voids").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda store, other: "FK1:NOPE", "This is not a Field Kit code: scan it again or search by name."),
        (lambda store, other: sign_token(other, "pass", new_id()), "Not a pass for this event: ask for this event's pass or search by name."),
        # Referral cards are routed to the referrals module (tests/tui/test_referrals_screen.py).
        (lambda store, other: sign_token(store, "referral", new_id()), "Referral card: This card is genuine but not on this laptop yet: sync with the other laptops, then scan again."),
    ],
)
async def test_refusal_shows_the_reason_and_rings(imported, reopen, tmp_path, template, make, words):
    from fieldkit.event import create_event

    other = create_event(tmp_path / "other.db", template, None)
    code = make(imported, other)
    other.close()
    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await scan(pilot, code)
        assert result_of(screen) == words
        assert screen.query_one("#result").has_class("refused")
        assert app.bells == 1
    assert reopen().db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 0


async def test_a_desk_laptop_opens_on_checkin(tmp_path, imported):
    # A desk database holding the event (as after its first sync): simulated by flipping the role.
    imported.set_meta("role", "desk")
    app = FieldKitApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CheckinScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert "Checked in: 0" in str(app.screen.query_one("#event-counts", Static).render())


async def test_fits_80_by_24(imported):
    app = RecordingApp(imported)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_checkin(pilot)
        await scan(pilot, pass_token(imported, registration_of(imported, "Ana Silva")))
        region = screen.query_one("#result").region
        assert region.height >= 5 and region.bottom <= 23
        await pilot.pause()
        keys = footer_keys(screen)
        assert keys["consent"].right <= 80 and keys["person"].right <= 80


async def test_consent_for_the_person_just_checked_in_is_one_key_away(imported):
    from fieldkit.consent import allows
    from fieldkit.tui.screens.consent import ConsentScreen
    from fieldkit.tui.widgets.confirm import ConfirmScreen
    from tests.tui.test_consent_screens import fill_consent

    app = RecordingApp(imported)
    registration = registration_of(imported, "Ana Silva")
    person_id = imported.db.execute("SELECT person_id FROM registrations WHERE id = ?", [registration]).fetchone()[0]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        assert "consent" not in footer_keys(screen)  # nobody checked in yet: no key to offer
        await pilot.press("ctrl+o")  # and pressing it anyway does nothing
        await pilot.pause()
        assert app.screen is screen

        await scan(pilot, pass_token(imported, registration))
        await pilot.pause()
        assert {"consent", "person"} <= footer_keys(screen).keys()
        await pilot.press("ctrl+o")
        await pilot.pause()
        consent = app.screen
        assert isinstance(consent, ConsentScreen) and consent.person_id == person_id
        assert "Ana Silva" in text_of(consent, "#consent-person")

        # Yes to recording attendance and to contact afterwards, no to sharing and reporting.
        await fill_consent(pilot, [0, 1, 0, 1])
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#confirm-yes")
        await pilot.pause()

        assert app.screen is screen
        assert screen.query_one("#scan", Input).has_focus  # ready for the next scan
        assert allows(imported, person_id, "record_attendance") and allows(imported, person_id, "contact_for_followup")
        assert not allows(imported, person_id, "share_intake_with_practitioners")
        await scan(pilot, pass_token(imported, registration_of(imported, "Zoë Müller")))
        assert result_of(screen) == "Welcome, Zoë Müller: checked in"


async def test_person_page_key_and_when_the_keys_go_away(imported):
    from fieldkit.tui.screens.person import PersonScreen

    app = RecordingApp(imported)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        await scan(pilot, pass_token(imported, registration_of(imported, "Ana Silva")))
        await pilot.press("f12")
        await pilot.pause()
        page = app.screen
        assert isinstance(page, PersonScreen)
        assert text_of(page, "#person-name") == "Ana Silva"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#scan", Input).has_focus

        # Undone, refused or cleared: the panel names nobody, so neither key is offered.
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert not {"consent", "person"} & footer_keys(screen).keys()
        await scan(pilot, pass_token(imported, registration_of(imported, "Ana Silva")))
        await scan(pilot, "FK1:NOPE")
        await pilot.pause()
        assert not {"consent", "person"} & footer_keys(screen).keys()
        await pilot.press("ctrl+o", "f12")
        await pilot.pause()
        assert app.screen is screen


async def test_after_a_referral_card_scan_f10_and_f12_no_longer_open_the_person_admitted_before(imported):
    from fieldkit import referrals as rf
    from fieldkit.tui.screens.consent import ConsentScreen
    from fieldkit.tui.screens.person import PersonScreen

    store = imported
    card = rf.vet(store, rf.issue_referral(store, channel="walk_in", need="grief").id, "amara-okafor")
    app = RecordingApp(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkin(pilot)
        screen.query_one("#scan", Input).value = pass_token(store, registration_of(store, "Ana Silva"))
        await pilot.press("enter")
        await pilot.pause()
        assert "Ana Silva" in result_of(screen)
        assert {"consent", "person"} <= set(footer_keys(screen))

        screen.query_one("#scan", Input).value = rf.signed_code(store, card.card_id)
        await pilot.press("enter")
        await pilot.pause()
        assert "booked recorded" in result_of(screen)
        # The panel names a card now, not Ana: her consent and person pages are not one key away.
        assert not {"consent", "person"} & set(footer_keys(screen))
        await pilot.press("ctrl+o")
        await pilot.press("f12")
        await pilot.pause()
        assert app.screen is screen
        assert not isinstance(app.screen, (ConsentScreen, PersonScreen))
