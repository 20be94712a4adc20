"""A person's page: check-in, ticket, timers and referrals as far as the laptop's role and the
person's consent allow; their consent for each purpose, recording more, and withdrawing it."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Static

from fieldkit.checkin.lookup import person_at_desk
from fieldkit.consent import REASON_LABELS, ConsentError, consent_status, event_template
from fieldkit.consent.withdrawal import coverage_of, revoke
from fieldkit.intake import timers as it
from fieldkit.intake.privacy import sharing
from fieldkit.people.contact_details import kept_contact_fields
from fieldkit.people.registry import get_person
from fieldkit.referrals.records import referrals_of_person
from fieldkit.roles import DESK
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.screens.consent import ConsentScreen
from fieldkit.tui.widgets.confirm import ConfirmScreen
from fieldkit.tui.widgets.tables import selected_key


class PersonScreen(FieldKitScreen):
    """One person: name, what contact details are kept, consent per purpose."""

    CSS_PATH = [Path(__file__).with_name("consent.tcss")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+g", "give_consent", "Record consent"),
        Binding("ctrl+w", "withdraw", "Withdraw selected"),
    ]

    def __init__(self, person_id: str):
        super().__init__()
        self.person_id = person_id

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="person"):
            yield Static(id="person-name", markup=False)
            yield Static(id="person-contact")
            yield Static(id="person-facts", markup=False)
            yield DataTable(id="person-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="purpose-detail")
            yield Static(id="person-message")
            with Horizontal(id="person-buttons"):
                yield Button("Record consent (Ctrl+G)", id="give", variant="primary")
                yield Button("Withdraw selected (Ctrl+W)", id="withdraw", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Person"
        table = self.query_one("#person-table", DataTable)
        table.add_columns("Purpose", "Consent", "Given", "Until")
        self.refresh_person()
        table.focus()

    def on_screen_resume(self) -> None:
        self.refresh_person()

    def refresh_person(self) -> None:
        store = self.app.store
        person = get_person(store, self.person_id)
        self.query_one("#person-name", Static).update(
            person.display_name if person else f"No person {self.person_id} on this laptop"
        )
        kept = kept_contact_fields(store, self.person_id)
        self.query_one("#person-contact", Static).update(
            f"Contact details kept: {' and '.join(kept)}." if kept else "No contact details are kept."
        )
        zone = ZoneInfo(event_template(store).event.timezone)
        self.query_one("#person-facts", Static).update("\n".join(self.facts(zone)))
        table = self.query_one("#person-table", DataTable)
        row = table.cursor_row
        table.clear()
        self.statuses = {s.purpose.id: s for s in consent_status(store, self.person_id)}

        def day(moment, style: str) -> str:
            return moment.astimezone(zone).strftime(style) if moment else ""

        for status in self.statuses.values():
            decision, fact = status.decision, status.decision.fact
            word = "YES" if decision else f"no: {REASON_LABELS[decision.reason]}"
            given = day(fact.at, "%-d %b") if fact else ""
            until = day(fact.valid_until, "%-d %b %Y") if fact and decision else ""
            table.add_row(status.purpose.title, word, given, until, key=status.purpose.id)
        if self.statuses:
            table.move_cursor(row=min(row, len(self.statuses) - 1))
        self.query_one("#withdraw", Button).disabled = not self.can_withdraw()
        self.refresh_bindings()

    def facts(self, zone: ZoneInfo) -> list[str]:
        """Check-in and ticket (every role); timers and referrals only off a desk and only
        when linked to the person, which happens only under their consent to share intake."""
        store = self.app.store
        desk = person_at_desk(store, self.person_id)
        if desk.registration_id is None:
            lines = ["Check-in: no registration for this event."]
        else:
            came = ", ".join(f"{at.astimezone(zone):%H:%M} at {where}" for at, where, _ in desk.checkins)
            order = f", order {desk.order_ref}" if desk.order_ref else ""
            party = f", {desk.party.words()}" if desk.party else ""
            lines = [
                f"Checked in: {came}" if came else "Checked in: not yet",
                f"Ticket: {desk.ticket or 'no ticket type'}{order}{party}",
            ]
        if store.role == DESK:
            return lines  # a desk never shows intake (DESIGN.md "Who uses it")
        if not sharing(store, self.person_id).allowed:
            return lines + ["Timers and referrals: kept anonymous (no consent to share intake)."]
        template = event_template(store)
        labels = {c.id: c.label for c in template.intent_categories}
        runs = it.timers_of_person(store, self.person_id)
        now = store.now()
        timers = "; ".join(
            f"{run.started_at.astimezone(zone):%H:%M} {it.format_duration(run.elapsed(now))}"
            f" {labels.get(run.category, run.category) if run.category else run.state}"
            for run in runs
        )
        referrals = "; ".join(
            f"{r.display_code} {r.status_words}"
            + (f" ({template.practitioner(r.practitioner_id).name})" if r.practitioner_id and template.practitioner(r.practitioner_id) else "")
            for r in referrals_of_person(store, self.person_id)
        )
        return lines + [f"Timers: {timers or 'none'}", f"Referrals: {referrals or 'none'}"]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        status = self.statuses.get(event.row_key.value) if event.row_key else None
        if status is not None:
            self.query_one("#purpose-detail", Static).update(status.decision.message)
        self.query_one("#withdraw", Button).disabled = not self.can_withdraw()
        self.refresh_bindings()

    def can_withdraw(self) -> bool:
        """Whether the highlighted purpose is in place, so withdrawing it applies."""
        purpose = self.selected_purpose() if self.is_mounted else None
        status = getattr(self, "statuses", {}).get(purpose) if purpose else None
        return bool(status and status.decision)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "withdraw":
            return self.can_withdraw()
        return True

    def say(self, text: str) -> None:
        self.query_one("#person-message", Static).update(text)

    def selected_purpose(self) -> str | None:
        return selected_key(self.query_one("#person-table", DataTable))

    # -- actions ------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "give":
            self.action_give_consent()
        elif event.button.id == "withdraw":
            self.action_withdraw()

    def action_back(self) -> None:
        self.dismiss()

    def action_give_consent(self) -> None:
        self.app.push_screen(ConsentScreen(self.person_id))

    def action_withdraw(self) -> None:
        purpose = self.selected_purpose()
        status = self.statuses.get(purpose) if purpose else None
        if status is None:
            return
        if not status.decision:
            self.say(f"\u201c{status.purpose.title}\u201d is not in place: there is nothing to withdraw.")
            return
        covered = [c.name for c in coverage_of(purpose)]
        removes = f"This removes {', '.join(covered)} from every laptop at the next sync." if covered else (
            "Nothing stored is covered by this purpose alone; it will no longer be done."
        )
        self.app.push_screen(
            ConfirmScreen(f"Withdraw consent for \u201c{status.purpose.title}\u201d?", removes, yes="Withdraw", no="Keep"),
            lambda confirmed: self._withdraw(purpose, status.purpose.title) if confirmed else None,
        )

    def _withdraw(self, purpose: str, title: str) -> None:
        try:
            result = revoke(self.app.store, self.person_id, purpose, method="spoken")
        except ConsentError as exc:
            self.say(str(exc))
            return
        removed = "; ".join(f"removed {p.name}" for p in result.purged if p.items)
        self.say(f"Consent for \u201c{title}\u201d withdrawn{': ' + removed if removed else ''}.")
        self.refresh_person()
