"""A yes/no question over the current screen: summaries before saving, withdrawals."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True (the yes button) or False (no, or Escape)."""

    CSS_PATH = [Path(__file__).with_name("confirm.tcss")]
    BINDINGS = [Binding("escape", "answer(False)", "Back")]

    def __init__(self, title: str, body: str, *, yes: str = "Save", no: str = "Back", default_yes: bool = True):
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no
        self.default_yes = default_yes  # False: Enter answers no (where yes is the unusual answer)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes, id="confirm-yes", variant="primary")
                yield Button(self.no, id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes" if self.default_yes else "#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
