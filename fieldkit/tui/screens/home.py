"""The home screen: the event at a glance, and finding a person to open their page."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from fieldkit.event.demo import demo_passphrase
from fieldkit.event.overview import event_overview
from fieldkit.tokens import looks_like_token
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.person_finder import PersonFinder


class HomeScreen(FieldKitScreen):
    BINDINGS = [
        Binding("down", "match(1)", show=False),
        Binding("up", "match(-1)", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="event-name")
            yield Static(id="event-details")
            yield Static(id="event-counts")
            yield Static(id="home-demo", markup=False)
            yield PersonFinder("Find a person: a name, number or email, then Enter for their page", input_id="home-find")
            yield Static(id="home-message")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.refresh_overview()

    def on_mount(self) -> None:
        passphrase = demo_passphrase(self.app.store)
        demo = self.query_one("#home-demo", Static)
        demo.display = passphrase is not None
        if passphrase:
            demo.update(f"Demo event: its passphrase is {passphrase}. Nothing here is a real person.")
        self.refresh_overview()
        self.query_one(PersonFinder).box.focus()

    def refresh_overview(self) -> None:
        ov = event_overview(self.app.store)
        self.query_one("#event-name", Static).update(ov.name)
        self.query_one("#event-details", Static).update(
            f"{ov.venue}\n{ov.community}\n"
            f"{ov.starts:%A %d %B %Y, %H:%M} to {ov.ends:%H:%M} ({ov.timezone})"
        )
        self.query_one("#event-counts", Static).update(
            f"Registered: {ov.registered}    Checked in: {ov.checked_in}"
        )

    def action_match(self, step: int) -> None:
        self.query_one(PersonFinder).move(step)

    @on(PersonFinder.Picked)
    def _picked(self, event: PersonFinder.Picked) -> None:
        self.query_one("#home-message", Static).update("")
        self.app.action_open_person(event.person_id)

    @on(PersonFinder.Entered)
    def _entered(self, event: PersonFinder.Entered) -> None:
        if not event.text:
            said = "Type part of a name first."
        elif looks_like_token(event.text):
            said = "Scanned codes are read on the check-in and intake screens: here, type the person's name."
        else:
            said = f"Nobody called \u201c{event.text}\u201d is registered: check the spelling."
        self.query_one("#home-message", Static).update(said)
