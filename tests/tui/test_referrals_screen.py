"""The referrals screen (F4): issue, list by status, vet, print a card — driven with Pilot."""

from __future__ import annotations

import pypdfium2
import zxingcpp
from textual.widgets import DataTable, Select, Static

from fieldkit import referrals as rf
from fieldkit.tui.app import FieldKitApp
from fieldkit.tui.screens.referrals import ReferralsScreen, cards_directory


def message(app) -> str:
    return str(app.screen.query_one("#referral-message", Static).render())


def rows(app, selector: str = "#referral-table") -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_issue_vet_and_print_a_card(store, monkeypatch):
    monkeypatch.delenv("FIELDKIT_PRINTER", raising=False)
    amina = rf.add_introducer(store, "Amina Yusuf", "Tenants")
    app = FieldKitApp(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ReferralsScreen)
        screen = app.screen

        # Issuing without a channel is refused with what to do.
        await pilot.press("ctrl+s")
        assert "Choose how the person came" in message(app)
        assert rf.list_referrals(store) == []

        screen.query_one("#channel", Select).value = "community"
        screen.query_one("#introducer", Select).value = amina
        screen.query_one("#need", Select).value = "grief"
        await pilot.click("#language")
        await pilot.press("e", "n")
        await pilot.pause()
        assert "Suggested: Amara Okafor" in str(screen.query_one("#suggestion", Static).render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        [issued] = rf.list_referrals(store)
        assert issued.channel == "community" and issued.introducer_id == amina and issued.language == "en"
        assert f"Issued {issued.display_code}" in message(app)
        assert rows(app) == [[issued.display_code, "issued, not vetted", "UNVETTED", "Amara Okafor", "Community introduction"]]

        # Booking before vetting is refused; vetting then works.
        screen.query_one("#new-status", Select).value = rf.BOOKED
        await pilot.press("ctrl+t")
        assert "Vet it first" in message(app)
        screen.query_one("#new-status", Select).value = rf.VETTED
        screen.query_one("#vetter", Select).value = "eleni-papadaki"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert rows(app)[0][1:3] == ["vetted", "eleni-papadaki"]

        # Listing by status.
        screen.query_one("#status-filter", Select).value = rf.ISSUED
        await pilot.pause()
        assert rows(app) == []
        screen.query_one("#status-filter", Select).value = rf.VETTED
        await pilot.pause()
        assert len(rows(app)) == 1

        # Printing the card runs in a worker and says where the PDF is.
        await pilot.press("ctrl+k")
        await app.workers.wait_for_complete()
        await pilot.pause()
        pdf = cards_directory(store.path) / f"referral-{issued.display_code}.pdf"
        assert f"Saved {pdf} (no printer is chosen: set FIELDKIT_PRINTER" in message(app)
        document = pypdfium2.PdfDocument(str(pdf))
        try:
            # One card on a page of its own (85 x 55 mm), not an A4 sheet of ten.
            assert len(document) == 1
            width_mm, height_mm = (round(v * 25.4 / 72) for v in document[0].get_size())
            assert (width_mm, height_mm) == (85, 55)
            image = document[0].render(scale=2).to_pil()
        finally:
            document.close()
        [found] = zxingcpp.read_barcodes(image)
        assert rf.resolve(store, found.text).id == issued.id


async def test_fits_at_80_by_24_and_refusals_are_in_words(store):
    app = FieldKitApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("ctrl+k")
        assert "Pick a referral in the list" in message(app)
        await pilot.press("ctrl+t")
        assert "Pick a referral in the list and a new status" in message(app)
        app.screen.query_one("#channel", Select).value = "community"
        await pilot.press("ctrl+s")
        assert "needs its introducer" in message(app)


async def test_referring_a_person_links_only_with_consent(store):
    from fieldkit.consent.records import record_consent
    from fieldkit.people.registry import add_person

    ada = add_person(store, "Ada Lovelace")
    grace = add_person(store, "Grace Hopper")
    record_consent(store, grace, {"share_intake_with_practitioners": True}, method="spoken")
    app = FieldKitApp(store)
    async with app.run_test(size=(100, 34)) as pilot:
        for person, linked in ((ada, False), (grace, True)):
            await app.run_action(f"refer_person('{person}')")
            await pilot.pause()
            assert "linked only with their consent" in str(app.screen.query_one("#for-person", Static).render())
            app.screen.query_one("#channel", Select).value = "walk_in"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert ("Linked to Grace Hopper (Ctrl+N: the next one anonymous)." if linked else "Not linked: no consent") in message(app)
            # The form keeps the person after issuing (issue 14 item 11); Ctrl+N makes it anonymous.
            assert "linked only with their consent" in str(app.screen.query_one("#for-person", Static).render())
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert "Anonymous" in str(app.screen.query_one("#for-person", Static).render())
        assert {r.person_id for r in rf.list_referrals(store)} == {None, grace}


async def test_scanning_a_card_at_the_check_in_desk_books_it_and_credits_the_introducer(store):
    from textual.widgets import Input

    from tests.tui.test_checkin_screen import RecordingApp, open_checkin, result_of

    async def type_and_enter(pilot, code: str) -> None:
        # The box holds the code as a scanner leaves it (typing 147 keys per scan is slow in Pilot), then Enter.
        pilot.app.screen.query_one("#scan", Input).value = code
        await pilot.press("enter")
        await pilot.pause()

    amina = rf.add_introducer(store, "Amina Yusuf")
    r = rf.vet(store, rf.issue_referral(store, channel="community", introducer_id=amina, need="grief").id, "amara-okafor")
    unvetted = rf.issue_referral(store, channel="walk_in")
    app = RecordingApp(store)
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await open_checkin(pilot)
        await type_and_enter(pilot, rf.signed_code(store, r.card_id))
        assert "booked recorded" in result_of(screen)
        assert rf.get_referral(store, r.id).status == rf.BOOKED
        assert rf.credit_balances(store)[0][1] == 1
        # The scanner sends it again: nothing more happens, and it says so.
        await type_and_enter(pilot, rf.signed_code(store, r.card_id))
        assert "Already scanned today" in result_of(screen)
        assert rf.get_referral(store, r.id).status == rf.BOOKED and app.bells == 0
        # An unvetted card is refused in words, with the bell.
        await type_and_enter(pilot, rf.signed_code(store, unvetted.card_id))
        assert "Referral card:" in result_of(screen) and "not vetted" in result_of(screen)
        assert app.bells == 1
        assert store.db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 0


async def test_directory_screen_filters_and_shows_places_this_week(store):
    from textual.widgets import Input

    from fieldkit.tui.screens.directory import DirectoryScreen

    rf.issue_referral(store, channel="walk_in", practitioner_id="olena-kovalenko")
    app = FieldKitApp(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("f4", "ctrl+d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DirectoryScreen)
        names = lambda: [r[0] for r in rows(app, "#directory-table")]  # noqa: E731
        assert names() == ["Amara Okafor", "Ελένη Παπαδάκη", "Олена Коваленко"]  # accepting, by default
        assert rows(app, "#directory-table")[2][3] == "1 of 2"
        screen.query_one("#filter-specialism", Select).value = "anxiety"
        await pilot.pause()
        assert names() == ["Amara Okafor", "Ελένη Παπαδάκη"]
        screen.query_one("#filter-language", Input).value = "el"
        await pilot.pause()
        assert names() == ["Ελένη Παπαδάκη"]
        screen.query_one("#filter-specialism", Select).clear()
        screen.query_one("#filter-language", Input).value = ""
        screen.query_one("#filter-accepting", Select).value = "no"
        await pilot.pause()
        assert names() == ["João Ferreira"] and rows(app, "#directory-table")[0][3] == "not accepting"
        screen.query_one("#filter-language", Input).value = "xx"
        await pilot.pause()
        assert "No practitioner matches" in str(screen.query_one("#directory-count", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen, ReferralsScreen)


async def test_after_a_status_change_the_list_stays_on_the_same_referral(store):
    # Before: the list went back to its first row, and the next Ctrl+T (a decline, final)
    # changed a referral nobody had picked.
    issued = [rf.issue_referral(store, channel="walk_in", need="grief") for _ in range(3)]
    app = FieldKitApp(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#referral-table", DataTable)
        table.move_cursor(row=2)
        picked = screen.selected_referral()
        screen.query_one("#new-status", Select).value = rf.VETTED
        screen.query_one("#vetter", Select).value = "eleni-papadaki"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.selected_referral() == picked and table.cursor_row == 2
        screen.query_one("#new-status", Select).value = rf.BOOKED
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert rf.get_referral(store, picked).status == rf.BOOKED
        assert [rf.get_referral(store, r.id).status for r in issued if r.id != picked] == [rf.ISSUED, rf.ISSUED]
