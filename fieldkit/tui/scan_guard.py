"""A scan that arrives where focus is not a scan box: taken whole, never typed into what has focus.

A USB scanner types a pass as keys, fast, then Enter. Typed into a dialog, its digits pick
choices ("1" in `FK1:` chose the first name of a list) and its Enter presses the focused
button; typed into a list or another form, it is lost or answers for someone. So the app
holds back a key that could begin a pass's prefix while focus is anywhere but a scan box,
and looks at the next: once the whole prefix has come, the rest of the burst up to Enter
(or a pause) is the scan. It goes to the screen's own scan box when that screen is on top
(the check-in and intake screens: as if scanned there); over a dialog, or on a screen that
reads no codes, it is dropped with a sentence saying so. Keys that turn out not to be a
prefix are let through in order after at most HOLD_SECONDS: a person typing sees nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import events

from fieldkit.tokens import PREFIX

if TYPE_CHECKING:
    from textual.app import App
    from textual.widgets import Input

# A scanner types a key every few milliseconds; a person's fastest pairs are ~50 ms apart.
HOLD_SECONDS = 0.06
# A scan with no Enter (a scanner set up without one) ends when its keys stop.
QUIET_SECONDS = 0.3
DROPPED = (
    "A pass was scanned while this window was open: nothing was done with it. "
    "Close the window (Escape), then scan the pass again."
)
NOT_HERE = "Passes are read on the check-in and intake screens (F2, F3): nothing was done with that scan."


class ScanGuard:
    """Feed it every key the app receives (`take`); it says whether it kept the key."""

    def __init__(self, app: App, deliver: Callable[[list[events.Key]], Awaitable[None]]) -> None:
        self.app = app
        self.deliver = deliver  # lets held keys through, in order, as if just pressed
        self.held: list[events.Key] = []
        self.code: str | None = None  # the scan being read, once its prefix has come
        self._timer = None

    def active(self) -> bool:
        """Whether focus is somewhere a scan must not be typed into."""
        focused = self.app.focused
        if focused is not None and focused.has_class("takes-scans"):
            return False  # the desk's and intake's own box: every scan's first key, no DOM query
        screen = self.app.screen
        return getattr(screen, "guards_scans", True) and focused is not _scan_box(screen)

    async def take(self, event: events.Key) -> bool:
        if self.code is not None:
            return await self._reading(event)
        char = (event.character or "").upper() if event.is_printable else ""
        if char and char == PREFIX[len(self.held)] and (self.held or self.active()):
            self.held.append(event)
            if len(self.held) == len(PREFIX):
                self.held, self.code = [], PREFIX
            self._wait(HOLD_SECONDS if self.code is None else QUIET_SECONDS)
            return True
        if self.held:
            await self._release()
        return False

    async def _reading(self, event: events.Key) -> bool:
        if event.key == "enter":
            await self._finish()
        elif event.key == "escape":
            self._stop_timer()
            self.code = None
        elif event.is_printable and event.character:
            self.code += event.character
            self._wait(QUIET_SECONDS)
        return True  # nothing of a scan reaches what has focus

    def _wait(self, seconds: float) -> None:
        self._stop_timer()
        self._timer = self.app.set_timer(seconds, self._timed_out)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    async def _timed_out(self) -> None:
        self._timer = None
        if self.code is not None:
            await self._finish()
        else:
            await self._release()

    async def _release(self) -> None:
        self._stop_timer()
        held, self.held = self.held, []
        await self.deliver(held)

    async def _finish(self) -> None:
        self._stop_timer()
        code, self.code = self.code, None
        box = _scan_box(self.app.screen)
        if box is None:
            self.app.bell()
            self.app.notify(DROPPED if len(self.app.screen_stack) > 1 else NOT_HERE, severity="warning", timeout=8)
            return
        box.value = code
        box.cursor_position = len(code)
        box.focus()
        await box.action_submit()


def _scan_box(screen) -> Input | None:
    """Where a scan on `screen` goes (FieldKitScreen.scan_box); None on screens that read none."""
    return screen.scan_box() if hasattr(screen, "scan_box") else None
