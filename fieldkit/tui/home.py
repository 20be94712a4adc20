"""The home screen: the event at a glance."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from fieldkit.overview import event_overview


class HomeScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="event-name")
            yield Static(id="event-details")
            yield Static(id="event-counts")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.refresh_overview()

    def on_mount(self) -> None:
        self.refresh_overview()

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
