"""`fieldkit print passes`: one signed pass per registration, several per page, or one PNG each."""

from __future__ import annotations

from pathlib import Path

import click

from fieldkit.checkin.passes import pass_sheet, passes_by_file_name
from fieldkit.cli.options import DbOptions, db_options
from fieldkit.cli.printing import deliver, folder_exists, out_option, printer_option, write_file
from fieldkit.cli.words import plural
from fieldkit.errors import Refused
from fieldkit.event import load_event
from fieldkit.roles import COORDINATOR
from printables.pass_images import write_pass_images
from printables.passes import render_passes


@click.command("passes")
@db_options
@out_option(required=False)
@click.option(
    "--png",
    "png_dir",
    type=click.Path(file_okay=False, path_type=Path),
    callback=folder_exists,
    help="Write one PNG image per pass into this folder, for sending before the event "
    "(files readable by you only, named by the platform's order or attendee number).",
)
@printer_option
def print_passes_command(db: DbOptions, out: Path | None, png_dir: Path | None, printer: str | None) -> None:
    """Write a PDF with one pass (name and signed QR) per registration, and/or one PNG per pass."""
    if out is None and png_dir is None:
        raise click.ClickException("Say what to make: --out FILE.pdf to print the passes, --png FOLDER for images to send, or both.")
    store = db.open()
    try:
        sheet = pass_sheet(store)
        passes = passes_by_file_name(store)
        template = load_event(store).template
    except (Refused, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if not passes:
        if store.role == COORDINATOR:
            raise click.ClickException(
                "There are no registrations yet: import them with `fieldkit import registrations` first."
            )
        raise click.ClickException(
            "This laptop holds no registrations yet: sync with the coordinator's laptop"
            " (`fieldkit sync with HOST:PORT`) first."
        )
    cards = list(passes.values())
    if png_dir is not None:
        written = write_file(lambda: len(write_pass_images(sheet, passes, png_dir)), png_dir, "--png")
        click.echo(f"Wrote {plural(written, 'pass image')} to {png_dir.resolve()} (readable by you only).")
    if out is not None:
        pages = write_file(lambda: render_passes(sheet, cards, out), out)
        click.echo(f"{plural(len(cards), 'pass', 'passes')} on {plural(pages, 'page')} ({sheet.page_size}).")
        deliver(out, printer, template, title="Field Kit passes")
