"""Small helpers the commands share for what they say and check before doing anything."""

from __future__ import annotations

from pathlib import Path

import click


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 purpose`, `3 purposes`, `2 people`."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def require_folder(path: Path, option: str) -> None:
    """Refuse an output file whose folder is missing (or no file name at all), before any work or output."""
    if not path.name or path.name in (".", ".."):
        raise click.ClickException(f"{option} needs a file name (it was empty): give the file to write.")
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist: create it or choose another {option} path.")
