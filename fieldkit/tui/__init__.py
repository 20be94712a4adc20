"""The Textual terminal app. Nothing outside this package imports Textual."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from fieldkit.tui.app import FieldKitApp

Opened = TypeVar("Opened")


def open_while_loading(opener: Callable[[], Opened]) -> tuple[Opened, type[FieldKitApp]]:
    """What `opener()` opens, and the app class: the first made on a thread while this one
    imports the second, so the app is on screen sooner.

    Opening an event database derives its key (SQLCipher's PBKDF2: 0.15 s here, in C, with
    the GIL released) and importing Textual and the screens takes longer: side by side, the
    key costs nothing. Whatever `opener` raises (a wrong passphrase) is raised here.
    """
    outcome: list[tuple[bool, object]] = []

    def open_it() -> None:
        try:
            outcome.append((True, opener()))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=open_it, name="fieldkit-open", daemon=True)
    thread.start()
    try:
        from fieldkit.tui.app import FieldKitApp
    finally:  # (also when the import fails or is interrupted: the database is not left half-opened)
        thread.join()
    opened, value = outcome[0]
    if not opened:
        raise value
    return value, FieldKitApp
