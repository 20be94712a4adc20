"""The referrals screen: issue a referral, list referrals by status, vet them, move them on, print a card."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Select, Static

from fieldkit import referrals as rf
from fieldkit.errors import Refused
from fieldkit.event import load_event
from fieldkit.event.template import CHANNELS
from fieldkit.people.registry import get_person
from fieldkit.printing import choose_printer, deliver
from fieldkit.referrals import directory
from fieldkit.referrals.cards import single_card
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.tables import selected_key
from printables.fonts import FontMissing
from printables.referral_cards import CardBatch, ReferralCard, render_cards

CHANNEL_WORDS = {
    "community": "Community introduction",
    "directory": "From the directory",
    "walk_in": "Walk-in",
    "practitioner": "Practitioner referral",
}
ALL = "all"


def cards_directory(store_path: str | Path) -> Path:
    """Where the screen saves card PDFs: beside the event database."""
    return Path(store_path).resolve().parent / "referral-cards"


def save_and_print(batch: CardBatch, cards: list[ReferralCard], pdf: Path, printer: str) -> str:
    """Runs in a worker thread with plain data only: write the PDF, then print it (fieldkit/printing.py)."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    render_cards(batch, cards, pdf)
    outcome = deliver(pdf, printer, title="Field Kit referral card")
    return outcome.message  # with no printer chosen, it says so and how to choose one


class ReferralsScreen(FieldKitScreen):
    """Issue referrals and follow them; unvetted ones are marked UNVETTED in the list."""

    CSS_PATH = [Path(__file__).with_name("referrals.tcss")]
    # Priority, so they work while typing in a box (ctrl+u would clear an Input, ctrl+p is
    # the command palette's).
    # Each key means one thing across the app (docs/decisions.md): Ctrl+O is consent and
    # Ctrl+R refer on the intake screen, so printing and refreshing have keys of their own.
    BINDINGS = [
        # Short words: with the app's keys the footer fills 80 columns (tests/tui/test_footers.py).
        Binding("ctrl+s", "issue", "Issue", tooltip="Issue the referral", priority=True),
        Binding("ctrl+t", "apply_status", "Status", tooltip="Set the chosen referral's status", priority=True),
        Binding("ctrl+k", "print_card", "Print", tooltip="Print the chosen referral's card", priority=True),
        Binding("ctrl+d", "open_directory", "Directory", priority=True),
        Binding("ctrl+n", "anonymous", "Anonymous", show=False, priority=True),
        Binding("ctrl+l", "refresh_list", "Refresh", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        template = load_event(self.app.store).template
        practitioners = [(p.name, p.id) for p in template.practitioners]
        yield Header()
        with Horizontal(id="referrals"):
            with VerticalScroll(id="issue-form"):
                yield Static("Issue a referral", classes="section-title")
                yield Static("Anonymous (the card's code is the only link)", id="for-person", markup=False)
                channels = [(CHANNEL_WORDS[c], c) for c in CHANNELS]
                yield Select(channels, prompt="How they came", id="channel", compact=True)
                needs = [(s, s) for s in directory.specialisms(template.practitioners)]
                yield Select(needs, prompt="Need", id="need", compact=True)
                yield Input(placeholder="Language code (e.g. uk)", id="language", compact=True)
                yield Select([], prompt="Introducer (if any)", id="introducer", compact=True)
                yield Static(id="suggestion", markup=False)
                yield Select(practitioners, prompt="Practitioner (or suggested)", id="practitioner", compact=True)
                yield Input(placeholder="Blank card code (optional)", id="card", compact=True)
                yield Button("Issue (Ctrl+S)", id="issue", variant="primary", compact=True)
            with Vertical(id="list-pane"):
                yield Select(
                    [("All referrals", ALL)] + [(rf.STATUS_WORDS[s].capitalize(), s) for s in rf.STATUSES],
                    value=ALL,
                    allow_blank=False,
                    id="status-filter",
                    compact=True,
                )
                yield DataTable(id="referral-table", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="actions"):
                    statuses = [(rf.STATUS_WORDS[s], s) for s in rf.STATUSES[1:]]
                    yield Select(statuses, prompt="New status", id="new-status", compact=True)
                    yield Select(practitioners, prompt="Vetted by", id="vetter", compact=True)
                    yield Input(placeholder="Reason", id="reason", compact=True)
                yield Static(id="referral-message", markup=False)
        # Every key of this screen fits 80 columns: compact, and without the palette hint (Ctrl+P still works).
        yield Footer(show_command_palette=False, compact=True)

    person_id: str | None = None

    def refer(self, person_id: str | None) -> None:
        """Issue the next referral for this person (e.g. from intake); linked only with consent."""
        self.person_id = person_id
        person = get_person(self.app.store, person_id) if person_id else None
        words = (
            f"For {person.display_name} (linked only with their consent to share intake)"
            if person
            else "Anonymous (the card's code is the only link)"
        )
        self.query_one("#for-person", Static).update(words)

    def on_mount(self) -> None:
        self.sub_title = "Referrals"
        table = self.query_one("#referral-table", DataTable)
        table.add_columns("Code", "Status", "Vetted", "Practitioner", "Channel")
        self.refresh_introducers()
        self.refresh_list()
        self.query_one("#channel", Select).focus()

    def on_screen_resume(self) -> None:
        self.refresh_introducers()
        self.refresh_list()

    # -- reading and showing ------------------------------------------------------
    def say(self, text: str, state: str = "ok") -> None:
        message = self.query_one("#referral-message", Static)
        message.update(text)
        message.set_classes(state)

    def refresh_introducers(self) -> None:
        found = rf.introducers(self.app.store)
        self.query_one("#introducer", Select).set_options([(f"{i.name} ({i.group_name})" if i.group_name else i.name, i.id) for i in found])

    def refresh_list(self) -> None:
        status = self.query_one("#status-filter", Select).value
        store = self.app.store
        found = rf.list_referrals(store, status=None if status in (ALL, Select.NULL) else status)
        template = load_event(store).template
        table = self.query_one("#referral-table", DataTable)
        selected = self.selected_referral()  # kept across the rebuild: the next Ctrl+T acts on the same card
        table.clear()
        for r in found:
            who = template.practitioner(r.practitioner_id) if r.practitioner_id else None
            table.add_row(
                r.display_code,
                r.status_words,
                r.vetted_by or "UNVETTED",
                who.name if who else "-",
                CHANNEL_WORDS.get(r.channel, r.channel),
                key=r.id,
            )
        if selected is not None:
            self.select_referral(selected)

    def _value(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value is Select.NULL else value

    def _text(self, selector: str) -> str | None:
        return self.query_one(selector, Input).value.strip() or None

    def selected_referral(self) -> str | None:
        return selected_key(self.query_one("#referral-table", DataTable))

    # -- the suggestion follows the form -----------------------------------------------
    @on(Select.Changed, "#need")
    @on(Input.Changed, "#language")
    def show_suggestion(self) -> None:
        found = rf.suggest_practitioners(self.app.store, self._value("#need"), self._text("#language"))
        words = f"Suggested: {found[0].practitioner.name} ({found[0].reason})" if found else "No practitioner has a place this week."
        self.query_one("#suggestion", Static).update(words)

    @on(Select.Changed, "#status-filter")
    def filter_changed(self) -> None:
        self.refresh_list()

    # -- actions ----------------------------------------------------------------------
    @on(Button.Pressed, "#issue")
    def action_issue(self) -> None:
        channel = self._value("#channel")
        if channel is None:
            self.say("Choose how the person came (the first list) before issuing.", "refused")
            return
        try:
            referral = rf.issue_referral(
                self.app.store,
                channel=channel,
                need=self._value("#need"),
                language=self._text("#language"),
                introducer_id=self._value("#introducer"),
                practitioner_id=self._value("#practitioner"),
                card_code=self._text("#card"),
                person_id=self.person_id,
            )
        except rf.ReferralRefused as refused:
            self.say(refused.message, "refused")
            return
        linked = referral.person_id is not None
        unlinked = self.person_id is not None and not linked
        # The form keeps the person (a second referral for them is one key away); Ctrl+N
        # makes it anonymous again.
        self.query_one("#card", Input).value = ""
        self.query_one("#status-filter", Select).value = ALL
        self.refresh_list()
        named = get_person(self.app.store, referral.person_id).display_name if linked else ""
        link = f" Linked to {named} (Ctrl+N: the next one anonymous)." if linked else (
            " Not linked: no consent to share intake." if unlinked else "")
        self.select_referral(referral.id)
        self.say(f"Issued {referral.display_code} (UNVETTED until a practitioner vets it).{link} Ctrl+K prints its card.")

    def select_referral(self, referral_id: str) -> None:
        table = self.query_one("#referral-table", DataTable)
        try:
            table.move_cursor(row=table.get_row_index(referral_id))
        except Exception:  # not in the list shown (filtered out): leave the cursor
            pass

    def action_anonymous(self) -> None:
        """The next referral is anonymous (the form forgets the person)."""
        self.refer(None)
        self.say("The next referral is anonymous: the card's code is its only link.")

    def action_open_directory(self) -> None:
        from fieldkit.tui.screens.directory import DirectoryScreen

        self.app.push_screen(DirectoryScreen())

    def action_refresh_list(self) -> None:
        self.refresh_list()

    def action_apply_status(self) -> None:
        referral_id = self.selected_referral()
        status = self._value("#new-status")
        if referral_id is None or status is None:
            self.say("Pick a referral in the list and a new status first.", "refused")
            return
        try:
            updated = rf.set_status(
                self.app.store,
                referral_id,
                status,
                reason=self._text("#reason"),
                practitioner_id=self._value("#vetter") if status == rf.VETTED else None,
            )
        except rf.ReferralRefused as refused:
            self.say(refused.message, "refused")
            return
        self.query_one("#reason", Input).value = ""
        self.refresh_list()
        self.say(f"{updated.display_code} is now {updated.status_words}.")

    def action_print_card(self) -> None:
        referral_id = self.selected_referral()
        if referral_id is None:
            self.say("Pick a referral in the list to print its card.", "refused")
            return
        store = self.app.store
        try:
            template = load_event(store).template
            # One card on a page of its own size, or one label (the template says): never a sheet of ten.
            batch, cards = single_card(store, referral_id)
        except Refused as exc:
            self.say(str(exc), "refused")
            return
        pdf = cards_directory(store.path) / f"referral-{cards[0].short_code}.pdf"
        self.say(f"Printing the card for {cards[0].short_code}...")
        self.print_in_background(batch, cards, pdf, choose_printer(None, template))

    @work(thread=True, exclusive=True, exit_on_error=False, group="print")
    def print_in_background(self, batch: CardBatch, cards: list[ReferralCard], pdf: Path, printer: str) -> None:
        # Only plain data crosses into this thread: the store stays on the UI thread.
        try:
            message, state = save_and_print(batch, cards, pdf, printer), "ok"
        except OSError as exc:
            message, state = f"Could not save the card: {exc.strerror or exc}.", "refused"
        except FontMissing as exc:
            message, state = str(exc), "refused"
        self.app.call_from_thread(self.say, message, state)
