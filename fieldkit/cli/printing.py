"""`fieldkit print ...`: the group every printable joins, and its shared `--printer` option."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import click

from fieldkit.event.template import EventTemplate
from fieldkit.printing import DEFAULT, PRINTER_ENV, PrintingUnavailable, choose_printer, list_printers
from fieldkit.printing import deliver as print_saved
from printables.fonts import FontMissing


def printer_option(command):
    """Add `--printer NAME` to a print command; it receives `printer: str | None`."""

    @click.option(
        "--printer",
        metavar="NAME",
        help=f"Print the PDF on this CUPS printer (see `fieldkit print printers`); without it, on "
        f"${PRINTER_ENV}, the template's printer or the CUPS default ('{DEFAULT}'). "
        "With none of them, or without CUPS, the PDF is kept.",
    )
    @functools.wraps(command)
    def wrapper(*args, printer: str | None, **kwargs):
        return command(*args, printer=printer or None, **kwargs)

    return wrapper


def folder_exists(ctx: click.Context, param: click.Parameter, out: Path | None) -> Path | None:
    """An option callback: the folder `out` goes into must exist (checked before the
    database opens, so a long batch is not made only to fail at the end)."""
    if out is not None and not out.parent.is_dir():
        raise click.ClickException(f"Could not write {out}: there is no folder {out.parent}; choose another {param.opts[0]} path.")
    return out


def out_option(command=None, *, required: bool = True):
    """Add `--out FILE.pdf` (required unless said otherwise) that a print command writes to."""

    def add(command):
        return click.option(
            "--out",
            required=required,
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            callback=folder_exists,
            help="Write the PDF to this file.",
        )(command)

    return add(command) if command is not None else add


def write_file(render: Callable[[], int], out: Path, option: str = "--out") -> int:
    """Run a renderer that writes `out` (a PDF, or a folder of images); font and file
    problems become one sentence naming the `option` to change."""
    try:
        return render()
    except FontMissing as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"Could not write {out}: {exc.strerror or exc}; choose another {option} path.") from None


def deliver(
    pdf: Path, printer: str | None, template: EventTemplate | None, *, title: str, quiet_stdout: bool = False
) -> None:
    """Say where the PDF is and print it on the chosen printer (fieldkit/printing.py), or say why not.

    `quiet_stdout` sends every line to stderr, for commands whose stdout is data (JSON).
    """
    click.echo(f"Saved {pdf.resolve()}", err=quiet_stdout)
    outcome = print_saved(pdf, choose_printer(printer, template), title=title)
    if outcome.printer is not None:  # a printer was chosen or is the default: say what it did
        click.echo(outcome.message, err=quiet_stdout or not outcome.printed)


@click.command("printers")
def printers_command() -> None:
    """List the CUPS printers of this laptop (names to give to --printer)."""
    try:
        found = list_printers()
    except PrintingUnavailable as exc:
        raise click.ClickException(f"{exc} PDFs can still be saved with --out.") from None
    if not found:
        click.echo("No printers are set up in CUPS on this laptop: add one with `lpadmin` or the CUPS web page.")
    for printer in found:
        marks = [printer.name, printer.state] + (["default"] if printer.is_default else [])
        click.echo("\t".join(marks))
