"""What every Field Kit screen shares: its background work's failures go to the app's one handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from fieldkit.store import DB_ERRORS
from fieldkit.store.faults import storage_fault

ResultType = TypeVar("ResultType")


class FieldKitScreen(Screen[ResultType]):
    """A mode or page of the app. Worker state messages do not bubble, so each screen hands
    a failure to `FieldKitApp.report_failure`, which words it the same way everywhere."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.report_failure(event.worker.error)

    _damage_told = False
    guards_scans = True  # a scan typed where focus is not the scan box is taken whole (tui/scan_guard.py)

    def update_text(self, selector: str, text: str) -> None:
        """Set a Static's text; the same text again costs no new layout of the screen."""
        panel = self.query_one(selector, Static)
        if panel.content != text:
            panel.update(text)

    def scan_box(self) -> Input | None:
        """The box a pass scanned on this screen goes to, wherever focus is: its `.takes-scans`
        box (the check-in and intake screens); None where passes are not read."""
        found = self.query(".takes-scans")
        return found.first() if found else None

    def unless_damaged(self, action: Callable[[], ResultType | object]) -> object:
        """`action()` (a screen's own timed work: refreshing, warming, tidying), or None when the
        database turns out damaged: the sentence saying so, once a screen, and the app goes on
        (what the person does next says it too), instead of stopping with a traceback."""
        try:
            return action()
        except DB_ERRORS as exc:
            if (fault := storage_fault(exc, self.app.store.path)) is None:
                raise
            if not self._damage_told:
                self._damage_told = True
                self.app.report_failure(fault)
            return None
