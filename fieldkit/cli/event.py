"""`fieldkit demo`, `app` and `info`: opening and describing an event database (`init` makes or joins one)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fieldkit.cli.options import DbOptions, db_options, interface_option
from fieldkit.event import load_event
from fieldkit.event.demo import DEMO_PASSPHRASE, make_demo
from fieldkit.event.overview import event_overview
from fieldkit.store import open_store
from fieldkit.tui import open_while_loading

if TYPE_CHECKING:
    from fieldkit.store import Store
    from sync.live import LiveSync

__all__ = ["DEMO_PASSPHRASE", "app", "demo", "info", "make_demo"]


def demo_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fieldkit" / "demo"


@click.command()
@click.option("--no-app", is_flag=True, help="Create the demo database but do not open the app.")
def demo(no_app: bool) -> None:
    """Create a fresh demo event with sample registrations and open the app on it."""
    path = make_demo(demo_dir())
    click.echo(f"Demo event database: {path}")
    click.echo(f"Demo passphrase: {DEMO_PASSPHRASE}")
    if not no_app:
        store, field_kit_app = open_while_loading(partial(open_store, path, DEMO_PASSPHRASE))
        field_kit_app(store).run()
        click.echo(f"Reopen it with: fieldkit app --db {path}  (passphrase: {DEMO_PASSPHRASE})")


@click.command()
@db_options
@interface_option
@click.option("--offline", is_flag=True, help="Do not sync while the app runs (no serving, no mDNS).")
def app(db: DbOptions, interfaces: tuple[str, ...], offline: bool) -> None:
    """Open the Field Kit app on an event database; it keeps in step with the event's other laptops.

    Continuous sync runs in the background as `fieldkit sync auto` does, unless --offline. Without
    a passphrase from a file or the environment, the app asks for it itself (three tries).
    """
    def engine(reopen: Callable[[], Store]) -> LiveSync:
        from sync.live import LiveSync  # once the first screen is drawn (the app calls this then)

        return LiveSync(reopen, interfaces=interfaces)

    make_sync = None if offline else engine
    if db.passphrase_given:
        (store, reopen), field_kit_app = open_while_loading(db.open_reopenable)
        running = field_kit_app(store, make_sync=make_sync, reopen=reopen)
    else:
        db.require_existing()
        from fieldkit.tui.app import FieldKitApp  # (the app asks for the passphrase: nothing to open beside it)

        running = FieldKitApp(database=db.path, make_sync=make_sync)
    running.run()
    if running.return_code:
        raise SystemExit(running.return_code)


@click.command()
@db_options
def info(db: DbOptions) -> None:
    """Show the event, this device, the schema version and counts per table."""
    with db.opened() as store:
        event = load_event(store)
        ev = event.template.event
        counts = store.counts()  # read before anything is printed: a damaged page is then the only line
        seen = event_overview(store)
        click.echo(f"Event:    {ev.name} ({ev.venue})")
        click.echo(f"When:     {ev.starts:%Y-%m-%d %H:%M} to {ev.ends:%H:%M} {ev.timezone}")
        click.echo(f"Device:   {store.device_name} ({store.role}) {store.device_id}")
        click.echo(f"Schema:   {store.meta('schema_version')}")
        click.echo(f"Storage:  {'SQLCipher, encrypted' if store.encrypted else 'plain SQLite (development)'}")
        flagged = f", {seen.double_checkins} of them more than once (flagged)" if seen.double_checkins else ""
        click.echo(f"Came:     {seen.checked_in} of {seen.registered} registrations checked in{flagged}")
        click.echo("Counts:")
        for table, count in counts.items():
            click.echo(f"  {table:<24}{count:>8}")
