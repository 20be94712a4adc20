"""The one path from a PDF to paper: choose the printer, save the PDF first, then print it through CUPS.

Every screen and command prints the same way (docs/printing.md): the printer is the
one asked for (`--printer`), else `$FIELDKIT_PRINTER`, else the event template's
`printer`, else the CUPS default destination; with none of those, or without CUPS, the
PDF stays saved and its path is said. Nothing here raises for a missing printer: at a
pop-up clinic the printer is often absent or unplugged, and the saved PDF is the
fallback a coordinator can carry on a USB stick.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fieldkit.errors import Refused
from fieldkit.event.template import EventTemplate

DEFAULT = "default"  # `--printer default`: the CUPS default destination
PRINTER_ENV = "FIELDKIT_PRINTER"
TIMEOUT_S = 10.0

_JOB_ID = re.compile(r"request id is (\S+)")
_PRINTER_LINE = re.compile(r"^printer (\S+) (?:is (idle)|now (printing)|(disabled))")
_DEFAULT_LINE = re.compile(r"^system default destination: (\S+)")


class PrintingUnavailable(Refused):
    """CUPS cannot be used here (not installed, scheduler not running, no answer)."""

    code = "printing_unavailable"


class PrinterRefused(Refused):
    """CUPS is there but would not take the job (unknown printer, disabled queue...)."""

    code = "printer_refused"


@dataclass(frozen=True)
class Printer:
    name: str
    state: str  # idle | printing | disabled
    is_default: bool = False


@dataclass(frozen=True)
class PrintOutcome:
    """What happened to one PDF: `printed` with a job id, or saved only, and why."""

    pdf: Path
    printed: bool
    printer: str | None
    job_id: str | None
    message: str


def _run(args: list[str]) -> subprocess.CompletedProcess:
    if shutil.which(args[0]) is None:
        raise PrintingUnavailable(f"CUPS is not installed on this laptop (there is no `{args[0]}` command).")
    # The C locale so the output we parse is the same in every language.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise PrintingUnavailable(f"CUPS did not answer `{' '.join(args)}` within {TIMEOUT_S:.0f} seconds.") from None


def parse_job_id(lp_output: str) -> str | None:
    """The job id from `lp`'s "request id is NAME-12 (1 file(s))"."""
    found = _JOB_ID.search(lp_output)
    return found.group(1) if found else None


def parse_printers(lpstat_p: str, lpstat_d: str = "") -> list[Printer]:
    """Printers from `lpstat -p` (and the default from `lpstat -d`)."""
    default = next((m.group(1) for m in map(_DEFAULT_LINE.match, lpstat_d.splitlines()) if m), None)
    printers = []
    for line in lpstat_p.splitlines():
        found = _PRINTER_LINE.match(line)
        if found:
            name = found.group(1)
            state = next(s for s in found.groups()[1:] if s)
            printers.append(Printer(name, state, name == default))
    return printers


def check_scheduler() -> None:
    """Raise PrintingUnavailable unless CUPS is installed and its scheduler answers."""
    result = _run(["lpstat", "-r"])
    if "is running" not in result.stdout or "not running" in result.stdout:
        raise PrintingUnavailable("The CUPS print service is not running on this laptop (start it with `cupsd`).")


def list_printers() -> list[Printer]:
    """The CUPS destinations of this laptop; PrintingUnavailable when CUPS is not usable."""
    check_scheduler()
    listed = _run(["lpstat", "-p"])
    default = _run(["lpstat", "-d"])
    return parse_printers(listed.stdout, default.stdout)


def send_pdf(pdf: Path, printer: str, *, title: str | None = None, copies: int = 1) -> str:
    """Queue `pdf` on `printer` (`lp -d`) and return the CUPS job id."""
    check_scheduler()
    args = ["lp", "-d", printer, "-n", str(copies)]
    if title:
        args += ["-t", title]
    result = _run([*args, "--", str(pdf)])
    job_id = parse_job_id(result.stdout)
    if result.returncode != 0 or job_id is None:
        problem = (result.stderr or result.stdout).strip().removeprefix("lp: ").removeprefix("Error - ")
        raise PrinterRefused(f"The printer {printer} did not take the job ({problem or 'no job id given'}).")
    return job_id


def print_pdf(pdf: Path, printer: str, *, title: str | None = None, copies: int = 1) -> PrintOutcome:
    """Print a saved PDF if CUPS and the printer are there; otherwise say where the PDF is."""
    pdf = Path(pdf).resolve()
    saved = f"The PDF is saved at {pdf}: print it from another computer or try again."
    try:
        name = printer
        if printer == DEFAULT:
            name = next((p.name for p in list_printers() if p.is_default), None)
            if name is None:
                return PrintOutcome(pdf, False, None, None, f"This laptop has no default printer. {saved}")
        known = [p.name for p in list_printers()]
        if name not in known:
            choices = f"printers here: {', '.join(known)}" if known else "no printers are set up here"
            return PrintOutcome(pdf, False, name, None, f"There is no printer named {name} ({choices}). {saved}")
        job_id = send_pdf(pdf, name, title=title or pdf.stem, copies=copies)
    except (PrintingUnavailable, PrinterRefused) as exc:
        return PrintOutcome(pdf, False, printer, None, f"{exc} {saved}")
    return PrintOutcome(pdf, True, name, job_id, f"Sent {pdf.name} to {name} as job {job_id}.")


def choose_printer(asked: str | None = None, template: EventTemplate | None = None) -> str:
    """The printer to use: the one asked for, else $FIELDKIT_PRINTER, else the template's, else the CUPS default."""
    return asked or os.environ.get(PRINTER_ENV) or (template.event.printer if template else "") or DEFAULT


def deliver(pdf: Path, printer: str, *, title: str) -> PrintOutcome:
    """Print an already saved PDF on `printer` (see `choose_printer`), or say plainly where it is kept.

    With no printer chosen and no CUPS default, the PDF is simply saved: that is not a
    failure, so the sentence names the file and how to choose a printer.
    """
    pdf = Path(pdf).resolve()
    if printer == DEFAULT and not _has_default():
        return PrintOutcome(
            pdf, False, None, None,
            f"Saved {pdf} (no printer is chosen: set {PRINTER_ENV} or the template's printer to print it).",
        )
    return print_pdf(pdf, printer, title=title)


def _has_default() -> bool:
    try:
        return any(p.is_default for p in list_printers())
    except PrintingUnavailable:
        return False
