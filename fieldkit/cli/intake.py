"""`fieldkit intake ...`: the de-identified export, the survey immutability check and the timer review."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from fieldkit.cli.options import DbOptions, db_options, excel_option
from fieldkit.cli.words import plural, require_folder
from fieldkit.event import load_event
from fieldkit.event.template import EventTemplate, TemplateError, load_template
from fieldkit.intake import timers as it
from fieldkit.intake.export import export_csv
from fieldkit.intake.surveys import check_surveys
from fieldkit.store import Store


@click.group("intake")
def intake() -> None:
    """Intent timers and surveys: export, checks and the review of timers past the event's end."""


@intake.command("export")
@db_options
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The CSV file to write.")
@excel_option
def export_command(db: DbOptions, out: Path, excel: bool) -> None:
    """Write de-identified timer runs and survey answers to a CSV file (cells a spreadsheet
    would run as formulas are written as text)."""
    require_folder(out, "--out")
    with db.opened() as store:
        try:
            timers, answered = export_csv(store, out, excel=excel)
        except OSError as exc:
            raise click.ClickException(f"Could not write {out} ({exc.strerror}): choose another --out path.") from None
    click.echo(f"Wrote {plural(timers, 'timer run')} and {plural(answered, 'survey response')} to {out} (de-identified).")


@intake.command("check-template")
@click.argument("template", type=click.Path(path_type=Path))
@db_options
def check_template_command(template: Path, db: DbOptions) -> None:
    """Check that TEMPLATE changes no survey version already answered in the database."""
    try:
        parsed = load_template(template)
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    with db.opened() as store:
        check_surveys(store, parsed)
    click.echo(f"{template}: every survey version already answered is unchanged.")


@intake.command("review")
@db_options
@click.option("--close-at-end", "category", metavar="CATEGORY",
              help="Stop the flagged timers at the event's end with this intent category (they then count).")
@click.option("--void", "void", is_flag=True, help="Mark the flagged timers void: kept as facts, never counted.")
@click.option("--timer", "timer_ids", multiple=True, metavar="ID",
              help="Only this flagged timer (repeat for more; default: every flagged timer).")
def review_command(db: DbOptions, category: str | None, void: bool, timer_ids: tuple[str, ...]) -> None:
    """List the timers that ran past the event's end, or settle them (as review facts, never edits)."""
    if category is not None and void:
        raise click.ClickException("Choose one: --close-at-end CATEGORY or --void.")
    if timer_ids and category is None and not void:
        raise click.ClickException("--timer picks timers to settle: add --close-at-end CATEGORY or --void.")
    with db.opened() as store:
        template = load_event(store).template
        if category is not None:
            it.check_category(template, category)
        flagged = it.timers_for_review(store)
        if not flagged and not timer_ids:
            click.echo("No timer ran past the event's end: nothing to review.")
            return
        chosen = list(timer_ids) or [run.timer_id for run in flagged]
        ends = template.event.ends.astimezone(ZoneInfo(template.event.timezone))
        if void:
            settled = it.void_timers(store, chosen)
            click.echo(f"Voided {plural(len(settled), 'timer')}: kept as facts, never counted.")
        elif category is not None:
            settled = it.close_at_end(store, chosen, category)
            click.echo(f"Closed {plural(len(settled), 'timer')} at the event's end ({ends:%H:%M}) as {category}: they now count.")
        else:
            _list_for_review(store, template, flagged, ends)


def _list_for_review(store: Store, template: EventTemplate, flagged: list[it.TimerRun], ends: datetime) -> None:
    now = store.now()
    click.echo(f"{plural(len(flagged), 'timer')} ran past the event's end ({ends:%H:%M} {template.event.timezone}):")
    for run in flagged:
        who = "linked to a person" if run.person_id else "anonymous"
        click.echo(f"  {run.timer_id}  {it.review_words(run, template, now)}; {who}")
    categories = ", ".join(c.id for c in template.intent_categories)
    click.echo(f"Settle them with --close-at-end CATEGORY ({categories}) or --void; --timer ID picks one.")
