"""A name box with the registered people it matches listed below it, for screens that pick a person."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from fieldkit.people.registry import find_people
from fieldkit.tokens import looks_like_token
from fieldkit.tui.widgets.scan_box import keep_newest_code

MATCHES_SHOWN = 6


class _NameOrCodeBox(Input):
    """A name box that a scan may also be typed into: a pass's prefix drops what was before it."""

    def insert_text_at_cursor(self, text: str) -> None:
        super().insert_text_at_cursor(text)
        keep_newest_code(self)


class PersonFinder(Vertical):
    """Typing lists matches; Enter or a click picks the highlighted one (`Picked`).

    Enter with nothing to pick (an empty box, a scanned code, a name nobody has) posts
    `Entered` with the text, for the screen to decide. The box is emptied either way.
    """

    class Picked(Message):
        def __init__(self, person_id: str, name: str) -> None:
            super().__init__()
            self.person_id = person_id
            self.name = name

    class Entered(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, placeholder: str, *, input_id: str, id: str | None = None, takes_scans: bool = False) -> None:
        super().__init__(id=id, classes="person-finder")
        self.placeholder = placeholder
        self.input_id = input_id
        self.takes_scans = takes_scans  # passes scanned on the screen come here, wherever focus is

    def compose(self) -> ComposeResult:
        yield _NameOrCodeBox(placeholder=self.placeholder, id=self.input_id, classes="takes-scans" if self.takes_scans else "")
        yield OptionList(classes="person-matches")

    def on_mount(self) -> None:
        self.matches.display = False

    @property
    def box(self) -> Input:
        return self.query_one(Input)

    @property
    def matches(self) -> OptionList:
        return self.query_one(OptionList)

    def move(self, step: int) -> bool:
        """Move the highlight through the matches; False when none are shown."""
        if not (self.matches.display and self.matches.option_count):
            return False
        self.matches.highlighted = ((self.matches.highlighted or 0) + step) % self.matches.option_count
        return True

    @on(Input.Changed)
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        found = [] if not text or looks_like_token(text) else find_people(self.app.store, text, limit=MATCHES_SHOWN)
        self.matches.clear_options()
        self.matches.add_options([Option(p.display_name, id=p.id) for p in found])
        self.matches.display = bool(found)
        if found:
            self.matches.highlighted = 0

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text and not looks_like_token(text) and self.matches.option_count:
            option = self.matches.get_option_at_index(self.matches.highlighted or 0)
            self.post_message(self.Picked(option.id, str(option.prompt)))
        else:
            self.post_message(self.Entered(text))
        self.box.value = ""

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Picked(event.option.id, str(event.option.prompt)))
        self.box.value = ""
        self.box.focus()
