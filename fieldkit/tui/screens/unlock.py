"""The first screen when the app is started without a passphrase: ask for it, three tries."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Header, Input, Static

from fieldkit.store import Store, StoreError, WrongPassphrase, open_store
from fieldkit.tui.screens.base import FieldKitScreen

TRIES = 3


class UnlockScreen(FieldKitScreen):
    """A wrong passphrase asks again; the third wrong one ends the app with a sentence."""

    guards_scans = False  # a passphrase is typed as it is, whatever it starts with

    class Unlocked(Message):
        """The database is open: the app takes the store from here."""

        def __init__(self, store: Store, opener: Callable[[], Store]) -> None:
            super().__init__()
            self.store = store
            self.opener = opener  # opens the database again (a sync thread's own connection)

    def __init__(self, database: Path) -> None:
        super().__init__()
        self.database = database
        self.tries_left = TRIES

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="unlock"):
            yield Static(f"Passphrase for {self.database}", id="unlock-title", markup=False)
            yield Input(password=True, placeholder="Type the event's passphrase, then Enter", id="unlock-passphrase")
            yield Static(id="unlock-message", markup=False)

    def on_mount(self) -> None:
        self.query_one("#unlock-passphrase", Input).focus()

    @on(Input.Submitted, "#unlock-passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            self.say("Type the passphrase first, then press Enter.")
            return
        box = self.query_one("#unlock-passphrase", Input)
        box.disabled = True
        self.say("Opening the event database...")
        self.open_database(event.value)

    def say(self, text: str) -> None:
        self.query_one("#unlock-message", Static).update(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock")
    def open_database(self, passphrase: str) -> None:
        # SQLCipher's key derivation takes a moment: off the UI thread, so the screen stays live.
        try:
            store = open_store(self.database, passphrase)
        except WrongPassphrase:
            self.app.call_from_thread(self.wrong_passphrase)
            return
        except StoreError as refused:
            self.app.call_from_thread(self.app.exit, None, 1, refused.message)
            return
        self.post_message(self.Unlocked(store, partial(open_store, self.database, passphrase)))

    def wrong_passphrase(self) -> None:
        self.tries_left -= 1
        box = self.query_one("#unlock-passphrase", Input)
        if self.tries_left <= 0:
            self.app.exit(
                return_code=1,
                message=f"The passphrase did not open {self.database} after {TRIES} tries: check it with the "
                "event's coordinator, then run `fieldkit app` again.",
            )
            return
        box.value = ""
        box.disabled = False
        box.focus()
        tries = "1 try" if self.tries_left == 1 else f"{self.tries_left} tries"
        self.say(f"That passphrase does not open this event: type it again ({tries} left).")
