"""The result panel: the outcome of the last action, large, in words and colour."""

from __future__ import annotations

from textual.widgets import Static


class ResultPanel(Static):
    """The outcome of the last action, large, in words and colour (admitted/flagged/refused)."""

    STATES = ("admitted", "flagged", "refused", "undone")

    def show(self, text: str, state: str) -> None:
        # Changing classes restyles the widget (about a millisecond): only when it changes.
        if not self.has_class(state):
            self.remove_class(*self.STATES)
            self.add_class(state)
        self.update(text)
