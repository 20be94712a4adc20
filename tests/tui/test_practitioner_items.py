"""Issue 14's practitioner items, through the real app: ticks that show, focus that shows, a
second timer asked about, Ctrl+R answering at once, and the person page's fuller picture."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, RadioSet, Static

from fieldkit import referrals as rf
from fieldkit.checkin import Desk
from fieldkit.intake import timers as it
from fieldkit.people.registry import add_person, add_registration
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.person import PersonScreen
from fieldkit.tui.screens.survey import SurveyScreen
from fieldkit.tui.widgets.confirm import ConfirmScreen
from tests.intake.conftest import consenting, people, timed_store, wall  # noqa: F401  (fixtures)
from tests.intake.test_intake_tui import type_text

SIZE = (100, 34)


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


# -- 10: ticked options look ticked ---------------------------------------------------------


async def test_ticked_survey_options_show_their_tick(timed_store):
    it.start_timer(timed_store)
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "f10")
        await pilot.pause()
        assert isinstance(app.screen, SurveyScreen)
        await pilot.press("4", "2", "4")  # heard_from, introduced: no, wellbeing: good
        await pilot.press("1", "3")  # tick Stress and Family
        await pilot.pause()
        choices = app.screen.query_one("#survey-choices", OptionList)
        drawn = [choices.render_line(y).text for y in range(choices.option_count)]
        assert "[x] Stress" in drawn[0] and "[ ] Sleep" in drawn[1] and "[x] Family" in drawn[2]


# -- 11: focus, one key, a second timer, Ctrl+R ------------------------------------------------


async def test_the_focused_consent_choice_stands_out(store):
    person = add_person(store, "Ana Silva")
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_consent(person)
        await pilot.pause()
        first, second = (app.screen.query_one(f"#choice-{i}", RadioSet) for i in (0, 1))
        assert first.has_focus
        assert first.styles.border_top[0] == "heavy" and second.styles.border_top[0] != "heavy"
        assert first.styles.background != second.styles.background
        await pilot.press("tab")
        await pilot.pause()
        assert second.has_focus and second.styles.border_top[0] == "heavy" and first.styles.border_top[0] != "heavy"


async def test_a_second_timer_for_the_same_person_asks_first(timed_store, people):
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_text(pilot, "ada")
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "ada")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Ada Lovelace already has a timer running (since 11:00)" in shown(app, "#confirm-title")
        await pilot.press("escape")  # use the one running
        await pilot.pause()
        assert len(it.open_timers(timed_store)) == 1
        assert "already has a timer (running since 11:00): it is selected" in shown(app, "#intake-message")
        await type_text(pilot, "ada")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#confirm-yes")  # a second conversation after all
        await pilot.pause()
        assert len(it.open_timers(timed_store)) == 2


async def test_ctrl_r_says_at_once_that_the_referral_form_is_opening(timed_store, people):
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_text(pilot, "ada")
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        await screen.run_action("refer")
        # Said before the referrals screen is even built (the switch waits for the next refresh).
        assert app.current_mode == "intake"
        assert str(screen.query_one("#intake-message", Static).render()) == "Opening the referral form for Ada Lovelace..."
        for _ in range(20):
            await pilot.pause(0.05)
            if app.current_mode == "referrals":
                break
        assert app.current_mode == "referrals"
        assert any("opening the form" in str(n.message) for n in app._notifications)


# -- 12: the person page ---------------------------------------------------------------------


async def test_the_person_page_shows_check_in_ticket_timers_and_referrals(timed_store, consenting):
    store = timed_store
    with store.transaction():
        ada = add_person(store, "Ada Lovelace")
        add_registration(store, ada, source="csv", ticket="Family (up to 3)", order_ref="ORD-7")
    Desk(store).check_in_person(ada)
    consenting.add(ada)
    it.start_timer(store, ada)
    rf.issue_referral(store, channel="walk_in", person_id=ada)
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_person(ada)
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        facts = shown(app, "#person-facts")
        assert "Checked in: 11:00 at desk-1" in facts
        assert "Ticket: Family (up to 3), order ORD-7" in facts
        assert "Timers: 11:00 0:00 running" in facts
        assert "Referrals: " in facts and "issued, not vetted" in facts
        assert app.screen.query_one("#person-table", DataTable).row_count == 4  # consent as before


async def test_the_person_page_keeps_to_what_consent_allows(timed_store, people):
    ada = people["Ada Lovelace"]
    it.start_timer(timed_store, ada)  # not linked: no consent to share
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_person(ada)
        await pilot.pause()
        facts = shown(app, "#person-facts")
        assert "Check-in: no registration for this event." in facts
        assert "Timers and referrals: kept anonymous (no consent to share intake)." in facts


async def test_the_person_page_on_a_desk_shows_no_intake(timed_store, people, consenting):
    ada = people["Ada Lovelace"]
    consenting.add(ada)
    it.start_timer(timed_store, ada)  # linked, but a desk never shows intake
    timed_store.set_meta("role", "desk")
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_person(ada)
        await pilot.pause()
        facts = shown(app, "#person-facts")
        assert "Check-in" in facts and "Timers" not in facts and "Referrals" not in facts
