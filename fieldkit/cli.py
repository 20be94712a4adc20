"""The `fieldkit` command line: a thin layer over the domain functions the screens call."""

from __future__ import annotations

import os
from pathlib import Path

import click

from fieldkit import __version__
from fieldkit.cli_options import DbOptions, db_options
from fieldkit.commands.device import device_group, join_passphrase, join_passphrase_option
from fieldkit.commands.sync import sync_group
from fieldkit.event import create_event, load_event
from fieldkit.importer import ImportRefused, import_registrations
from fieldkit.store import StoreError
from fieldkit.template import TemplateError, load_template
from sync.enroll import EnrollRefused, join_event, read_join_file

SAMPLE_EVENTS = Path(__file__).resolve().parent.parent / "sample_events"
DEMO_PASSPHRASE = "demo-passphrase"
DEMO_TEMPLATE = "wellbeing-popup.toml"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fieldkit")
def main() -> None:
    """Field Kit: check-in, consent, intake, referrals and sync for pop-up clinics, offline."""


@main.command()
@click.argument("template", type=click.Path(path_type=Path), required=False)
@db_options
@click.option("--device-name", default="coordinator", show_default=True, help="This laptop's name as others see it.")
@click.option("--join", "join_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Join an event with the file `fieldkit device enroll` wrote, instead of a TEMPLATE.")
@join_passphrase_option
def init(template: Path | None, db: DbOptions, device_name: str, join_file: Path | None, join_passphrase_file: Path | None) -> None:
    """Create a new event database from TEMPLATE (a .toml event template), or join one with --join."""
    if join_file is not None:
        if template is not None:
            raise click.ClickException("Give either a TEMPLATE or --join FILE, not both.")
        _join(join_file, db, join_passphrase_file)
        return
    if template is None:
        raise click.ClickException("Give a TEMPLATE (.toml) to create an event, or --join FILE to join one.")
    try:
        parsed = load_template(template)
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    db.require_new()
    try:
        store = create_event(db.path, parsed, db.passphrase(confirm=True), device_name=device_name)
    except (StoreError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {db.path} for {parsed.event.name} (device {device_name}, coordinator).")
    store.close()


def _join(join_file: Path, db: DbOptions, join_passphrase_file: Path | None) -> None:
    db.require_new()
    try:
        bundle = read_join_file(join_file, join_passphrase(join_passphrase_file, confirm=False))
        store = join_event(db.path, db.passphrase(confirm=True), bundle)
    except (EnrollRefused, StoreError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        name = load_event(store).name
    finally:
        store.close()
    click.echo(f"Joined {name} as {bundle['device_name']} ({bundle['role']}): {db.path}. Sync with the coordinator next.")


def demo_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fieldkit" / "demo"


def make_demo(directory: Path) -> Path:
    """A fresh demo database from the first sample template, registrations imported."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.db"
    for stale in directory.glob("demo.db*"):
        stale.unlink()
    template_path = SAMPLE_EVENTS / DEMO_TEMPLATE
    store = create_event(path, load_template(template_path), DEMO_PASSPHRASE, device_name="demo-desk")
    try:
        registrations = template_path.with_name(template_path.stem + "-registrations.csv")
        import_registrations(store, registrations)
    finally:
        store.close()
    return path


@main.command()
@click.option("--no-app", is_flag=True, help="Create the demo database but do not open the app.")
def demo(no_app: bool) -> None:
    """Create a fresh demo event with sample registrations and open the app on it."""
    path = make_demo(demo_dir())
    click.echo(f"Demo event database: {path}")
    click.echo(f"Demo passphrase: {DEMO_PASSPHRASE}")
    if not no_app:
        from fieldkit.store import open_store
        from fieldkit.tui.app import FieldKitApp

        FieldKitApp(open_store(path, DEMO_PASSPHRASE)).run()
        click.echo(f"Reopen it with: fieldkit app --db {path}  (passphrase: {DEMO_PASSPHRASE})")


@main.command()
@db_options
def app(db: DbOptions) -> None:
    """Open the Field Kit app on an event database."""
    store = db.open()
    from fieldkit.tui.app import FieldKitApp

    FieldKitApp(store).run()


@main.command()
@db_options
def info(db: DbOptions) -> None:
    """Show the event, this device, the schema version and counts per table."""
    with db.opened() as store:
        event = load_event(store)
        ev = event.template.event
        click.echo(f"Event:    {ev.name} ({ev.venue})")
        click.echo(f"When:     {ev.starts:%Y-%m-%d %H:%M} to {ev.ends:%H:%M} {ev.timezone}")
        click.echo(f"Device:   {store.device_name} ({store.role}) {store.device_id}")
        click.echo(f"Schema:   {store.meta('schema_version')}")
        click.echo(f"Storage:  {'SQLCipher, encrypted' if store.encrypted else 'plain SQLite (development)'}")
        click.echo("Counts:")
        for table, count in store.counts().items():
            click.echo(f"  {table:<24}{count:>8}")


@main.group("import")
def import_group() -> None:
    """Import data from files."""


@import_group.command("registrations")
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
    click.echo(f"Recognised a {report.source} export: " + ", ".join(f"{k} <- {v!r}" for k, v in report.mapping.items()))
    if check:
        for row in report.new:
            click.echo(f"  line {row.line}: {row.name}" + (f" ({row.ticket})" if row.ticket else ""))
    for bad in report.bad:
        click.echo(f"line {bad.line}: {bad.reason}", err=True)
    verb = "imported" if report.applied else "would import"
    click.echo(
        f"{len(report.new)} {verb}, {report.already_had} already here, "
        f"{len(report.cancelled)} cancelled, {len(report.bad)} bad rows."
    )
    if report.bad and not skip_bad and not check:
        raise click.ClickException("Nothing was imported because of the bad rows above: fix them, or rerun with --skip-bad.")
    if check:
        click.echo("Nothing was changed (--check).")


from fieldkit.commands.checkin import checkin_command  # noqa: E402
from fieldkit.commands.consent import consent_forms_command, consent_group  # noqa: E402
from fieldkit.commands.passes import print_passes_command  # noqa: E402,F401  (joins print_group)
from fieldkit.commands.printing import print_group  # noqa: E402

main.add_command(checkin_command)
main.add_command(consent_group)
main.add_command(print_group)
print_group.add_command(consent_forms_command)
main.add_command(sync_group)
main.add_command(device_group)

from fieldkit.commands.intake import intake as intake_commands  # noqa: E402

main.add_command(intake_commands)

from fieldkit.commands.people import people_group  # noqa: E402

main.add_command(people_group)

from fieldkit.commands.directory import directory_group  # noqa: E402
from fieldkit.commands.referrals import referral_group  # noqa: E402  (also joins print_group)

main.add_command(directory_group)
main.add_command(referral_group)

from fieldkit.commands.metrics import import_outcomes_command, import_referrals_command  # noqa: E402

import_group.add_command(import_referrals_command)
import_group.add_command(import_outcomes_command)

from fieldkit.commands.metrics import export_group, report_command  # noqa: E402

main.add_command(report_command)
main.add_command(export_group)
