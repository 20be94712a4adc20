"""`fieldkit consent ...`: record, check, revoke and sweep consent; print receipts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fieldkit.cli.options import DbOptions, db_options
from fieldkit.cli.printing import deliver, out_option, printer_option, write_file
from fieldkit.cli.words import plural, require_folder
from fieldkit.consent import METHODS, consent_status, event_template
from fieldkit.consent.forms import blank_forms, form_sheet, prefilled_form
from fieldkit.consent.paper import typed_form_id
from fieldkit.consent.receipts import build_receipt, printed_receipt, receipt_json
from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke, sweep
from fieldkit.people.registry import get_person
from printables.consent_forms import render_consent_forms
from printables.consent_receipt import render_receipt


@click.group("consent")
def consent_group() -> None:
    """Record, check and withdraw consent; sweep data no consent covers; print receipts."""


@consent_group.command("status")
@click.argument("person_id", metavar="PERSON")
@db_options
def status_command(person_id: str, db: DbOptions) -> None:
    """Show, for each purpose of the event, whether PERSON (an id) allows it and why."""
    with db.opened() as store:
        if get_person(store, person_id) is None:
            raise click.ClickException(f"There is no person {person_id} on this laptop: find them by name first.")
        for status in consent_status(store, person_id):
            mark = "yes" if status.decision else "no "
            click.echo(f"{mark} {status.purpose.id:<34} {status.decision.message}")


@consent_group.command("give")
@click.argument("person_id", metavar="PERSON")
@db_options
@click.option("--permit", "permits", multiple=True, metavar="PURPOSE", help="A purpose the person agrees to (repeat for each).")
@click.option("--deny", "denials", multiple=True, metavar="PURPOSE", help="A purpose the person says no to (repeat for each).")
@click.option("--method", type=click.Choice(METHODS), required=True, help="How the consent was given.")
@click.option("--witness", help="Name of the person who witnessed it, if any.")
@click.option("--form-id", help="For --method paper: the signed form's id (printed after \"Form ID\") or its scanned QR code.")
def give_command(person_id: str, db: DbOptions, permits: tuple[str, ...], denials: tuple[str, ...],
                 method: str, witness: str | None, form_id: str | None) -> None:
    """Record PERSON's consent decisions (a "no" is recorded too, and purges what it covers)."""
    both = set(permits) & set(denials)
    if both:
        raise click.ClickException(f"{', '.join(sorted(both))}: give each purpose either --permit or --deny, not both.")
    if form_id and method != "paper":
        raise click.ClickException("--form-id is for consent given on paper: add --method paper, or leave --form-id out.")
    choices = {**{p: True for p in permits}, **{p: False for p in denials}}
    with db.opened() as store:
        form = typed_form_id(store, form_id) if form_id else None
        record = record_consent(store, person_id, choices, method=method, witness=witness, form_id=form)
    click.echo(f"Recorded consent {record.record_id} ({plural(len(record.fact_ids), 'purpose')}).")


@consent_group.command("revoke")
@click.argument("person_id", metavar="PERSON")
@click.argument("purpose")
@db_options
@click.option("--method", type=click.Choice(METHODS), default="spoken", show_default=True, help="How the person withdrew it.")
def revoke_command(person_id: str, purpose: str, db: DbOptions, method: str) -> None:
    """Withdraw PERSON's consent for PURPOSE and purge what it covered."""
    with db.opened() as store:
        result = revoke(store, person_id, purpose, method=method)
    click.echo(f"Withdrew {purpose}.")
    for purged in result.purged:
        click.echo(f"Removed {purged.name}: {plural(purged.items, 'item')}, tombstones kept for sync.")


@consent_group.command("sweep")
@db_options
def sweep_command(db: DbOptions) -> None:
    """Purge data no consent covers (run after the event; people never asked keep theirs until the end of the event day)."""
    with db.opened() as store:
        report = sweep(store)
    click.echo(f"Purged covered data of {plural(report.people, 'person', 'people')}.")
    click.echo(f"People never asked keep their contact details until {report.kept_until:%Y-%m-%d %H:%M %Z}.")


@consent_group.command("receipt")
@click.argument("person_id", metavar="PERSON")
@db_options
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), help="Also write a printed receipt the person can take home.")
@printer_option
def receipt_command(person_id: str, db: DbOptions, pdf: Path | None, printer: str | None) -> None:
    """Print PERSON's consent receipt as JSON (after the Kantara consent receipt)."""
    if printer and not pdf:
        raise click.ClickException("--printer prints the PDF receipt: give --pdf FILE as well.")
    if pdf:
        require_folder(pdf, "--pdf")  # before the JSON, so a refusal prints nothing else
    with db.opened() as store:
        receipt = build_receipt(store, person_id)
        sheet, printed = form_sheet(store), printed_receipt(store, receipt)
        template = event_template(store)
    click.echo(json.dumps(receipt_json(receipt), indent=2, ensure_ascii=False))
    if pdf:
        write_file(lambda: render_receipt(sheet, printed, pdf), pdf, "--pdf")
        deliver(pdf, printer, template, title="consent receipt", quiet_stdout=True)


@click.command("consent-forms")
@db_options
@out_option
@click.option("--blank", type=int, metavar="N", help="N numbered blank forms, each with its own signed QR.")
@click.option("--person", "person_id", metavar="ID", help="One form pre-filled for this person: name, date, purposes as decided.")
@printer_option
def consent_forms_command(db: DbOptions, out: Path, blank: int | None, person_id: str | None, printer: str | None) -> None:
    """Write consent forms to a PDF: blank and numbered (--blank N) or pre-filled (--person ID)."""
    if (blank is None) == (person_id is None):
        raise click.ClickException("Give either --blank N (blank forms) or --person ID (a pre-filled form), not both or neither.")
    require_folder(out, "--out")
    with db.opened() as store:
        sheet = form_sheet(store)
        forms = blank_forms(store, blank) if blank is not None else [prefilled_form(store, person_id)]
        template = event_template(store)
    pages = write_file(lambda: render_consent_forms(sheet, forms, out), out)
    click.echo(f"{plural(len(forms), 'consent form')} on {plural(pages, 'page')} ({sheet.page_size}).")
    deliver(out, printer, template, title="consent forms")
