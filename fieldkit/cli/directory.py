"""`fieldkit directory ...`: the practitioner directory, listed and exported as Open Referral HSDS."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fieldkit.cli.options import DbOptions, db_options
from fieldkit.event import load_event
from fieldkit.referrals.directory import filter_practitioners
from fieldkit.referrals.hsds import hsds_organization


@click.group("directory")
def directory_group() -> None:
    """The event's practitioner directory: list it, filter it, export it."""


@directory_group.command("list")
@db_options
@click.option("--specialism", help="Only practitioners with this specialism (e.g. anxiety).")
@click.option("--language", help="Only practitioners who speak this language (its code, e.g. el).")
@click.option("--accepting/--not-accepting", default=None, help="Only those (not) accepting new clients.")
def list_command(db: DbOptions, specialism: str | None, language: str | None, accepting: bool | None) -> None:
    """List practitioners: specialisms, languages, booking, whether they take new clients."""
    store = db.open()
    try:
        template = load_event(store).template
    finally:
        store.close()
    found = filter_practitioners(template.practitioners, specialism=specialism, language=language, accepting=accepting)
    if not found:
        click.echo("No practitioner matches: try fewer filters (`fieldkit directory list --db ...`).")
    for p in found:
        state = "accepting new clients" if p.accepting_new_clients else "not accepting new clients"
        scale = ", sliding scale" if p.sliding_scale else ""
        click.echo(f"{p.name} [{p.id}] - {state}{scale}")
        click.echo(f"  specialisms: {', '.join(p.specialisms)}; languages: {', '.join(p.languages)}")
        click.echo(f"  book: {p.how_to_book}" + (f"; where: {p.location}" if p.location else ""))


@directory_group.command("export")
@db_options
@click.option("--hsds", is_flag=True, help="Export as Open Referral HSDS 3 JSON (an organization with its services).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON to this file.")
def export_command(db: DbOptions, hsds: bool, out: Path) -> None:
    """Export the directory (no referral or personal data) for other services to read."""
    if not hsds:
        raise click.ClickException("Choose the export format: add --hsds (the only one so far).")
    store = db.open()
    try:
        document = hsds_organization(load_event(store).template, store.event_id)
    finally:
        store.close()
    try:
        out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"Could not write {out}: {exc.strerror or exc}; choose another --out path.") from None
    click.echo(f"Wrote {len(document['services'])} services to {out} (HSDS 3).")
