"""The check-in box a USB scanner types into: every scan starts from an empty box."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

from fieldkit.tokens import PREFIX, looks_like_token


class ScanBox(Input):
    """An Input that empties itself the moment Enter is pressed (before the next scan's first
    key can arrive) and says what was entered with `Scanned`.

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

    async def _on_key(self, event: events.Key) -> None:
        # Enter is handled here, in order with the keys typed before and after it: as a
        # binding it would bubble up through the screen and arrive after a fast scanner's
        # next code had already been typed into the box.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)

    def insert_text_at_cursor(self, text: str) -> None:
        super().insert_text_at_cursor(text)
        start = self.value.upper().find(PREFIX)
        if start > 0:
            self.value = self.value[start:]
            self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        text = self.value.strip()
        if looks_like_token(text):
            text = text.upper()  # base32 and the prefix are upper case: Caps Lock only flipped them
        # The message first, then the emptying: a handler still sees the matches of `text`.
        self.post_message(self.Scanned(self, text))
        self.value = ""
