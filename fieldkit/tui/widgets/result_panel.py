"""The result panel: the outcome of the last action, large, in words and colour."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

ADMITTED, FLAGGED, REFUSED, READY = "admitted", "flagged", "refused", "ready"
# The plain instruction a volunteer reads from a step away, by the state of the result.
VERDICTS = {ADMITTED: "ADMIT", FLAGGED: "ALREADY IN: ASK THEM", REFUSED: "DO NOT ADMIT", READY: ""}


class ResultPanel(Vertical):
    """A tall panel bordered and filled in the state's colour: an instruction in bold capitals
    on a band of its own, then the sentence (who, what happened), then the ticket and party."""

    STATES = (ADMITTED, FLAGGED, REFUSED, READY)

    def compose(self) -> ComposeResult:
        yield Static(id="result-verdict", markup=False)
        yield Static(id="result-headline", markup=False)
        yield Static(id="result-detail", markup=False)

    def show(self, state: str, headline: str, detail: str = "", verdict: str | None = None) -> None:
        """Show a result; `verdict` defaults to the state's instruction (none when ready)."""
        # Changing classes restyles the panel (about a millisecond): only when it changes.
        if not self.has_class(state):
            self.remove_class(*self.STATES)
            self.add_class(state)
        words = VERDICTS.get(state, "") if verdict is None else verdict
        band = self.query_one("#result-verdict", Static)
        band.update(words)
        band.display = bool(words)
        self.query_one("#result-headline", Static).update(headline)
        self.query_one("#result-detail", Static).update(detail)

    @property
    def state(self) -> str:
        return next((s for s in self.STATES if self.has_class(s)), READY)

    @property
    def text(self) -> str:
        """Everything the panel says, one line a part (for tests and benchmarks)."""
        parts = (self.query_one(f"#result-{part}", Static) for part in ("verdict", "headline", "detail"))
        return "\n".join(str(p.render()) for p in parts if p.display and str(p.render()))

    @property
    def headline(self) -> str:
        return str(self.query_one("#result-headline", Static).render())
