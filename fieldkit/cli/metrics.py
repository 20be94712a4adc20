"""`fieldkit import referrals|outcomes`, `fieldkit report` and `fieldkit export aggregates`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import click

from fieldkit import metrics
from fieldkit.cli.options import DbOptions, db_options, excel_option
from fieldkit.cli.words import plural, require_folder
from fieldkit.event import load_event
from fieldkit.metrics.aggregates import without_desk_names
from fieldkit.metrics.outcome_log import import_outcomes
from fieldkit.metrics.referral_log import ImportReport, import_referrals
from fieldkit.store import Store

check_option = click.option("--check", is_flag=True, help="Show what would be imported and change nothing.")
skip_bad_option = click.option("--skip-bad", is_flag=True, help="Import the good rows even if some rows are bad.")


def _require_file(path: Path) -> None:
    # Checked before the passphrase is asked, so a typo is one sentence.
    if not path.is_file():
        problem = "is a folder" if path.is_dir() else "does not exist"
        raise click.ClickException(f"{path} {problem}: give the path of the CSV file.")


def _run_import(run: Callable[..., ImportReport], csv_file: Path, db: DbOptions, check: bool, skip_bad: bool, what: str) -> None:
    _require_file(csv_file)
    with db.opened() as store:
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


def scope_options(command):
    """--since, --until and --as-of, as local dates of the event."""
    day = click.DateTime(["%Y-%m-%d"])
    command = click.option("--as-of", type=day, help="Count what was recorded up to the end of this day (default: now).")(command)
    command = click.option("--until", type=day, help="Only referrals issued and events held on or before this day.")(command)
    command = click.option("--since", type=day, help="Only referrals issued and events held on or after this day.")(command)
    return click.option(
        "--earlier", "earlier", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
        help="An earlier event's database of the same community (same passphrase), to count who came back; repeatable.",
    )(command)


def _scope(store: Store, since: datetime | None, until: datetime | None, as_of: datetime | None) -> metrics.Scope:
    if since and until and since > until:
        raise click.ClickException("--since is after --until: give the earlier day first.")
    zone = load_event(store).zone
    moment = store.now()
    if as_of is not None:
        if as_of.year >= 9999:
            raise click.ClickException("--as-of is too far ahead: give a date before the year 9999.")
        moment = datetime.combine(as_of.date() + timedelta(days=1), time(0), tzinfo=zone) - timedelta(milliseconds=1)
    return metrics.Scope(moment, since.date() if since else None, until.date() if until else None)


@contextlib.contextmanager
def _earlier(db: DbOptions, paths: tuple[Path, ...], key: bytes) -> Iterator[metrics.Earlier]:
    stores = []
    try:
        for path in paths:
            stores.append(DbOptions(path, db.passphrase_file, db.unencrypted).open())
        yield metrics.earlier_events(key, stores)
    finally:
        for other in stores:
            other.close()


def _aggregates_of(db: DbOptions, scope_args: tuple, earlier: tuple[Path, ...]) -> metrics.Aggregates:
    from sync.enroll import unheard

    with db.opened() as store:
        if missing := unheard(store):  # (on stderr: the report itself stays what --json promises)
            click.echo(
                f"Nothing from {', '.join(missing)} is on this laptop: if they recorded anything, it is not counted "
                "here. Sync each of them with this laptop directly, then run this again.", err=True,
            )
        scope = _scope(store, *scope_args)
        with _earlier(db, earlier, metrics.key_of(store)) as before:
            return metrics.collect(store, scope, before)


@click.command("report")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help="The event database file.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the passphrase from this file (or set FIELDKIT_PASSPHRASE).")
@click.option("--unencrypted", is_flag=True, help="Development only: the database is plain SQLite, not SQLCipher.")
@click.option("--combine", is_flag=True, help="Report over the aggregate FILES of many events instead of one database.")
@scope_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (docs/report-schema.json) instead of text.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path), help="Also write the report's tables as CSV files into this folder.")
@click.option("--pdf", "pdf_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report with its charts as a PDF.")
@click.option("--page-size", type=click.Choice(["A4", "Letter"]), default="A4", show_default=True, help="Paper size of the PDF.")
@excel_option
def report_command(
    files: tuple[Path, ...], db_path: Path | None, passphrase_file: Path | None, unencrypted: bool, combine: bool,
    earlier: tuple[Path, ...], since: datetime | None, until: datetime | None, as_of: datetime | None,
    as_json: bool, csv_dir: Path | None, pdf_file: Path | None, page_size: str, excel: bool,
) -> None:
    """The event report: who came, intent, referrals by channel, month and event, community vs
    directory; every count from 1 to 10 shown as <11. Definitions: docs/metrics.md."""
    if csv_dir is not None and not csv_dir.parent.is_dir():
        raise click.ClickException(f"The folder {csv_dir.parent} does not exist: create it or choose another --csv folder.")
    if pdf_file is not None:
        require_folder(pdf_file, "--pdf")
    if combine:
        if db_path is not None or not files:
            raise click.ClickException("Give --combine the aggregate files (and no --db): fieldkit report --combine A.sqlite B.sqlite")
        if earlier or since or until or as_of:
            raise click.ClickException("--since, --until, --as-of and --earlier apply when each file is exported, not when they are combined.")
        aggregates = metrics.combined(metrics.read_file(path) for path in files)
    else:
        if db_path is None or files:
            raise click.ClickException("Give --db EVENT.db, or --combine with aggregate files.")
        aggregates = _aggregates_of(DbOptions(db_path, passphrase_file, unencrypted), (since, until, as_of), earlier)
    doc = metrics.build(aggregates)
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False) if as_json else metrics.render(doc))
    if csv_dir is not None:
        written = metrics.write_csv(doc, csv_dir, excel=excel)
        click.echo(f"Wrote {plural(len(written), 'CSV file')} to {csv_dir}.", err=as_json)
    if pdf_file is not None:
        from fieldkit.metrics.pdf import write_pdf  # reportlab only when a PDF is asked for

        pages = write_pdf(doc, pdf_file, page_size)
        click.echo(f"Wrote {plural(pages, 'page')} to {pdf_file}.", err=as_json)


@click.group("export")
def export_group() -> None:
    """Write de-identified files for others: aggregate counts that combine across events."""


@export_group.command("aggregates")
@db_options
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The SQLite file to write (it opens in Datasette).")
@scope_options
def export_aggregates_command(db: DbOptions, out: Path, earlier: tuple[Path, ...], since: datetime | None, until: datetime | None, as_of: datetime | None) -> None:
    """Write this event's additive counts (no person rows, free text, names or pseudonyms) for
    `fieldkit report --combine`."""
    require_folder(out, "--out")
    aggregates = _aggregates_of(db, (since, until, as_of), earlier)
    try:
        metrics.write_file(without_desk_names(aggregates), out)
    except OSError as exc:
        raise click.ClickException(f"Could not write {out} ({exc.strerror}): choose another --out path.") from None
    click.echo(f"Wrote the aggregate counts to {out}.")
