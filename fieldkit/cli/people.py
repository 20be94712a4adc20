"""`fieldkit people find NAME` (the person ids other commands ask for) and `fieldkit import registrations`."""

from __future__ import annotations

from pathlib import Path

import click

from fieldkit.checkin import Attendee, Desk
from fieldkit.cli.options import DbOptions, db_options
from fieldkit.cli.words import plural
from fieldkit.event import load_event
from fieldkit.people.importer import ImportRefused, import_registrations


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
        click.echo("\t".join([attendee.person_id, attendee.name, attendee.ticket or "-", _came(attendee, zone)]))


def _came(attendee: Attendee, zone) -> str:
    """Whether they came, in words; every check-in of someone checked in more than once, and the flag."""
    if not attendee.checkins:
        return "not checked in"
    first, *again = attendee.checkins
    said = f"checked in {first.at.astimezone(zone):%H:%M} at {first.desk}"
    if again:
        said += "".join(f", again {c.at.astimezone(zone):%H:%M} at {c.desk}" for c in again) + ": flagged"
    return said


@click.command("registrations")
@click.argument("csv_file", type=click.Path(path_type=Path))
@db_options
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD", help="Use COLUMN for FIELD (name, first_name, last_name, email, phone, ticket, external_id, registered_at).")
@click.option("--check", is_flag=True, help="Show what would be imported and change nothing.")
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some rows are bad.")
def import_registrations_command(csv_file: Path, db: DbOptions, maps: tuple[str, ...], check: bool, skip_bad: bool) -> None:
    """Import registrations from an Eventbrite, pretix, Google Forms or plain CSV export."""
    if not csv_file.is_file():  # checked here, before the passphrase is asked, in one sentence
        problem = "is a folder" if csv_file.is_dir() else "does not exist"
        raise click.ClickException(f"{csv_file} {problem}: give the path of the CSV export file.")
    overrides = {}
    for item in maps:
        column, sep, field_name = item.rpartition("=")
        if not sep or not column:
            raise click.ClickException(f"--map {item}: expected COLUMN=FIELD, e.g. --map 'Full name=name'.")
        overrides[column] = field_name
    store = db.open()
    try:
        report = import_registrations(store, csv_file, overrides=overrides, check=check, skip_bad=skip_bad)
    except ImportRefused as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(f"Recognised {report.source_words}: " + ", ".join(f"{k} <- {v!r}" for k, v in report.mapping.items()))
    if check:
        for row in report.new:
            click.echo(f"  line {row.line}: {row.name}" + (f" ({row.ticket})" if row.ticket else ""))
    for bad in report.bad:
        click.echo(f"line {bad.line}: {bad.reason}", err=True)
    verb = "imported" if report.applied else "would import"
    click.echo(
        f"{len(report.new)} {verb}, {report.already_had} already here, "
        f"{len(report.cancelled)} cancelled, {plural(len(report.bad), 'bad row')}."
    )
    if report.bad and not skip_bad and not check:
        raise click.ClickException("Nothing was imported because of the bad rows above: fix them, or rerun with --skip-bad.")
    if check:
        click.echo("Nothing was changed (--check).")
