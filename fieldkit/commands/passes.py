"""`fieldkit print passes`: one signed pass per registration, several per page."""

from __future__ import annotations

from pathlib import Path

import click

from fieldkit.cli_options import DbOptions, db_options
from fieldkit.event import COORDINATOR
from fieldkit.commands.printing import deliver, out_option, print_group, printer_option, write_pdf
from fieldkit.passes import pass_cards, pass_sheet
from fieldkit.tokens import CannotSign
from printables.passes import render_passes


@print_group.command("passes")
@db_options
@out_option
@printer_option
def print_passes_command(db: DbOptions, out: Path, printer: str | None) -> None:
    """Write a PDF with one pass (name and signed QR) per registration."""
    store = db.open()
    try:
        sheet = pass_sheet(store)
        cards = pass_cards(store)
    except (CannotSign, LookupError) as exc:
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
    deliver(out, printer, title="Field Kit passes")
