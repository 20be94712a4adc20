"""Options every command that opens the event database shares, and how it opens it."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from fieldkit.store import Store, StoreError, open_store
from fieldkit.store.connection import read_passphrase_file

PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"


def db_options(command):
    """Add --db, --passphrase-file and --unencrypted to a command."""

    @click.option(
        "--db",
        "db_path",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The event database file.",
    )
    @click.option(
        "--passphrase-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=f"Read the passphrase from this file (or set {PASSPHRASE_ENV}).",
    )
    @click.option(
        "--unencrypted",
        is_flag=True,
        help="Development only: the database is plain SQLite, not SQLCipher.",
    )
    @functools.wraps(command)
    def wrapper(*args, db_path: Path, passphrase_file: Path | None, unencrypted: bool, **kwargs):
        return command(*args, db=DbOptions(db_path, passphrase_file, unencrypted), **kwargs)

    return wrapper


class DbOptions:
    """What the user said about the database; `.open()` turns it into a Store."""

    def __init__(self, path: Path, passphrase_file: Path | None, unencrypted: bool):
        self.path = path
        self.passphrase_file = passphrase_file
        self.unencrypted = unencrypted

    def passphrase(self, *, confirm: bool = False) -> str | None:
        if self.unencrypted:
            return None
        if self.passphrase_file is not None:
            value = read_passphrase_file(self.passphrase_file)
        elif os.environ.get(PASSPHRASE_ENV):
            value = os.environ[PASSPHRASE_ENV]
        else:
            value = click.prompt(
                f"Passphrase for {self.path}", hide_input=True, confirmation_prompt=confirm
            )
        if not value:
            raise click.ClickException("The passphrase is empty: give one, or use --unencrypted for development.")
        return value

    def open(self, **kwargs) -> Store:
        try:
            return open_store(self.path, self.passphrase(), **kwargs)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
