"""A modal list of numbered choices (arrows or number keys, Enter), with an optional note."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    needs_note: bool = False


@dataclass(frozen=True)
class Chosen:
    id: str
    note: str = ""


class ChoiceDialog(ModalScreen[Chosen | None]):
    """Pick one choice; one that needs a note asks for it before closing. Escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        *[Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)],
    ]

    def __init__(self, title: str, choices: list[Choice], note_prompt: str = "Note"):
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.note_prompt = note_prompt
        self.pending: Choice | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-dialog"):
            yield Static(self.title_text, id="choice-title", markup=False)
            yield OptionList(
                *[Option(f"{n}  {c.label}", id=c.id) for n, c in enumerate(self.choices, 1)], id="choice-list",
                markup=False,  # labels hold names and template words: brackets are text
            )
            yield Input(placeholder=self.note_prompt, id="choice-note", max_length=200)
            yield Static(id="choice-error")

    def on_mount(self) -> None:
        self.query_one("#choice-note", Input).display = False
        self.query_one("#choice-list", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_pick(self, number: int) -> None:
        if self.query_one("#choice-note", Input).has_focus or number > len(self.choices):
            return
        self.query_one("#choice-list", OptionList).highlighted = number - 1
        self._choose(self.choices[number - 1])

    @on(OptionList.OptionSelected, "#choice-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(next(c for c in self.choices if c.id == event.option.id))

    def _choose(self, choice: Choice) -> None:
        if not choice.needs_note:
            self.dismiss(Chosen(choice.id))
            return
        self.pending = choice
        note = self.query_one("#choice-note", Input)
        note.display = True
        note.placeholder = f"{self.note_prompt} for \u201c{choice.label}\u201d, then Enter"
        note.focus()

    @on(Input.Submitted, "#choice-note")
    def _noted(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        if not text:
            self.query_one("#choice-error", Static).update("Type a short note first, then press Enter.")
            return
        self.dismiss(Chosen(self.pending.id, text))
