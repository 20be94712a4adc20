"""The check-in screen: one always-focused box for scans and names, a big result in words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from fieldkit.checkin import Attendee, CheckinRefused, CheckinResult, Desk, describe
from fieldkit.checkin.passes import deliver_single_pass, pass_cards, pass_sheet, pass_token
from fieldkit.event import load_event
from fieldkit.keys import CannotSign
from fieldkit.people.tickets import looks_like_ticket
from fieldkit.printing import choose_printer
from fieldkit.referrals import DeskScan, scan_at_desk
from fieldkit.store import DB_ERRORS, new_id
from fieldkit.store.faults import storage_fault
from fieldkit.tokens import looks_like_token
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.choice_dialog import Choice, ChoiceDialog, Chosen
from fieldkit.tui.widgets.pass_qr import PassQRScreen
from fieldkit.tui.widgets.result_panel import ADMITTED, FLAGGED, READY, REFUSED, ResultPanel
from fieldkit.tui.widgets.scan_box import ScanBox
from printables.passes import PassCard, PassSheet

MIN_SEARCH = 2
RECENT = 10
IDLE_SECONDS = 2.0
# Text typed and left in the box this long is leftover, not the start of the next scan.
BOX_IDLE_SECONDS = 20.0
# The side panel (counters, last check-ins) follows a result this much later, once it is painted.
SIDE_AFTER_SECONDS = 0.15
# Between steps of warming the desk's cache after the screen opens (keys go first).
WARM_STEP_SECONDS = 0.02
READY_TEXT = "Ready: scan a pass or type a name."
NEW_WALK_IN = "__new_walk_in__"  # no person id looks like this (ULIDs)


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:]


class CheckinScreen(FieldKitScreen):
    """Scan, search by name, walk-ins, undo; counters and the last ten people checked in."""

    BINDINGS = [
        Binding("down", "move(1)", "Next name", show=False),
        Binding("up", "move(-1)", "Previous name", show=False),
        # Escape empties the box (the palette lists it): the footer keeps its room for the rest.
        Binding("escape", "clear", "Clear", show=False),
        Binding("f8", "walk_in", "Walk-in", priority=True),
        Binding("f9", "walk_in(True)", "+ pass", tooltip="Walk-in, and print their pass", priority=True),
        Binding("ctrl+z", "undo", "Undo", priority=True),
        # For the person the panel names (the last one admitted): shown only then.
        Binding("ctrl+o", "consent", "Consent", priority=True),
        Binding("f12", "person", "Person", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.desk: Desk | None = None
        self.zone = None
        # Whom Ctrl+O/F12 open: the person of the check-in on the panel, none otherwise.
        self.last_admitted: str | None = None
        self.last_name: str | None = None
        # A name Enter found nobody for: what F8 registers once the box is empty again.
        self.pending_name: str | None = None
        self._shown_for: str | None = None  # the text the listed matches are for
        self._shown: list[Attendee] = []
        self._moved = False  # the volunteer picked a match with the arrows
        self._ready_timer = None
        self._side_timer = None
        self._last_action = self._last_key = 0.0
        self.warmed = False  # the desk's lookups are in its page cache (Desk.warm)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="checkin"):
            with Vertical(id="checkin-main"):
                yield ScanBox(placeholder="Scan a pass, or type a name", id="scan")
                yield OptionList(id="matches", markup=False)
                yield ResultPanel(id="result")
            with Vertical(id="checkin-side"):
                yield Static(id="counters")
                yield Static("Last check-ins", id="recent-title")
                yield Static(id="recent", markup=False)
        # The desk's own keys fill 80 columns: compact, and Ctrl+P still opens the command palette.
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.desk = Desk(self.app.store)
        event = load_event(self.app.store)
        self.zone = event.zone
        self.result_seconds = event.template.checkin.result_seconds
        self.query_one("#matches", OptionList).display = False
        self.ready()
        self.refresh_side()
        # Other desks' check-ins arrive by sync: keep the side panel current.
        self.set_interval(3.0, self.refresh_side)
        self.set_interval(5.0, self.tidy_when_idle)
        # The first scans of the day as quick as the hundredth: warm the desk's cache, a step per turn.
        steps = self.desk.warming()
        self.set_timer(WARM_STEP_SECONDS, lambda: self._warm_step(steps))

    def _warm_step(self, steps: Iterator[tuple]) -> None:
        if self.unless_damaged(lambda: next(steps, None)) is None:
            self.warmed = True
        else:
            self.set_timer(WARM_STEP_SECONDS, lambda: self._warm_step(steps))

    def on_screen_resume(self) -> None:
        self.box.focus()
        if self.desk is not None:
            self.refresh_side()

    # -- showing -----------------------------------------------------------------
    @property
    def result_panel(self) -> ResultPanel:
        return self.query_one("#result", ResultPanel)

    @property
    def box(self) -> ScanBox:
        return self.query_one("#scan", ScanBox)

    def _local(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%H:%M}"

    def say(self, state: str, headline: str, detail: str = "", person_id: str | None = None,
            name: str | None = None, verdict: str | None = None) -> None:
        """Show a result; Ctrl+O/F12 then apply to `person_id` (none: hidden). It returns to
        "Ready" after the event's `[checkin] result_seconds`."""
        self.result_panel.show(state, headline, detail, verdict)
        self.pending_name = None
        # The footer is rebuilt when bindings refresh (milliseconds each time): only when
        # Ctrl+O/F12 come or go, not for every new person.
        shown_before = self.last_admitted is not None
        self.last_admitted, self.last_name = person_id, name
        if (person_id is not None) != shown_before:
            self.refresh_bindings()
        if self._ready_timer is not None:
            self._ready_timer.stop()
        self._ready_timer = self.set_timer(self.result_seconds, self.ready)

    def ready(self) -> None:
        """Back to "Ready" (the next person steps up); the keys for the last person stay."""
        self._ready_timer = None
        self.pending_name = None
        last = f"Last: {self.last_name}. Ctrl+O their consent, F12 their page." if self.last_admitted else ""
        self.result_panel.show(READY, READY_TEXT, last)

    def hint(self, text: str) -> None:
        """A word about what was typed, not a result: nobody is named on the panel."""
        self.say(READY, text)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("consent", "person"):
            return self.last_admitted is not None
        return True

    def show_result(self, result: CheckinResult) -> None:
        # A pass whose registration has not synced yet names nobody to ask for consent.
        admission = self.desk.admission(result)
        detail = "  \u00b7  ".join(
            part for part in (
                f"Ticket: {admission.ticket}" if admission.ticket else "",
                _sentence(admission.party.words()) if admission.party else "",
            ) if part
        )
        state = FLAGGED if result.flagged else ADMITTED
        self.say(state, describe(result, self.zone), detail, result.person_id, result.name)
        self._after_action()

    def show_referral_scan(self, scan: DeskScan) -> None:
        # Through say(): a card names nobody, so Ctrl+O/F12 no longer open the last person admitted.
        state = REFUSED if scan.refused else ADMITTED if scan.advanced else FLAGGED
        self.say(state, scan.message, verdict="REFERRAL CARD")
        if scan.refused:
            self.app.bell()
        self._after_action()

    def show_refusal(self, exc: CheckinRefused) -> None:
        self.say(REFUSED, exc.message)
        self.app.bell()
        self._after_action()

    def _after_action(self) -> None:
        self._last_action = time.monotonic()
        self.box.focus()
        self._show_matches([], None)
        # Counters and the list once the result is on screen: the result comes first. (Textual's
        # call_after_refresh ran before the paint: the result waited for two queries.) A burst
        # of scans refreshes them once.
        if self._side_timer is None:
            self._side_timer = self.set_timer(SIDE_AFTER_SECONDS, self._refresh_side_after)

    def _refresh_side_after(self) -> None:
        self._side_timer = None
        self.refresh_side()

    def tidy_when_idle(self) -> None:
        now = time.monotonic()
        if now - self._last_action > IDLE_SECONDS:
            self.unless_damaged(self.desk.tidy)
        if self.box.typed and now - self._last_key > BOX_IDLE_SECONDS:
            self.box.value = ""  # leftover text must not become the start of the next scan

    def refresh_side(self) -> None:
        self.unless_damaged(self._refresh_side)

    def _refresh_side(self) -> None:
        counters = self.desk.counters()
        self.update_text("#counters",
            f"Registered  {counters.registered}\nChecked in  {counters.checked_in}\nWalk-ins    {counters.walk_ins}"
        )
        lines = [
            f"{self._local(r.at)}  {r.name or '(not synced yet)'}" + ("  (flagged)" if r.flagged else "")
            for r in self.desk.recent(RECENT)
        ]
        self.update_text("#recent", "\n".join(lines) or "None yet.")

    def _label(self, hit: Attendee) -> str:
        """A match as listed: what tells namesakes apart (ticket, order, checked in or not)."""
        number = hit.order_ref or hit.external_id
        parts = [
            hit.name,
            hit.ticket or "",
            f"order {number}" if number and not number.startswith("sha256:") else "",
            f"checked in {self._local(hit.checked_in_at)}" if hit.checked_in_at else "not checked in",
        ]
        return "  \u00b7  ".join(p for p in parts if p)

    def _show_matches(self, found: list[Attendee], for_text: str | None) -> None:
        matches = self.query_one("#matches", OptionList)
        if found or matches.option_count or matches.display:  # (nothing to list, nothing listed: no new layout)
            matches.clear_options()
            matches.add_options([Option(self._label(hit), id=hit.person_id) for hit in found])
            matches.display = bool(found)
        self._shown_for, self._shown, self._moved = for_text, found, False
        if found:
            matches.highlighted = 0

    # -- the box -----------------------------------------------------------------
    @on(Input.Changed, "#scan")
    def search_as_typed(self, event: Input.Changed) -> None:
        self._last_key = time.monotonic()
        text = event.value.strip()
        if len(text) < MIN_SEARCH or text.upper().startswith("FK") or "FK1:" in text.upper():
            self._show_matches([], None)
            return
        found = self.desk.search(text)
        self._show_matches(found, text)
        if not found and not looks_like_ticket(text):
            self.hint(f"No one called {text!r} yet: press F8 to register them as a walk-in.")

    @on(ScanBox.Scanned, "#scan")
    def scanned(self, event: ScanBox.Scanned) -> None:
        try:
            self.act_on(event.text)
        finally:
            self.box.settle()  # after the result: emptying the box repaints it

    def act_on(self, text: str) -> None:
        """What Enter sent: a pass or card, a platform ticket, or a name."""
        if not text:
            return
        try:
            if looks_like_token(text):
                # A referral card scanned at a later clinic moves its referral on instead.
                referral = scan_at_desk(self.app.store, text, self.desk.keyring())
                if referral is not None:
                    self.show_referral_scan(referral)
                else:
                    self.show_result(self.desk.scan(text, nonce=new_id()))
                return
            if looks_like_ticket(text) and (result := self.desk.scan_ticket(text, nonce=new_id())):
                self.show_result(result)
                return
            self.by_name(text)
        except CheckinRefused as exc:
            self.show_refusal(exc)
        except DB_ERRORS as exc:  # met outside the desk's own checks (the key ring, a card, a search)
            if (fault := storage_fault(exc, self.app.store.path)) is None:
                raise
            self.show_refusal(CheckinRefused(fault.code, fault.message))

    def by_name(self, text: str) -> None:
        """Enter on a name: one match is checked in; several ask which (unless one was picked
        with the arrows); none offers F8."""
        shown = self._shown_for == text
        found = self._shown if shown else self.desk.search(text) if len(text) >= MIN_SEARCH else []
        matches = self.query_one("#matches", OptionList)
        if shown and self._moved and matches.highlighted is not None:
            self.check_in_person(found[matches.highlighted].person_id)
        elif len(found) == 1:
            self.check_in_person(found[0].person_id)
        elif found:
            self.ask_which(found, f"{len(found)} people match \u201c{text}\u201d: who is here?")
        elif looks_like_ticket(text):
            self.show_refusal(CheckinRefused(
                "malformed", "This is not a Field Kit code, nor a ticket of this event: scan it again or search by name."
            ))
        elif len(text) < MIN_SEARCH:
            self.hint("Type at least two letters of a name, or scan a pass.")
        else:
            self.hint(f"No one called {text!r}: press F8 to register them as a walk-in.")
            self.pending_name = text

    def ask_which(self, found: list[Attendee], title: str, walk_in: str | None = None, with_pass: bool = False) -> None:
        """Which of `found` is here (a choice dialog); with `walk_in`, the last choice registers
        a new walk-in of that name instead."""
        choices = [Choice(hit.person_id, self._label(hit)) for hit in found[:8]]
        if walk_in is not None:
            choices.append(Choice(NEW_WALK_IN, f"Someone else: register \u201c{walk_in}\u201d as a new walk-in"))

        def chosen(choice: Chosen | None) -> None:
            if choice is None:
                self.hint("Nobody was checked in: search again, or scan their pass.")
            elif choice.id == NEW_WALK_IN:
                self.walk_in(walk_in, with_pass)
            else:
                self.check_in_person(choice.id, with_pass)

        self.app.push_screen(ChoiceDialog(title, choices), chosen)

    def check_in_person(self, person_id: str, with_pass: bool = False) -> None:
        try:
            result = self.desk.check_in_person(person_id, nonce=new_id())
        except CheckinRefused as exc:
            self.show_refusal(exc)
            return
        self.show_result(result)
        if with_pass:
            self.show_pass(result)

    @on(OptionList.OptionSelected, "#matches")
    def pick(self, event: OptionList.OptionSelected) -> None:
        self.box.value = ""
        self.check_in_person(event.option.id)

    # -- actions -----------------------------------------------------------------
    def action_move(self, step: int) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.display and matches.option_count:
            current = matches.highlighted if matches.highlighted is not None else -step
            matches.highlighted = max(0, min(matches.option_count - 1, current + step))
            self._moved = True

    def action_clear(self) -> None:
        self.box.value = ""
        self.say(READY, READY_TEXT)
        self._after_action()

    def action_walk_in(self, with_pass: bool = False) -> None:
        # Once the box has the keys typed before F8 (a name and F8 can arrive in one burst).
        self.box.call_later(self._walk_in_typed, with_pass)

    def _walk_in_typed(self, with_pass: bool) -> None:
        name = self.box.typed.strip() or self.pending_name or ""
        self.box.value = ""  # whatever happens next, the next scan starts from an empty box
        if not name:
            self.hint("Type the person's name first, then press F8 (F9: with a pass to print).")
            return
        namesakes = self.desk.namesakes(name) if name and not looks_like_ticket(name) else []
        if namesakes:
            # Someone registered has this name: ask before making a second person.
            self.ask_which(namesakes, f"\u201c{name}\u201d is registered already. Is it one of them?", name, with_pass)
            return
        self.walk_in(name, with_pass)

    def walk_in(self, name: str, with_pass: bool = False) -> None:
        try:
            result = self.desk.walk_in(name, nonce=new_id())
        except CheckinRefused as exc:
            self.show_refusal(exc)
            return
        self.show_result(result)
        if with_pass:
            self.show_pass(result)

    def action_undo(self) -> None:
        try:
            voided = self.desk.undo_last()
        except CheckinRefused as exc:
            self.show_refusal(exc)
            return
        who = voided.name or "the last person"
        also = " Their walk-in registration was taken back too." if voided.walk_in else ""
        self.say(READY, f"Undone: {who}'s check-in at {self._local(voided.at)} was voided.{also}", verdict="UNDONE")
        self._after_action()

    def action_consent(self) -> None:
        if self.last_admitted is not None:
            self.app.action_open_consent(self.last_admitted)

    def action_person(self) -> None:
        if self.last_admitted is not None:
            self.app.action_open_person(self.last_admitted)

    # -- a walk-in's pass: on screen to photograph, and printed where there is a printer
    def show_pass(self, result: CheckinResult) -> None:
        try:
            token = pass_token(self.app.store, result.registration_id)
            sheet = pass_sheet(self.app.store)
            (card,) = pass_cards(self.app.store, [result.registration_id])
        except CannotSign as exc:
            self.notify(str(exc), severity="warning")
            return
        self.app.push_screen(PassQRScreen(result.name or "this person", token))
        printer = choose_printer(None, load_event(self.app.store).template)
        self._render_pass(sheet, card, Path(self.app.store.path).parent / "passes", printer)

    @work(thread=True, exclusive=True, exit_on_error=False, group="print")
    def _render_pass(self, sheet: PassSheet, card: PassCard, directory: Path, printer: str) -> None:
        # Only plain data crosses into this thread: the store stays on the UI thread.
        message = deliver_single_pass(sheet, card, directory, printer)
        self.app.call_from_thread(self.notify, message)
