"""`fieldkit print passes`: one signed pass per registration, several per page."""

from __future__ import annotations

from pathlib import Path

import click

from fieldkit.cli_options import DbOptions, db_options
from fieldkit.passes import pass_cards, pass_sheet
from fieldkit.tokens import CannotSign
from printables.fonts import FontMissing
from printables.passes import render_passes


@click.group("print")
def print_group() -> None:
    """Make PDFs (passes, consent forms, cards) and print them."""


@print_group.command("passes")
@db_options
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write the PDF to this file.")
@click.option("--printer", metavar="NAME", help="Also print the PDF on this printer.")
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
        raise click.ClickException("There are no registrations yet: import them with `fieldkit import registrations` first.")
    try:
        pages = render_passes(sheet, cards, out)
    except FontMissing as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"Could not write {out}: {exc.strerror}; choose another --out path.") from None
    plural = "s" if pages != 1 else ""
    click.echo(f"Saved {len(cards)} passes on {pages} page{plural} ({sheet.page_size}) to {out.resolve()}")
    if printer:
        raise click.ClickException(
            f"Printing to {printer} is not available in this version yet: print {out} from a PDF viewer."
        )
