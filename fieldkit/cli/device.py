"""`fieldkit device`: pair or enroll laptops, list the roster, revoke a lost laptop."""

from __future__ import annotations

import os
from pathlib import Path

import click

from fieldkit.cli.options import DbOptions, db_options, interface_option
from fieldkit.cli.words import require_folder
from fieldkit.store.connection import read_passphrase_file
from printables.terminal_qr import terminal_qr
from sync.enroll import EnrollRefused, enroll_device, revoke_device, roster, write_join_file
from sync.pairing_code import SENTENCES
from sync.pairing_host import PAIRING_TTL, PairingHost, lifetime
from sync.scope import ROLES

# How long `device pair` waits, once paired, for the new laptop's first sync (its passphrase is typed first).
FIRST_SYNC_SECONDS = 300.0

JOIN_PASSPHRASE_ENV = "FIELDKIT_JOIN_PASSPHRASE"


def join_passphrase_option(command):
    return click.option(
        "--join-passphrase-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=f"Read the join file's passphrase from this file (or set {JOIN_PASSPHRASE_ENV}).",
    )(command)


def join_passphrase(path: Path | None, *, confirm: bool) -> str:
    """The passphrase that seals a join file: from a file, the environment, or a prompt."""
    if path is not None:
        value = read_passphrase_file(path)
    elif os.environ.get(JOIN_PASSPHRASE_ENV):
        value = os.environ[JOIN_PASSPHRASE_ENV]
    else:
        value = click.prompt("Passphrase for the join file", hide_input=True, confirmation_prompt=confirm)
    if len(value) < 8:
        raise click.ClickException("The join file's passphrase needs at least 8 characters: choose a longer one.")
    return value


@click.group("device")
def device_group() -> None:
    """Enroll, list and revoke the laptops of this event."""


@device_group.command("enroll")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the laptop is for: a desk never receives intake data.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write the encrypted join file.")
@db_options
@join_passphrase_option
def enroll_command(name: str, role: str, out: Path, db: DbOptions, join_passphrase_file: Path | None) -> None:
    """Enroll a laptop called NAME and write its join file (run on the coordinator's laptop)."""
    if out.exists():
        raise click.ClickException(f"{out} already exists: choose another --out path.")
    require_folder(out, "--out")
    with db.opened() as store:
        sealing = join_passphrase(join_passphrase_file, confirm=True)
        # One transaction: a join file that cannot be written leaves no laptop enrolled.
        with store.transaction():
            bundle = enroll_device(store, name, role)
            try:
                write_join_file(bundle, out, sealing)
            except OSError as exc:
                out.unlink(missing_ok=True)
                raise EnrollRefused(f"Could not write {out} ({exc.strerror}): choose another --out path; nobody was enrolled.") from None
    click.echo(f"Enrolled {bundle['device_name']} as {role}. On that laptop run: fieldkit init --join {out} --db FILE")


@device_group.command("pair")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="What the laptop is for: a desk never receives intake data."
)
@db_options
@interface_option
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=PAIRING_TTL, show_default=True,
    help="Seconds the code stays valid.",
)
def pair_command(name: str, role: str, db: DbOptions, interfaces: tuple[str, ...], timeout: float) -> None:
    """Show a one-time pairing code for a laptop called NAME and enroll it when it connects (coordinator's laptop)."""
    with db.opened() as store:
        host = PairingHost(
            store, name, role, interfaces=interfaces, ttl=timeout,
            on_words=lambda words: click.echo(f"Verification words: {words} (the new laptop shows the same)"),
        )
        with host:
            code = host.code.text
            click.echo(f"Pairing code: {code}")
            click.echo(terminal_qr(code))
            click.echo(f"On the new laptop run: fieldkit init --pair {code} --db FILE")
            click.echo(f"Waiting for it (the code works once, for {lifetime(timeout)}; Ctrl+C to cancel).")
            try:
                paired = host.wait()
            except KeyboardInterrupt:
                raise click.ClickException(SENTENCES["pairing_cancelled"]) from None
            click.echo(f"Paired {paired.name} ({paired.role}).")
            if not paired.delivered:
                raise click.ClickException(
                    f"{paired.name} was enrolled but did not confirm it received its enrollment: if it did not join, "
                    f"revoke it (`fieldkit device revoke {paired.name}`) and pair again."
                )
            summary = host.wait_first_sync(FIRST_SYNC_SECONDS)
        if summary is None:
            click.echo(f"{paired.name} has not synced yet: it gets the rest at its first sync with this laptop.")
        else:
            click.echo(summary.sentence())


@device_group.command("revoke")
@click.argument("name")
@click.option("--reason", default="lost", show_default=True, help="Why (kept with the revocation).")
@db_options
def revoke_command(name: str, reason: str, db: DbOptions) -> None:
    """Revoke the laptop called NAME: after sync no laptop syncs with it or trusts its keys."""
    with db.opened() as store:
        entry = revoke_device(store, name, reason)
    click.echo(f"Revoked {entry.name}. Sync with the other laptops so they refuse it too.")


@device_group.command("list")
@db_options
def list_command(db: DbOptions) -> None:
    """Show the device roster this laptop holds."""
    with db.opened() as store:
        for entry in roster(store):
            state = "revoked" if entry.revoked else "enrolled"
            mark = " (this laptop)" if entry.device_id == store.device_id else ""
            click.echo(f"{entry.name:<20} {entry.role:<13} {state:<9} {entry.enrolled_at[:16]}{mark}")
