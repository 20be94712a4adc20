"""`fieldkit people find NAME`: the person ids other commands (consent, receipts) ask for."""

from __future__ import annotations

import click

from fieldkit.checkin import Desk
from fieldkit.cli_options import DbOptions, db_options
from fieldkit.event import load_event


@click.group("people")
def people_group() -> None:
    """Find the people of this event (their ids are what `fieldkit consent` takes)."""


@people_group.command("find")
@click.argument("query")
@db_options
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Show at most this many people.")
def find_command(query: str, db: DbOptions, limit: int) -> None:
    """People whose name (or a word of it) starts with QUERY: id, name, ticket, checked in or not."""
    store = db.open()
    try:
        zone = load_event(store).zone
        found = Desk(store).search(query, limit)
    finally:
        store.close()
    if not found:
        raise click.ClickException(f"Nobody on this laptop matches {query!r}: try the first letters of a first or last name.")
    for attendee in found:
        came = f"checked in {attendee.checked_in_at.astimezone(zone):%H:%M}" if attendee.checked_in_at else "not checked in"
        click.echo("\t".join([attendee.person_id, attendee.name, attendee.ticket or "-", came]))
