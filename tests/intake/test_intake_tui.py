"""The intake screen and survey runner, driven by keyboard with Pilot."""

from __future__ import annotations

import csv
from datetime import timedelta

from click.testing import CliRunner
from textual.widgets import DataTable, Static

from fieldkit.cli import main
from fieldkit.intake import surveys as sv
from fieldkit.intake import timers as it
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.survey import SurveyScreen
from tests.conftest import PASSPHRASE
from tests.intake.conftest import EVENT_DAY_11AM, use_wall
from tests.tui.footer import footer_actions

SIZE = (100, 34)


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_start_three_timers_restart_the_app_stop_them(timed_store, wall, people, reopen):
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await type_text(pilot, "ada")
        await pilot.press("enter")  # Ada, by name
        wall.advance(minutes=1)
        await pilot.press("enter")  # anonymous
        wall.advance(minutes=1)
        await pilot.press("ctrl+n")  # anonymous again
        await pilot.pause()
        table = app.screen.query_one("#intake-timers", DataTable)
        assert table.row_count == 3
        assert "Ada Lovelace (not shared)" in str(table.get_row_at(0)[0])
        await pilot.press("ctrl+q")
    wall.advance(minutes=10)
    again = use_wall(reopen(), wall)
    app = FieldKitApp(again)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        table = app.screen.query_one("#intake-timers", DataTable)
        assert table.row_count == 3
        assert [str(table.get_row_at(i)[2]) for i in range(3)] == ["12 min", "11 min", "10 min"]
        assert text_of(app, "#intake-selected") == "1. Anonymous: running 12:00"  # (the name was kept this session only)
        for _ in range(3):
            await pilot.press("ctrl+e", "2")  # stop the selected timer: "Wants information"
            await pilot.pause()
        assert table.row_count == 0
        assert "Wants information 3" in text_of(app, "#intake-summary")
        assert "median 11:00" in text_of(app, "#intake-summary")
        durations = sorted(r.elapsed(again.now()) for r in it.all_timers(again))
        assert durations == [timedelta(minutes=m) for m in (10, 11, 12)]


async def test_the_clock_ticks_without_a_database_read(timed_store, wall):
    it.start_timer(timed_store)
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#intake-timers", DataTable)
        assert str(table.get_row_at(0)[2]) == "0 min" and text_of(app, "#intake-selected") == "1. Anonymous: running 0:00"
        wall.advance(seconds=75)
        calls = []
        original = timed_store.db.execute
        timed_store.db.execute = lambda *a, **k: calls.append(a) or original(*a, **k)
        screen.tick()
        timed_store.db.execute = original
        assert calls == [] and str(table.get_row_at(0)[2]) == "1 min"
        # The selected timer's clock ticks each second; the list's minutes follow within 10 s, in one repaint.
        for seconds, selected, listed in ((1, "1:16", "1 min"), (43, "1:59", "1 min"), (2, "2:01", "1 min"), (8, "2:09", "2 min")):
            wall.advance(seconds=seconds)
            screen.tick()
            await pilot.pause()
            assert text_of(app, "#intake-selected").endswith(f"running {selected}")
            assert str(table.get_row_at(0)[2]) == listed
        # A name is shown as it was typed, brackets and all (not read as markup).
        screen.hints[screen.runs[0].timer_id] = "Bob [b]Lee"
        screen.reload()
        await pilot.pause()
        assert text_of(app, "#intake-selected") == "1. Bob [b]Lee (not shared): running 2:09"
        # Once, when the event's end (16:00) passes, the tick reads the timers again: the open one is flagged.
        assert "1 open" in text_of(app, "#intake-summary") and not screen.for_review
        wall.set(EVENT_DAY_11AM.replace(hour=16, minute=1))
        screen.tick()
        assert "1 for review" in text_of(app, "#intake-summary") and len(screen.for_review) == 1


async def test_pause_resume_and_stop_with_a_note_for_a_linked_timer(timed_store, wall, people, consenting):
    consenting.add(people["Grace Hopper"])
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_text(pilot, "hopper")
        await pilot.press("enter", "f7")
        await pilot.pause()
        assert "paused" in text_of(app, "#intake-message")
        wall.advance(minutes=5)
        await pilot.press("f7")
        wall.advance(minutes=2)
        await pilot.press("ctrl+e", "5")  # "Other" needs a note on a linked timer
        await pilot.pause()
        await pilot.press("enter")
        assert "Type a short note" in text_of(app, "#choice-error")
        await type_text(pilot, "asked about groups")
        await pilot.press("enter")
        await pilot.pause()
        assert "Timer of Grace Hopper stopped after 2:00: Other." in text_of(app, "#intake-message")
        run = it.all_timers(timed_store)[0]
        assert run.person_id == people["Grace Hopper"] and run.category == "other"


async def test_scanning_a_pass_starts_a_timer_and_a_bad_scan_is_refused(timed_store, people):
    from fieldkit.people.registry import add_registration
    from fieldkit.tokens import PASS, sign_token

    registration = add_registration(timed_store, people["Kofi Annan"], source="walk-in")
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_text(pilot, "FK1:ABC")
        await pilot.press("enter")
        await pilot.pause()
        assert text_of(app, "#intake-message") and it.all_timers(timed_store) == []
        # The scanner types the code; set it at once so the test stays quick.
        app.screen.query_one("#intake-find").value = sign_token(timed_store, PASS, registration)
        await pilot.press("enter")
        await pilot.pause()
        assert text_of(app, "#intake-message").startswith("Timer started for Kofi Annan.")
        table = app.screen.query_one("#intake-timers", DataTable)
        assert "Kofi Annan (not shared)" in str(table.get_row_at(0)[0])


async def answer_the_wellbeing_survey(pilot, app):
    """Keyboard only: skip logic shows introducer_group after 'yes'."""
    await pilot.press("4")  # heard_from: Online
    await pilot.press("1")  # introduced: yes
    await pilot.pause()
    assert "Which group" in text_of(app, "#survey-prompt")
    await pilot.press("down", "down", "enter")  # introducer_group: Parents' group
    await pilot.press("4")  # wellbeing: Good
    await pilot.press("2", "up", "enter", "down", "down", "space", "space")  # topics: Sleep by number, Stress by arrows+Enter; Family ticked and unticked
    await pilot.press("end", "enter")  # continue with the ticked options
    await pilot.pause()
    assert "How many" in text_of(app, "#survey-prompt")


async def test_survey_by_keyboard_with_back_review_submit_and_export(timed_store, wall, tmp_path, db_path):
    started = it.start_timer(timed_store)
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "f10")
        await pilot.pause()
        assert isinstance(app.screen, SurveyScreen)
        assert text_of(app, "#survey-step") == "Question 1 of 5"  # text question hidden: not shared
        await answer_the_wellbeing_survey(pilot, app)
        await pilot.press("ctrl+b")  # back to topics, then forward again
        await pilot.pause()
        assert "support with" in text_of(app, "#survey-prompt")
        await pilot.press("end", "enter")
        await type_text(pilot, "99")
        await pilot.press("enter")
        await pilot.pause()
        assert text_of(app, "#survey-error") == "Type a number from 0 to 50."
        await pilot.press("backspace", "enter")  # 9
        await pilot.pause()
        assert text_of(app, "#survey-step").startswith("Review")
        await pilot.press("enter")  # Submit is highlighted
        await pilot.pause()
        assert "Survey saved (kept anonymous)" in text_of(app, "#intake-message")
        [response] = sv.responses(timed_store)
        assert response["timer_id"] == started.timer_id
        assert response["answers"] == {"heard_from": "Online", "introduced": "yes", "introducer_group": "Parents' group",
                                       "wellbeing": 4, "topics": ["Stress", "Sleep"], "visits": 9}
        assert sv.drafts(timed_store) == []
    out = tmp_path / "intake.csv"
    result = CliRunner().invoke(main, ["intake", "export", "--db", str(db_path), "--out", str(out)],
                                env={"FIELDKIT_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    rows = {r["question_id"]: r["answer"] for r in csv.DictReader(out.open(encoding="utf-8")) if r["kind"] == "response"}
    assert rows["introducer_group"] == "Parents' group" and rows["topics"] == "Stress; Sleep"


async def test_a_survey_kept_as_draft_resumes_where_it_stopped(timed_store, reopen, wall):
    it.start_timer(timed_store)
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "f10")
        await pilot.press("4", "2")  # heard_from, introduced: no (introducer_group hidden)
        await pilot.pause()
        assert text_of(app, "#survey-step") == "Question 3 of 5"
        await pilot.press("escape")
        await pilot.pause()
        assert "kept as a draft" in text_of(app, "#intake-message")
        await pilot.press("ctrl+q")
    again = use_wall(reopen(), wall)
    app = FieldKitApp(again)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "f10")
        await pilot.pause()
        assert text_of(app, "#survey-step") == "Question 3 of 5"
        await pilot.press("left")
        await pilot.pause()
        assert "bring you" in text_of(app, "#survey-prompt")
        await pilot.press("1")  # changed to yes: the hidden question now shows
        await pilot.pause()
        assert text_of(app, "#survey-step") == "Question 3 of 6"


async def test_a_check_in_desk_never_shows_intake(timed_store):
    it.start_timer(timed_store)
    timed_store.set_meta("role", "desk")
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "f10", "ctrl+n")
        await pilot.pause()
        # No intake mode at all on a desk: F3 is no key there, not a page saying "not here".
        assert app.current_mode == "checkin" and not app.screen.query("#intake-timers")
        assert "switch_mode('intake')" not in footer_actions(app)
        assert not {"Intake", "Referrals"} & {c.title for c in app.get_system_commands(app.screen)}
        assert len(it.all_timers(timed_store)) == 1


async def test_the_footer_offers_what_applies_and_fits_80_columns(timed_store, people):
    app = FieldKitApp(timed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        offered = footer_actions(app)
        assert {"pause", "resume", "stop", "consent", "refer", "review"}.isdisjoint(offered) and "survey" in offered
        assert "start_anonymous" not in offered  # Enter on the empty box does it; the palette lists it
        assert "Anonymous" in {c.title for c in app.get_system_commands(app.screen)}
        assert "switch_mode('home')" in offered and "switch_mode('intake')" not in offered
        await pilot.press("enter")  # an anonymous timer
        await pilot.pause()
        assert {"pause", "stop", "refer"} <= footer_actions(app) and {"resume", "consent"}.isdisjoint(footer_actions(app))
        await pilot.press("f7")
        await pilot.pause()
        assert "resume" in footer_actions(app) and "pause" not in footer_actions(app)
        await type_text(pilot, "ada")
        await pilot.press("enter")  # Ada, not shared: her consent can be recorded from here
        await pilot.pause()
        assert {"consent", "refer"} <= footer_actions(app)  # every key this screen shows at once
        keys = list(app.screen.query("FooterKey"))
        assert len(keys) == len([b for _, b, on, _ in app.active_bindings.values() if on and b.show])
        assert all(key.region.right <= 80 and key.region.width > 0 for key in keys), [str(k.region) for k in keys]


async def test_consent_recorded_from_intake_links_the_running_timer(timed_store, people, consenting):
    from fieldkit.tui.screens.person import PersonScreen

    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_text(pilot, "ada")
        await pilot.press("enter")
        await pilot.pause()
        assert "Ctrl+O records their consent" in text_of(app, "#intake-message")
        [run] = it.open_timers(timed_store)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen) and app.screen.person_id == people["Ada Lovelace"]
        await pilot.press("escape")  # nothing recorded: the timer stays anonymous
        await pilot.pause()
        assert "Still kept anonymous" in text_of(app, "#intake-message")
        assert it.timer(timed_store, run.timer_id).person_id is None
        await pilot.press("ctrl+o")
        await pilot.pause()
        consenting.add(people["Ada Lovelace"])  # as the consent screen would record it
        await pilot.press("escape")
        await pilot.pause()
        assert "now linked" in text_of(app, "#intake-message")
        assert it.timer(timed_store, run.timer_id).person_id == people["Ada Lovelace"]
        table = app.screen.query_one("#intake-timers", DataTable)
        assert str(table.get_row_at(0)[0]) == "1. Ada Lovelace"


async def test_stopping_names_whose_timer_and_the_survey_says_for_whom(timed_store, wall, people):
    from fieldkit.tui.widgets.choice_dialog import ChoiceDialog

    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_text(pilot, "kofi")
        await pilot.press("enter")
        wall.advance(minutes=3)
        await pilot.press("f10")
        await pilot.pause()
        assert text_of(app, "#survey-who").startswith("For Kofi Annan: kept anonymous")
        await pilot.press("1", "2", "4")  # heard_from, introduced: no, wellbeing: 4 of 5
        await pilot.pause()
        assert "support with" in text_of(app, "#survey-prompt")
        await pilot.press("ctrl+b")
        await pilot.pause()
        labels = [str(o.prompt) for o in app.screen.query_one("#survey-choices").options]
        assert labels[0] == "1  Very low"  # the scale's number once, then its label
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        # Stopping would leave the survey out of F10's reach: the question says so first.
        assert text_of(app, "#choice-title") == (
            "Stop the timer of Kofi Annan (3:00): what are they looking for? "
            "Their survey is unfinished (3 answers): Escape, then F10 to finish it."
        )


async def issue_walk_in_referral(pilot, app) -> str:
    """On the referrals screen: channel walk-in, Ctrl+S; the screen's message."""
    from textual.widgets import Select

    app.screen.query_one("#channel", Select).value = "walk_in"
    await pilot.press("ctrl+s")
    await pilot.pause()
    return str(app.screen.query_one("#referral-message", Static).render())


async def test_refer_the_selected_timers_person_from_intake(timed_store, people, consenting):
    from fieldkit import referrals as rf
    from fieldkit.tui.screens.referrals import ReferralsScreen

    ada = people["Ada Lovelace"]
    consenting.add(ada)
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert "refer" not in footer_actions(app)  # no timer, nobody to refer
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.current_mode == "intake"
        await type_text(pilot, "ada")
        await pilot.press("enter")
        await pilot.pause()
        assert "refer" in footer_actions(app)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ReferralsScreen) and app.screen.person_id == ada
        assert "For Ada Lovelace" in str(app.screen.query_one("#for-person", Static).render())
        assert "Linked to Ada Lovelace (Ctrl+N: the next one anonymous)." in await issue_walk_in_referral(pilot, app)
        [referral] = rf.list_referrals(timed_store)
        assert referral.person_id == ada

        # An anonymous timer refers anonymously: the card's code is the only link.
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("ctrl+n", "ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ReferralsScreen) and app.screen.person_id is None
        assert "Anonymous" in str(app.screen.query_one("#for-person", Static).render())
        assert "Issued" in await issue_walk_in_referral(pilot, app)
        assert sorted(r.person_id or "" for r in rf.list_referrals(timed_store)) == ["", ada]


async def test_review_timers_that_ran_past_the_end_from_the_screen(timed_store, wall, people, consenting):
    from fieldkit.tui.widgets.choice_dialog import ChoiceDialog
    from tests.intake.test_timer_review import at

    consenting.add(people["Grace Hopper"])
    wall.set(at(15, 40))
    grace = it.start_timer(timed_store, people["Grace Hopper"]).timer_id
    wall.set(at(16, 10))
    late = it.start_timer(timed_store).timer_id
    wall.set(at(16, 30))
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert "2 for review (ran past the event's end): Ctrl+Y" in text_of(app, "#intake-summary")
        assert "review" not in footer_actions(app)  # named in the summary line instead
        assert "Review" in {c.title for c in app.get_system_commands(app.screen)}
        await pilot.press("ctrl+y")  # the selected timer is Grace's, the first
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        assert text_of(app, "#choice-title") == (
            "Timer of Grace Hopper ran past the event's end (16:00): started 15:40, still running (50:00). Close it at 16:00 as:"
        )
        await pilot.press("2")  # Wants information
        await pilot.pause()
        assert text_of(app, "#intake-message") == "Timer of Grace Hopper closed at 16:00 as Wants information. 1 more for review: Ctrl+Y."
        closed = it.timer(timed_store, grace)
        assert closed.review == it.CLOSED_AT_END and closed.elapsed(timed_store.now()) == timedelta(minutes=20)
        await pilot.press("ctrl+y", "6")  # the last choice: void
        await pilot.pause()
        assert text_of(app, "#intake-message") == "Timer of the anonymous visitor voided: it is kept, never counted."
        assert it.timer(timed_store, late).state == it.VOID
        assert "for review" not in text_of(app, "#intake-summary")
        assert "Wants information 1" in text_of(app, "#intake-summary")
        assert "Review" not in {c.title for c in app.get_system_commands(app.screen)}
        assert app.screen.query_one("#intake-timers", DataTable).row_count == 0


async def test_a_survey_without_a_timer_is_never_handed_to_the_next_visitor(timed_store):
    # Before: visitor A's answers (no timer) opened with visitor B's F10, and were stored as B's.
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "f10")
        await pilot.press("4", "2")  # A: heard_from, introduced: no
        await pilot.pause()
        assert text_of(app, "#survey-step") == "Question 3 of 5"
        await pilot.press("escape")
        await pilot.pause()
        assert text_of(app, "#intake-message") == (
            "Survey left unfinished: with no timer to keep it with, its answers were not kept."
        )
        assert sv.drafts(timed_store) == []
        await pilot.press("f10")  # B
        await pilot.pause()
        assert text_of(app, "#survey-step") == "Question 1 of 5" and app.screen.answers == {}


async def test_the_open_count_is_the_timers_listed(timed_store, wall):
    it.start_timer(timed_store)  # the day before, left running
    wall.advance(hours=24)
    app = FieldKitApp(timed_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen.query_one("#intake-timers", DataTable).row_count == 1
        assert "1 open" in text_of(app, "#intake-summary")
