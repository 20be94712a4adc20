"""What every Field Kit screen shares: its background work's failures go to the app's one handler."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import Screen
from textual.worker import Worker, WorkerState

ResultType = TypeVar("ResultType")


class FieldKitScreen(Screen[ResultType]):
    """A mode or page of the app. Worker state messages do not bubble, so each screen hands
    a failure to `FieldKitApp.report_failure`, which words it the same way everywhere."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.report_failure(event.worker.error)
