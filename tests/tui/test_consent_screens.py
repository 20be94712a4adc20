"""Pilot: consent given on screen, checked with the gate, withdrawn from the person page."""

from __future__ import annotations

from textual.widgets import DataTable, Input, RadioSet, Static

from fieldkit.consent import allows
from fieldkit.consent.records import record_consent
from fieldkit.people.registry import add_person
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.consent import ConsentScreen
from fieldkit.tui.screens.person import PersonScreen
from fieldkit.tui.widgets.confirm import ConfirmScreen
from tests.tui.footer import footer_actions

SIZE = (100, 34)


def person(store):
    return add_person(store, "Олена Коваленко", email="olena@example.org", phone="020 7946 0000")


async def choose(pilot, radio_set_id: str, index: int) -> None:
    """Pick an option of a RadioSet with the keyboard, as a volunteer would."""
    radio_set = pilot.app.screen.query_one(f"#{radio_set_id}", RadioSet)
    radio_set.focus()
    await pilot.pause()
    await pilot.press(*["down"] * index, "enter")
    assert radio_set.pressed_index == index


async def fill_consent(pilot, answers: list[int], witness: str = "") -> None:
    for index, answer in enumerate(answers):
        await choose(pilot, f"choice-{index}", answer)
    if witness:
        pilot.app.screen.query_one("#witness", Input).focus()
        await pilot.press(*witness)


async def review(pilot, answers: list[int]) -> None:
    """Answer the purposes and ask for the summary (Ctrl+S)."""
    await fill_consent(pilot, answers)
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_consent_given_on_screen_then_withdrawn_from_the_person_page(store):
    pid = person(store)
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_consent(pid)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConsentScreen)
        assert "Олена Коваленко" in str(screen.query_one("#consent-person", Static).render())

        # Yes to everything but sharing intake; a witness.
        await fill_consent(pilot, [0, 1, 0, 0], witness="Sam")
        await pilot.press("ctrl+s")
        await pilot.pause()
        summary = app.screen
        assert isinstance(summary, ConfirmScreen)
        body = str(summary.query_one("#confirm-body", Static).render())
        assert "YES  Contact you afterwards (text version 1)" in body
        assert "NO   Share what you tell us with the practitioners" in body
        assert "Witness:     Sam" in body and "On screen" in body
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert not isinstance(app.screen, (ConsentScreen, ConfirmScreen))

        # The gate agrees with what was chosen.
        assert allows(store, pid, "contact_for_followup")
        assert not allows(store, pid, "share_intake_with_practitioners")
        assert allows(store, pid, "contact_for_followup").fact.witness == "Sam"

        # The person page shows it, and withdraws contact_for_followup.
        app.action_open_person(pid)
        await pilot.pause()
        page = app.screen
        assert isinstance(page, PersonScreen)
        assert "email and phone" in str(page.query_one("#person-contact", Static).render())
        table = page.query_one("#person-table", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("contact_for_followup"))
        await pilot.press("ctrl+w")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "contact details (email, phone)" in str(confirm.query_one("#confirm-body", Static).render())
        await pilot.click("#confirm-yes")
        await pilot.pause()

        assert app.screen is page
        assert "withdrawn" in str(page.query_one("#person-message", Static).render())
        assert "No contact details are kept" in str(page.query_one("#person-contact", Static).render())
        assert table.get_row("contact_for_followup")[1] == "no: withdrawn"

        # Checked while the app is open: it closes the store when it exits.
        decision = allows(store, pid, "contact_for_followup")
        assert not decision and decision.reason == "revoked"
        assert store.db.execute("SELECT email, phone FROM people WHERE id = ?", [pid]).fetchone() == (None, None)
        tombstones = store.db.execute(
            "SELECT field FROM tombstones WHERE tbl = 'people' AND row_id = ? ORDER BY field", [pid]
        ).fetchall()
        assert tombstones == [("email",), ("phone",)]


async def test_saving_needs_an_answer_for_every_purpose(store):
    pid = person(store)
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_consent(pid)
        await pilot.pause()
        await review(pilot, [0, 0])
        screen = app.screen
        assert isinstance(screen, ConsentScreen)
        problem = str(screen.query_one("#consent-problem", Static).render())
        assert "Contact you afterwards" in problem and "Include you in anonymous reports" in problem
        assert screen.query_one("#choice-2", RadioSet).has_focus
        assert store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0] == 0


async def test_going_back_from_the_summary_or_cancelling_saves_nothing(store):
    pid = person(store)
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_consent(pid)
        await pilot.pause()
        await review(pilot, [0, 0, 0, 0])
        await pilot.press("escape")  # back from the summary
        await pilot.pause()
        assert isinstance(app.screen, ConsentScreen)
        await pilot.press("escape")  # cancel the consent screen
        await pilot.pause()
        assert not isinstance(app.screen, ConsentScreen)
        assert store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0] == 0



async def test_withdrawing_is_offered_only_for_consent_in_place(store):
    pid = person(store)
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_person(pid)
        await pilot.pause()
        page = app.screen
        assert "withdraw" not in footer_actions(app) and page.query_one("#withdraw").disabled
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)  # no confirmation: nothing to withdraw
        assert "No consent for" in str(page.query_one("#purpose-detail", Static).render())
        record_consent(store, pid, {"record_attendance": True}, method="spoken")
        page.refresh_person()
        await pilot.pause()
        assert "withdraw" in footer_actions(app) and not page.query_one("#withdraw").disabled
        await pilot.press("down")  # a purpose never asked: withdrawing does not apply
        await pilot.pause()
        assert "withdraw" not in footer_actions(app)
        assert store.db.execute("SELECT count(*) FROM consent_facts").fetchone()[0] == 1


async def test_a_signed_paper_form_is_linked_by_scanning_its_code(store):
    from fieldkit.consent.forms import blank_forms

    pid = person(store)
    form = blank_forms(store, 1)[0]
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_consent(pid)
        await pilot.pause()
        screen = app.screen
        assert not screen.query_one("#form-code", Input).display
        await fill_consent(pilot, [0, 0, 1, 0])
        await choose(pilot, "method", 1)  # Paper form
        code = screen.query_one("#form-code", Input)
        assert code.display
        # A scanner that types a wrong code: refused with its reason, nothing saved.
        code.focus()
        await pilot.press(*"FK1:WRONG", "enter")
        assert "not a Field Kit code" in str(screen.query_one("#consent-problem", Static).render())
        code.value = ""
        await pilot.press(*form.token, "enter")
        assert "recognised" in str(screen.query_one("#consent-problem", Static).render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert f"Paper form:  {form.form_id}" in str(app.screen.query_one("#confirm-body", Static).render())
        await pilot.click("#confirm-yes")
        await pilot.pause()
        fact = allows(store, pid, "record_attendance").fact
        assert (fact.method, fact.form_id) == ("paper", form.form_id)
        assert store.db.execute("SELECT email FROM people WHERE id = ?", [pid]).fetchone() == (None,)


async def test_a_paper_form_printed_before_the_words_changed_is_refused_on_screen(store):
    from fieldkit.consent.forms import blank_forms
    from tests.test_consent_forms import _change_words

    pid = person(store)
    form = blank_forms(store, 1)[0]
    _change_words(store, "record_attendance")
    app = FieldKitApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_consent(pid)
        await pilot.pause()
        screen = app.screen
        await fill_consent(pilot, [0, 0, 1, 0])
        await choose(pilot, "method", 1)  # Paper form
        screen.query_one("#form-code", Input).focus()
        await pilot.press(*form.token, "enter")
        problem = str(screen.query_one("#consent-problem", Static).render())
        assert "changed since" in problem and "form printed now" in problem
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen  # no summary to confirm: nothing can be saved from it
        assert store.db.execute("SELECT count(*) FROM consent_facts WHERE person_id = ?", [pid]).fetchone() == (0,)
