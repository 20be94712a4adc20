"""`fieldkit init`: make an event database from a template, or join an event (a join file or a pairing code)."""

from __future__ import annotations

from pathlib import Path

import click

from fieldkit.cli.device import join_passphrase, join_passphrase_option
from fieldkit.cli.options import DbOptions, db_options, interface_option
from fieldkit.errors import Refused
from fieldkit.event import create_event, load_event
from fieldkit.event.template import TemplateError, load_template
from sync.enroll import join_event, read_join_file
from sync.pairing import join_by_code
from sync.pairing_code import parse_code
from sync.transport import sync_with

__all__ = ["init"]


def _laptop_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A laptop name as the roster keeps it (as `device enroll` names the others): one line, spaces collapsed."""
    name = " ".join(value.split())
    if not name or len(name) > 40 or not name.isprintable():
        raise click.BadParameter("a laptop name has 1 to 40 characters on one line, e.g. coordinator-2.")
    return name


@click.command()
@click.argument("template", type=click.Path(path_type=Path), required=False)
@db_options
@click.option("--device-name", default="coordinator", show_default=True, callback=_laptop_name,
              help="This laptop's name as others see it.")
@click.option("--join", "join_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Join an event with the file `fieldkit device enroll` wrote, instead of a TEMPLATE.")
@join_passphrase_option
@click.option(
    "--pair", "pair_code", metavar="CODE",
    help="Join an event by the code `fieldkit device pair` shows on the coordinator's laptop.",
)
@interface_option
def init(
    template: Path | None, db: DbOptions, device_name: str, join_file: Path | None, join_passphrase_file: Path | None,
    pair_code: str | None, interfaces: tuple[str, ...],
) -> None:
    """Create a new event database from TEMPLATE (a .toml event template), or join one with --pair or --join."""
    if sum(x is not None for x in (template, join_file, pair_code)) > 1:
        raise click.ClickException("Give one of a TEMPLATE, --pair CODE or --join FILE.")
    if pair_code is not None:
        _pair(pair_code, db, interfaces)
        return
    if join_file is not None:
        _join(join_file, db, join_passphrase_file)
        return
    if template is None:
        raise click.ClickException(
            "Give a TEMPLATE (.toml) to create an event, --pair CODE or --join FILE to join one."
        )
    try:
        parsed = load_template(template)
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    db.require_new()
    try:
        store = create_event(db.path, parsed, db.passphrase(confirm=True), device_name=device_name)
    except (Refused, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {db.path} for {parsed.event.name} (device {device_name}, coordinator).")
    store.close()


def _join(join_file: Path, db: DbOptions, join_passphrase_file: Path | None) -> None:
    db.require_new()
    try:
        bundle = read_join_file(join_file, join_passphrase(join_passphrase_file, confirm=False))
        store = join_event(db.path, db.passphrase(confirm=True), bundle)
    except (Refused, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        name = load_event(store).name
    finally:
        store.close()
    click.echo(
        f"Joined {name} as {bundle['device_name']} ({bundle['role']}): {db.path}. Open the app (or "
        "`fieldkit sync auto`) here and on the coordinator's laptop: they find each other and sync."
    )


def _pair(text: str, db: DbOptions, interfaces: tuple[str, ...]) -> None:
    db.require_new()
    try:
        code = parse_code(text)
        passphrase = db.passphrase(confirm=True)  # before the one-time code is spent, so a refusal costs nothing
        click.echo("Looking for the coordinator...")
        enrollment = join_by_code(
            code, interfaces=interfaces,
            on_words=lambda words: click.echo(f"Verification words: {words} (the coordinator shows the same)"),
        )
        store = join_event(db.path, passphrase, enrollment.bundle)
    except (Refused, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    bundle = enrollment.bundle
    try:
        click.echo(f"Joined {load_event(store).name} as {bundle['device_name']} ({bundle['role']}): {db.path}.")
        summary = sync_with(store, enrollment.host, enrollment.sync_port)
    except Refused as exc:  # the sync failed or was refused; the database stays
        raise click.ClickException(
            f"{exc} This laptop has joined the event: open the app (or `fieldkit sync auto`) on it and on the "
            "coordinator's laptop, and they sync by themselves."
        ) from None
    finally:
        store.close()
    click.echo(summary.sentence())
