"""Options every command that opens the event database shares, and how it opens it."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from fieldkit.errors import Refused
from fieldkit.store import Store, StoreError, WeakPassphrase, open_store
from fieldkit.store.connection import check_new_passphrase, read_passphrase_file

PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"
# Where the command's database path is kept for the top command's sentence about damage.
DB_PATH_KEY = "fieldkit.db_path"


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


def _long_enough(value: str) -> str:
    """A prompt's check: a short passphrase is refused and asked for again."""
    try:
        check_new_passphrase(value)
    except WeakPassphrase as exc:
        raise click.UsageError(exc.message) from None
    return value


class DbOptions:
    """What the user said about the database; `.open()` turns it into a Store."""

    def __init__(self, path: Path, passphrase_file: Path | None, unencrypted: bool):
        self.path = path
        context = click.get_current_context(silent=True)
        if context is not None:
            context.meta[DB_PATH_KEY] = path
        self.passphrase_file = passphrase_file
        self.unencrypted = unencrypted

    @property
    def passphrase_given(self) -> bool:
        """True unless the passphrase would be asked for (the app asks in its own screen)."""
        return self.unencrypted or self.passphrase_file is not None or bool(os.environ.get(PASSPHRASE_ENV))

    def passphrase(self, *, confirm: bool = False) -> str | None:
        """The passphrase from --passphrase-file, $FIELDKIT_PASSPHRASE or a prompt; `confirm`
        (a new database) asks twice and holds it to the store's length rule, asking again
        at the prompt until it is long enough."""
        if self.unencrypted:
            return None
        if self.passphrase_file is not None:
            value = read_passphrase_file(self.passphrase_file)
        elif os.environ.get(PASSPHRASE_ENV):
            value = os.environ[PASSPHRASE_ENV]
        else:
            value = click.prompt(
                f"Passphrase for {self.path}", hide_input=True, confirmation_prompt=confirm,
                value_proc=_long_enough if confirm else None,
            )
        if not value:
            raise click.ClickException("The passphrase is empty: give one, or use --unencrypted for development.")
        if confirm and self.passphrase_file is not None and (value.startswith("\ufeff") or {"\n", "\r"} & set(value)):
            raise click.ClickException(  # the mark or second line would be part of the key, never typed again
                f"The passphrase file {self.passphrase_file} holds more than one line, or an invisible mark at its "
                "start (as Notepad's UTF-8 writes): save the passphrase alone on one line as plain UTF-8 text."
            )
        if confirm:
            try:
                check_new_passphrase(value)
            except WeakPassphrase as exc:
                raise click.ClickException(exc.message) from None
        return value

    def require_existing(self) -> None:
        """Refuse a missing database before asking for its passphrase."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            raise click.ClickException(f"{self.path} does not exist: check the --db path, or create it with `fieldkit init`.")

    def require_new(self) -> None:
        """Refuse to create over an existing file before asking for a passphrase."""
        if self.path.exists() and self.path.stat().st_size > 0:
            raise click.ClickException(f"{self.path} already exists: choose another --db path or remove it first.")

    def open(self, **kwargs) -> Store:
        self.require_existing()
        try:
            return open_store(self.path, self.passphrase(), **kwargs)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None

    def open_reopenable(self) -> tuple[Store, Callable[[], Store]]:
        """The open store, and a function that opens the database again for a thread's own
        connection (continuous sync), with the passphrase asked once."""
        self.require_existing()
        passphrase = self.passphrase()

        def open_again() -> Store:
            return open_store(self.path, passphrase)

        try:
            return open_again(), open_again
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None

    @contextlib.contextmanager
    def opened(self, **kwargs) -> Iterator[Store]:
        """The open store, closed afterwards; a refusal inside becomes its one sentence."""
        store = self.open(**kwargs)
        try:
            yield store
        except Refused as refused:
            raise click.ClickException(refused.message) from None
        finally:
            store.close()


def excel_option(command):
    """Add `--excel` to a command that writes CSV (it receives `excel: bool`)."""
    return click.option(
        "--excel",
        is_flag=True,
        help="Start the CSV with a UTF-8 byte order mark, so Excel shows Greek, Cyrillic and accents right.",
    )(command)


def _ipv4_addresses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise click.BadParameter(
                f"{value} is not an IPv4 address: give one of this laptop's, like 192.168.1.20 (see `ip addr`)."
            ) from None
    return values


def interface_option(command):
    """Add --interface ADDR (repeatable): the addresses discovery and pairing use."""
    return click.option(
        "--interface",
        "interfaces",
        multiple=True,
        metavar="ADDR",
        callback=_ipv4_addresses,
        help="Find and be found only on this IPv4 address of this laptop (repeatable); "
        "by default on its private addresses, never on container bridges.",
    )(command)
