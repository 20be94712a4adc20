"""`fieldkit check --db PATH`: is the event database whole, and if not, what is damaged and what to do."""

from __future__ import annotations

import click

from fieldkit.cli.options import DbOptions, db_options
from fieldkit.store.check import check_database


@click.command("check")
@db_options
def check_command(db: DbOptions) -> None:
    """Check every page (SQLCipher) and every table (SQLite) of the database; say what is damaged."""
    db.require_existing()
    report = check_database(db.path, db.passphrase())
    for line in report.lines():
        click.echo(line)
    refusal = report.refusal()
    if refusal is not None:
        raise refusal
    click.echo("Nothing is damaged.")
