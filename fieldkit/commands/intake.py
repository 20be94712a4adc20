"""`fieldkit intake ...`: the de-identified export and the survey immutability check."""

from __future__ import annotations

from pathlib import Path

import click

from fieldkit.cli_options import DbOptions, db_options
from fieldkit.commands.words import plural, require_folder
from fieldkit.intake_export import export_csv
from fieldkit.surveys import SurveyChanged, check_surveys
from fieldkit.template import TemplateError, load_template


@click.group("intake")
def intake() -> None:
    """Intent timers and surveys: export and checks."""


@intake.command("export")
@db_options
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The CSV file to write.")
def export_command(db: DbOptions, out: Path) -> None:
    """Write de-identified timer runs and survey answers to a CSV file."""
    require_folder(out, "--out")
    with db.opened() as store:
        try:
            timers, answered = export_csv(store, out)
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
    with db.opened(SurveyChanged) as store:
        check_surveys(store, parsed)
    click.echo(f"{template}: every survey version already answered is unchanged.")
