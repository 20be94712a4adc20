"""The check-in screen: one always-focused box for scans and names, a big result in words."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from fieldkit.checkin import Attendee, CheckinRefused, CheckinResult, Desk, describe
from fieldkit.checkin.passes import deliver_single_pass, pass_cards, pass_sheet
from fieldkit.event import load_event
from fieldkit.keys import CannotSign
from fieldkit.printing import choose_printer
from fieldkit.referrals import DeskScan, scan_at_desk
from fieldkit.store import new_id
from fieldkit.tokens import looks_like_token
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.result_panel import ResultPanel
from printables.passes import PassCard, PassSheet

MIN_SEARCH = 2
RECENT = 10
IDLE_SECONDS = 2.0


class CheckinScreen(FieldKitScreen):
    """Scan, search by name, walk-ins, undo; counters and the last ten check-ins."""

    BINDINGS = [
        Binding("down", "move(1)", "Next name", show=False),
        Binding("up", "move(-1)", "Previous name", show=False),
        Binding("escape", "clear", "Clear"),
        Binding("f8", "walk_in", "Walk-in", priority=True),
        Binding("f9", "walk_in(True)", "Walk-in + pass", priority=True),
        Binding("ctrl+z", "undo", "Undo", priority=True),
        # For the person the panel names (the last one admitted): shown only then.
        Binding("f10", "consent", "Consent", priority=True),
        Binding("f12", "person", "Person", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.desk: Desk | None = None
        self.zone = None
        # Whom F10/F12 open: the person of the check-in on the panel, none otherwise.
        self.last_admitted: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="checkin"):
            with Vertical(id="checkin-main"):
                yield Input(placeholder="Scan a pass, or type a name", id="scan")
                yield OptionList(id="matches")
                yield ResultPanel("Ready: scan a pass or type a name.", id="result")
            with Vertical(id="checkin-side"):
                yield Static(id="counters")
                yield Static("Last check-ins", id="recent-title")
                yield Static(id="recent")
        # The desk's own keys fill 80 columns; Ctrl+P still opens the command palette.
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.desk = Desk(self.app.store)
        self.zone = load_event(self.app.store).zone
        self.query_one("#matches", OptionList).display = False
        self.refresh_side()
        # Other desks' check-ins arrive by sync: keep the side panel current.
        self.set_interval(3.0, self.refresh_side)
        self.set_interval(5.0, self.tidy_when_idle)
        self._last_action = 0.0

    def on_screen_resume(self) -> None:
        self.query_one("#scan", Input).focus()
        if self.desk is not None:
            self.refresh_side()

    # -- showing -----------------------------------------------------------------
    @property
    def result_panel(self) -> ResultPanel:
        return self.query_one("#result", ResultPanel)

    def _local(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%H:%M}"

    def say(self, text: str, state: str, person_id: str | None = None) -> None:
        """Show `text` on the panel; F10/F12 then apply to `person_id` (none: hidden)."""
        self.result_panel.show(text, state)
        if person_id != self.last_admitted:
            self.last_admitted = person_id
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("consent", "person"):
            return self.last_admitted is not None
        return True

    def show_result(self, result: CheckinResult) -> None:
        # A pass whose registration has not synced yet names nobody to ask for consent.
        self.say(describe(result, self.zone), "flagged" if result.flagged else "admitted", result.person_id)
        self._reset_box()

    def show_referral_scan(self, scan: DeskScan) -> None:
        # Through say(): a card names nobody, so F10/F12 no longer open the last person admitted.
        self.say(scan.message, "refused" if scan.refused else "admitted" if scan.advanced else "flagged")
        if scan.refused:
            self.app.bell()
        self._reset_box()

    def show_refusal(self, exc: CheckinRefused) -> None:
        self.say(exc.message, "refused")
        self.app.bell()
        self._reset_box()

    def _reset_box(self) -> None:
        self._last_action = time.monotonic()
        box = self.query_one("#scan", Input)
        box.value = ""
        box.focus()
        self._show_matches([])
        # Counters and the list after the result is on screen: the result comes first.
        self.call_after_refresh(self.refresh_side)

    def tidy_when_idle(self) -> None:
        if time.monotonic() - self._last_action > IDLE_SECONDS:
            self.desk.tidy()

    def refresh_side(self) -> None:
        counters = self.desk.counters()
        self.query_one("#counters", Static).update(
            f"Registered  {counters.registered}\nChecked in  {counters.checked_in}\nWalk-ins    {counters.walk_ins}"
        )
        lines = [
            f"{self._local(r.at)}  {r.name or '(not synced yet)'}" + ("  [flagged]" if r.flagged else "")
            for r in self.desk.recent(RECENT)
        ]
        self.query_one("#recent", Static).update("\n".join(lines) or "None yet.")

    def _show_matches(self, found: list[Attendee]) -> None:
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        for hit in found:
            status = f"  checked in {self._local(hit.checked_in_at)}" if hit.checked_in_at else ""
            ticket = f"  ({hit.ticket})" if hit.ticket else ""
            matches.add_option(Option(f"{hit.name}{ticket}{status}", id=hit.person_id))
        matches.display = bool(found)
        if found:
            matches.highlighted = 0

    # -- the box -----------------------------------------------------------------
    @on(Input.Changed, "#scan")
    def search_as_typed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if len(text) < MIN_SEARCH or looks_like_token(text) or text.upper().startswith("FK"):
            self._show_matches([])
            return
        found = self.desk.search(text)
        self._show_matches(found)
        if not found:
            self.say(f"No one called {text!r} yet: press F8 to register them as a walk-in.", "undone")

    @on(Input.Submitted, "#scan")
    def submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        try:
            if looks_like_token(text):
                # A referral card scanned at a later clinic moves its referral on instead.
                referral = scan_at_desk(self.app.store, text, self.desk.keyring())
                if referral is not None:
                    self.show_referral_scan(referral)
                    return
                self.show_result(self.desk.scan(text, nonce=new_id()))
                return
            matches = self.query_one("#matches", OptionList)
            if matches.display and matches.highlighted is not None:
                person_id = matches.get_option_at_index(matches.highlighted).id
                self.show_result(self.desk.check_in_person(person_id, nonce=new_id()))
            elif len(text) < MIN_SEARCH:
                self.say("Type at least two letters of a name, or scan a pass.", "undone")
            else:
                self.say(f"No one called {text!r}: press F8 to register them as a walk-in.", "undone")
        except CheckinRefused as exc:
            self.show_refusal(exc)

    @on(OptionList.OptionSelected, "#matches")
    def pick(self, event: OptionList.OptionSelected) -> None:
        try:
            self.show_result(self.desk.check_in_person(event.option.id, nonce=new_id()))
        except CheckinRefused as exc:
            self.show_refusal(exc)

    # -- actions -----------------------------------------------------------------
    def action_move(self, step: int) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.display and matches.option_count:
            current = matches.highlighted if matches.highlighted is not None else -step
            matches.highlighted = max(0, min(matches.option_count - 1, current + step))

    def action_clear(self) -> None:
        self.say("Ready: scan a pass or type a name.", "undone")
        self._reset_box()

    def action_walk_in(self, with_pass: bool = False) -> None:
        name = self.query_one("#scan", Input).value
        if looks_like_token(name):
            self.say("That is a code, not a name: press Enter to check it in.", "undone")
            return
        try:
            result = self.desk.walk_in(name, nonce=new_id())
        except CheckinRefused as exc:
            self.show_refusal(exc)
            return
        self.show_result(result)
        if with_pass:
            self.print_walk_in_pass(result.registration_id)

    def action_undo(self) -> None:
        try:
            voided = self.desk.undo_last()
        except CheckinRefused as exc:
            self.show_refusal(exc)
            return
        who = voided.name or "the last person"
        self.say(f"Undone: {who}'s check-in at {self._local(voided.at)} was voided.", "undone")
        self._reset_box()

    def action_consent(self) -> None:
        if self.last_admitted is not None:
            self.app.action_open_consent(self.last_admitted)

    def action_person(self) -> None:
        if self.last_admitted is not None:
            self.app.action_open_person(self.last_admitted)

    def print_walk_in_pass(self, registration_id: str) -> None:
        try:
            sheet = pass_sheet(self.app.store)
            (card,) = pass_cards(self.app.store, [registration_id])
        except CannotSign as exc:
            self.notify(str(exc), severity="warning")
            return
        printer = choose_printer(None, load_event(self.app.store).template)
        self._render_pass(sheet, card, Path(self.app.store.path).parent / "passes", printer)

    @work(thread=True, exclusive=True, exit_on_error=False, group="print")
    def _render_pass(self, sheet: PassSheet, card: PassCard, directory: Path, printer: str) -> None:
        # Only plain data crosses into this thread: the store stays on the UI thread.
        message = deliver_single_pass(sheet, card, directory, printer)
        self.app.call_from_thread(self.notify, message)
