"""The check-in box a USB scanner types into: every scan starts from an empty box."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

from fieldkit.tokens import PREFIX, looks_like_token


def keep_newest_code(box: Input) -> None:
    """Drop what came before the newest pass prefix in `box`: a name typed and left, a stray
    key, or a code whose Enter was lost (the scanner's new burst is the code)."""
    start = box.value.upper().rfind(PREFIX)
    if start > 0:
        box.value = box.value[start:]
        box.cursor_position = len(box.value)


class ScanBox(Input):
    """An Input that says what was entered with `Scanned` the moment Enter is pressed, and
    starts the next entry from an empty box.

    Enter is handled in the box's own key handler, in order with the keys around it: as a
    binding it would bubble up through the screen and arrive after a fast scanner's next
    code was already typed. The entered text is emptied when the screen has shown its
    result (`settle`), or before the next key if that comes first, so the result is not
    held up by repainting the box.

    A pass's prefix arriving after leftover text (a name typed and left, a stray key) drops
    the leftover: the scanner's burst is the code. A pass typed with Caps Lock on is sent
    in the case passes are printed in; tokens.parse_token stays strict (docs/decisions.md).
    """

    class Scanned(Message):
        def __init__(self, box: ScanBox, text: str) -> None:
            super().__init__()
            self.box = box
            self.text = text

        @property
        def control(self) -> ScanBox:
            return self.box

    DEFAULT_CLASSES = "takes-scans"  # where a scan goes wherever focus is (tui/scan_guard.py)
    _entered = False  # the value is what Enter sent, waiting to be emptied

    @property
    def typed(self) -> str:
        """What is being typed now (nothing, once Enter has sent it)."""
        return "" if self._entered else self.value

    def settle(self) -> None:
        """Empty the box if it still holds what Enter sent."""
        if self._entered:
            self._entered = False
            self.value = ""

    async def _on_key(self, event: events.Key) -> None:
        self.settle()
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        self.settle()
        super()._on_paste(event)

    def insert_text_at_cursor(self, text: str) -> None:
        super().insert_text_at_cursor(text)
        keep_newest_code(self)

    async def action_submit(self) -> None:
        text = self.value.strip()
        if looks_like_token(text):
            text = text.upper()  # base32 and the prefix are upper case: Caps Lock only flipped them
        self._entered = bool(self.value)
        self.post_message(self.Scanned(self, text))
