"""`fieldkit print passes`: one signed pass per registration, several per page."""

from __future__ import annotations

from pathlib import Path

import click

from fieldkit.checkin.passes import pass_cards, pass_sheet
from fieldkit.cli.options import DbOptions, db_options
from fieldkit.cli.printing import deliver, out_option, printer_option, write_pdf
from fieldkit.errors import Refused
from fieldkit.event import load_event
from fieldkit.roles import COORDINATOR
from printables.passes import render_passes


@click.command("passes")
@db_options
@out_option
@printer_option
def print_passes_command(db: DbOptions, out: Path, printer: str | None) -> None:
    """Write a PDF with one pass (name and signed QR) per registration."""
    store = db.open()
    try:
        sheet = pass_sheet(store)
        cards = pass_cards(store)
        template = load_event(store).template
    except (Refused, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if not cards:
        if store.role == COORDINATOR:
            raise click.ClickException(
                "There are no registrations yet: import them with `fieldkit import registrations` first."
            )
        raise click.ClickException(
            "This laptop holds no registrations yet: sync with the coordinator's laptop"
            " (`fieldkit sync with HOST:PORT`) first."
        )
    pages = write_pdf(lambda: render_passes(sheet, cards, out), out)
    plural = "s" if pages != 1 else ""
    click.echo(f"{len(cards)} passes on {pages} page{plural} ({sheet.page_size}).")
    deliver(out, printer, template, title="Field Kit passes")
