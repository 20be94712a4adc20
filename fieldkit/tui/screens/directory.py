"""The practitioner directory screen: filter by specialism, language and accepting; places this week."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from fieldkit.event import load_event
from fieldkit.referrals import directory, open_this_week
from fieldkit.tui.screens.base import FieldKitScreen

ANY, ACCEPTING, NOT_ACCEPTING = "any", "yes", "no"


class DirectoryScreen(FieldKitScreen):
    """Who the event can refer to; pushed from the referrals screen (Ctrl+D), Escape to go back."""

    CSS_PATH = [Path(__file__).with_name("referrals.tcss")]
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", priority=True)]

    def compose(self) -> ComposeResult:
        practitioners = load_event(self.app.store).template.practitioners
        yield Header()
        with Vertical(id="directory"):
            with Horizontal(id="directory-filters"):
                needs = [(s, s) for s in directory.specialisms(practitioners)]
                yield Select(needs, prompt="Any specialism", id="filter-specialism", compact=True)
                yield Input(placeholder="Language code", id="filter-language", compact=True)
                accepting = [("Any", ANY), ("Accepting new clients", ACCEPTING), ("Not accepting", NOT_ACCEPTING)]
                yield Select(accepting, value=ACCEPTING, allow_blank=False, id="filter-accepting", compact=True)
            yield DataTable(id="directory-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="directory-count", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Practitioner directory"
        self.query_one("#directory-table", DataTable).add_columns(
            "Practitioner", "Specialisms", "Languages", "Places this week", "Sliding scale", "How to book"
        )
        self.refresh_table()
        self.query_one("#filter-specialism", Select).focus()

    @on(Select.Changed)
    @on(Input.Changed)
    def refresh_table(self) -> None:
        store = self.app.store
        practitioners = load_event(store).template.practitioners
        specialism = self.query_one("#filter-specialism", Select).value
        accepting = self.query_one("#filter-accepting", Select).value
        found = directory.filter_practitioners(
            practitioners,
            specialism=None if specialism is Select.NULL else specialism,
            language=self.query_one("#filter-language", Input).value.strip() or None,
            accepting=None if accepting == ANY else accepting == ACCEPTING,
        )
        booked = open_this_week(store)
        table = self.query_one("#directory-table", DataTable)
        table.clear()
        for p in found:
            places = directory.availability(p, booked)
            table.add_row(
                p.name,
                ", ".join(p.specialisms),
                ", ".join(p.languages),
                f"{places} of {p.weekly_capacity}" if p.accepting_new_clients else "not accepting",
                "yes" if p.sliding_scale else "no",
                p.how_to_book,
                key=p.id,
            )
        self.query_one("#directory-count", Static).update(
            f"{len(found)} of {len(practitioners)} practitioners" if found else "No practitioner matches: clear a filter."
        )
