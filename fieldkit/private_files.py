"""Files that hold personal data or keys: created readable and writable by their owner only (0600).

Every file Field Kit writes that holds names, contact details, consent or keys is made
here: event databases (SQLite gives their -wal and -shm files the database's own mode),
PDFs with names, exports, join files and receipts. A file is created 0600 before anything
is written to it, so there is no moment when another account could open it; an existing
file that is written again is narrowed to 0600 too (O_CREAT keeps an old file's mode).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

PRIVATE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700


def create_private(path: str | os.PathLike) -> Path:
    """Make `path` an owner-only file (empty if it did not exist), for a writer that opens
    it by name afterwards (SQLite, reportlab): truncating a file keeps its mode."""
    path = Path(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_MODE)
    finally:
        os.close(descriptor)
    return path


@contextlib.contextmanager
def open_private(path: str | os.PathLike, mode: str = "wb", **kwargs: Any) -> Iterator[IO]:
    """Open `path` for writing from the start ("w" or "wb"), created owner-only."""
    if mode not in ("w", "wb"):
        raise ValueError("open_private writes a whole file: mode 'w' or 'wb'.")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    os.fchmod(descriptor, PRIVATE_MODE)
    with os.fdopen(descriptor, mode, **kwargs) as handle:
        yield handle


def write_private(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` as the whole of an owner-only file."""
    with open_private(path, "wb") as handle:
        handle.write(data)


def make_private_folder(path: str | os.PathLike) -> Path:
    """A folder (and its parents) for private files; a new one is owner-only."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    return path


def narrow_to_private(*paths: str | os.PathLike) -> None:
    """Narrow files made by older versions to owner-only (those that exist and are ours)."""
    for path in paths:
        with contextlib.suppress(OSError):  # absent, or another account's: leave it be
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, PRIVATE_MODE)


@contextlib.contextmanager
def new_database(path: str | os.PathLike, *, was_there: bool, close: Callable[[], object] = lambda: None) -> Iterator[None]:
    """A database being made (an event, a laptop joining): if making it fails part-way (an
    error, Ctrl+C), its files go, so the same command can be run again, not refused because
    a half-made file "already exists". An empty file that `was_there` before (the only kind a
    database is made in) is emptied again, not removed: nothing this did not make is deleted."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            close()  # first: an open connection would write its pages back into the file
        if was_there:
            os.truncate(path, 0)
        else:
            Path(path).unlink(missing_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{os.fspath(path)}{suffix}").unlink(missing_ok=True)
        raise
