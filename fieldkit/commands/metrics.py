"""`fieldkit import referrals|outcomes`, `fieldkit report` and `fieldkit export aggregates`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from fieldkit.cli_options import DbOptions, db_options
from fieldkit.commands.words import plural
from fieldkit.metrics.outcome_log import import_outcomes
from fieldkit.metrics.referral_log import ImportReport, import_referrals
from fieldkit.refusal import Refused

check_option = click.option("--check", is_flag=True, help="Show what would be imported and change nothing.")
skip_bad_option = click.option("--skip-bad", is_flag=True, help="Import the good rows even if some rows are bad.")


def _require_file(path: Path) -> None:
    # Checked before the passphrase is asked, so a typo is one sentence.
    if not path.is_file():
        problem = "is a folder" if path.is_dir() else "does not exist"
        raise click.ClickException(f"{path} {problem}: give the path of the CSV file.")


def _run_import(run: Callable[..., ImportReport], csv_file: Path, db: DbOptions, check: bool, skip_bad: bool, what: str) -> None:
    _require_file(csv_file)
    with db.opened(Refused) as store:
        report = run(store, csv_file, check=check, skip_bad=skip_bad)
    if report.ignored_columns:
        click.echo("Ignored columns: " + ", ".join(repr(c) for c in report.ignored_columns))
    for bad in report.bad:
        click.echo(f"line {bad.line}: {bad.reason}", err=True)
    verb = "" if report.applied else "would be "
    click.echo(
        f"{plural(len(report.new), what)} {verb}added, {len(report.updated)} {verb}updated, "
        f"{report.already_had} already here, {plural(len(report.bad), 'bad row')}."
    )
    if report.bad and not skip_bad and not check:
        raise click.ClickException("Nothing was imported because of the bad rows above: fix them, or rerun with --skip-bad.")
    if check:
        click.echo("Nothing was changed (--check).")


@click.command("referrals")
@click.argument("csv_file", type=click.Path(path_type=Path))
@db_options
@check_option
@skip_bad_option
def import_referrals_command(csv_file: Path, db: DbOptions, check: bool, skip_bad: bool) -> None:
    """Import a referral log kept elsewhere (columns: code, issued_at, channel, introducer,
    practitioner, need, booked_at, first_session_at, third_session_at, ended_at, ended_reason)."""
    _run_import(import_referrals, csv_file, db, check, skip_bad, "referral")


@click.command("outcomes")
@click.argument("csv_file", type=click.Path(path_type=Path))
@db_options
@check_option
@skip_bad_option
def import_outcomes_command(csv_file: Path, db: DbOptions, check: bool, skip_bad: bool) -> None:
    """Import what practitioners report back (columns: code, status, at)."""
    _run_import(import_outcomes, csv_file, db, check, skip_bad, "fact")
