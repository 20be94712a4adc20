"""`fieldkit checkin CODE`: the desk's check-in from the command line."""

from __future__ import annotations

import click

from fieldkit.checkin import CheckinRefused, Desk, describe
from fieldkit.cli.options import DbOptions, db_options
from fieldkit.event import load_event
from fieldkit.store.errors import DamagedDatabase

REFUSED_EXIT = 3  # distinct from click's 1 (error) and 2 (usage) so scripts can tell


@click.command("checkin")
@click.argument("code")
@db_options
@click.option("--nonce", help="A unique id for this scan: repeating a command with the same nonce checks in once.")
def checkin_command(code: str, db: DbOptions, nonce: str | None) -> None:
    """Check in the holder of the pass CODE (the text of its QR code).

    Prints the result in words. Exit status 0: admitted (also when flagged as
    already checked in); 3: refused, with the reason.
    """
    store = db.open()
    try:
        zone = load_event(store).zone
        result = Desk(store).scan(code, nonce=nonce)
    except CheckinRefused as exc:
        if exc.code == DamagedDatabase.code:  # the laptop's fault, not the pass's: status 1
            raise click.ClickException(exc.message) from None
        click.echo(f"Refused ({exc.code}): {exc.message}", err=True)
        raise SystemExit(REFUSED_EXIT) from None
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(describe(result, zone))
