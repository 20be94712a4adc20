"""`fieldkit referral ...` (issue, status, introducers, credits, outcomes) and `fieldkit print referral-cards`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from fieldkit import referrals as rf
from fieldkit.cli.options import DbOptions, db_options
from fieldkit.cli.printing import deliver, out_option, printer_option, write_file
from fieldkit.cli.words import plural
from fieldkit.event import load_event
from fieldkit.event.template import CHANNELS
from fieldkit.referrals.cards import check_request, print_cards
from fieldkit.referrals.stats import practitioner_report
from fieldkit.store import Store
from printables.referral_cards import LABEL, LAYOUTS, SHEET


@contextlib.contextmanager
def opened(db: DbOptions) -> Iterator[Store]:
    """The store, with every refusal turned into the one sentence the person reads."""
    store = db.open()
    try:
        yield store
    except rf.ReferralRefused as refused:
        raise click.ClickException(refused.message) from None
    finally:
        store.close()


def describe(referral: rf.Referral) -> str:
    vetted = f"vetted by {referral.vetted_by}" if referral.vetted else "UNVETTED"
    return (
        f"{referral.display_code}  {referral.status_words:<24} {vetted:<28} "
        f"to {referral.practitioner_id or '(no practitioner)'}  via {referral.channel}  id {referral.id}"
    )


@click.group("referral")
def referral_group() -> None:
    """Referrals: issue them, record what happened next, introducers and their credits."""


@referral_group.command("issue")
@db_options
@click.option("--channel", required=True, type=click.Choice(CHANNELS), help="How the person came to the referral.")
@click.option("--need", help="What they need help with: a specialism from the directory (e.g. grief).")
@click.option("--language", help="The language they prefer (its code, e.g. uk).")
@click.option("--introducer", "introducer_id", help="Id of the introducer who brought them (`fieldkit referral introducer list`).")
@click.option("--practitioner", "practitioner_id", help="Refer to this practitioner instead of the suggested one.")
@click.option("--person", "person_id", help="Link to this person (only kept with their consent to share intake).")
@click.option("--card", "card_code", help="The short code of a blank card handed over (otherwise a new card code is made).")
def issue_command(db: DbOptions, **options) -> None:
    """Issue a referral and say which card code and practitioner it has."""
    with opened(db) as store:
        referral = rf.issue_referral(store, via="cli", **options)
        click.echo(describe(referral))
        if options["person_id"] and referral.person_id is None:
            click.echo("Not linked to the person (no consent to share intake): the card's code is the only link.")


@referral_group.command("status")
@click.argument("code")
@click.argument("status", metavar="STATUS", type=click.Choice(rf.STATUSES))
@db_options
@click.option("--reason", help="Why (needed for declined and expired).")
@click.option("--practitioner", "practitioner_id", help="The practitioner vetting it (needed for vetted).")
def status_command(code: str, status: str, db: DbOptions, reason: str | None, practitioner_id: str | None) -> None:
    """Move the referral with CODE (its short code, card QR text or id) to STATUS:
    issued, vetted, booked, first_session, third_session, declined or expired."""
    with opened(db) as store:
        referral = rf.resolve(store, code)
        updated = rf.set_status(store, referral.id, status, reason=reason, practitioner_id=practitioner_id, via="cli")
        click.echo(describe(updated))


@referral_group.command("scan")
@click.argument("code")
@db_options
def scan_command(code: str, db: DbOptions) -> None:
    """Do what scanning the card's QR at the check-in desk does (CODE is the scanned text)."""
    with opened(db) as store:
        click.echo(rf.advance_by_scan(store, code).message)


@referral_group.command("show")
@click.argument("code")
@db_options
def show_command(code: str, db: DbOptions) -> None:
    """Show one referral and its history."""
    with opened(db) as store:
        referral = rf.resolve(store, code)
        click.echo(describe(referral))
        for status, reason, who, via, at in store.db.execute(
            "SELECT status, reason, practitioner_id, via, at FROM referral_status WHERE referral_id = ? ORDER BY hlc",
            [referral.id],
        ):
            extra = "".join(f"; {v}" for v in (who, reason) if v)
            click.echo(f"  {at}  {status} ({via}){extra}")
        outcomes = rf.outcomes_of(store, referral.id)
        if outcomes:
            click.echo(f"  outcomes: {', '.join(outcomes)}")


@referral_group.command("list")
@db_options
@click.option("--status", type=click.Choice(rf.STATUSES), help="Only referrals whose current status is this.")
def list_command(db: DbOptions, status: str | None) -> None:
    """List referrals, newest first; unvetted ones are marked UNVETTED."""
    with opened(db) as store:
        found = rf.list_referrals(store, status=status)
        for referral in found:
            click.echo(describe(referral))
        click.echo(f"{plural(len(found), 'referral')}.")


@referral_group.command("outcome")
@click.argument("code")
@click.argument("outcome", metavar="OUTCOME", type=click.Choice(rf.OUTCOMES))
@db_options
@click.option("--practitioner", "practitioner_id", help="The practitioner stamping it (default: the one referred to).")
def outcome_command(code: str, outcome: str, db: DbOptions, practitioner_id: str | None) -> None:
    """Stamp an OUTCOME on the referral with CODE (instead of a star rating): attended_3_plus,
    goal_met, referred_on, no_show or declined."""
    with opened(db) as store:
        referral = rf.resolve(store, code)
        rf.stamp_outcome(store, referral.id, outcome, practitioner_id=practitioner_id)
        click.echo(f"{referral.display_code}: {outcome} recorded.")


@referral_group.command("stats")
@db_options
def stats_command(db: DbOptions) -> None:
    """Per practitioner: referrals, outcome mix and re-referral rate (small counts suppressed)."""
    with opened(db) as store:
        report = practitioner_report(store)
    names = [o.replace("_", " ") for o in rf.OUTCOMES]
    click.echo(f"{'practitioner':<24}{'referrals':>10}  " + "".join(f"{n:>16}" for n in names) + f"{'re-referral':>13}")
    for row in report.rows:
        cells = "".join(f"{row.outcomes[o]:>16}" for o in rf.OUTCOMES)
        click.echo(f"{row.name[:23]:<24}{row.referrals:>10}  {cells}{row.re_referral_rate:>13}")
    click.echo(
        f"Counts from 1 to {report.threshold - 1} show as <{report.threshold}; * hides a count that would reveal one."
    )


@referral_group.group("introducer")
def introducer_group() -> None:
    """Trusted community members who bring people to the clinic."""


@introducer_group.command("add")
@click.argument("name")
@db_options
@click.option("--group", "group_name", default="", help="The community group they belong to.")
def introducer_add(name: str, db: DbOptions, group_name: str) -> None:
    """Add an introducer called NAME."""
    with opened(db) as store:
        introducer_id = rf.add_introducer(store, name, group_name)
        click.echo(f"Added introducer {name} ({introducer_id}).")


@introducer_group.command("list")
@db_options
def introducer_list(db: DbOptions) -> None:
    """List introducers with their credit balances."""
    with opened(db) as store:
        balances = rf.credit_balances(store)
    if not balances:
        click.echo("No introducers yet: add one with `fieldkit referral introducer add NAME --db ...`.")
    for who, balance in balances:
        group = f" ({who.group_name})" if who.group_name else ""
        click.echo(f"{who.name}{group}: {plural(balance, 'credit')}  id {who.id}")


@referral_group.command("credits")
@db_options
@click.option("--introducer", "introducer_id", help="Only this introducer's entries.")
def credits_command(db: DbOptions, introducer_id: str | None) -> None:
    """The credit ledger: each entry with its reason."""
    with opened(db) as store:
        names = {i.id: i.name for i in rf.introducers(store, include_inactive=True)}
        for entry in rf.credit_ledger(store, introducer_id):
            click.echo(f"{entry.at}  {names.get(entry.introducer_id, entry.introducer_id)}  {entry.points:+d}  {entry.reason}")


@click.command("referral-cards")
@db_options
@out_option
@click.option("--blank", type=int, metavar="N", help="N blank cards with fresh signed codes (linked when a referral is issued).")
@click.option("--referral", "referral_codes", multiple=True, metavar="ID", help="The card of this referral (its id or short code); repeat for more.")
@click.option("--layout", type=click.Choice(LAYOUTS), default=SHEET, show_default=True,
              help="sheet: ten 85 x 55 mm cards a page with crop marks; card: one card a page (a card printer); "
              "label: one card a 62 mm label.")
@click.option("--page-size", type=click.Choice(["A4", "Letter"]), help="Sheet size (default: the event's).")
@printer_option
def print_referral_cards(
    db: DbOptions, out: Path, blank: int | None, referral_codes: tuple[str, ...], layout: str, page_size: str | None,
    printer: str | None,
) -> None:
    """Write referral cards as a PDF: 85 x 55 mm, ten to a sheet with crop marks, one a page, or labels."""
    try:
        check_request(blank, referral_codes)
    except rf.ReferralRefused as refused:
        raise click.ClickException(refused.message) from None
    with opened(db) as store, contextlib.ExitStack() as stack:
        template = load_event(store).template
        bars: list = []
        done = [0]

        def progress(count: int, total: int) -> None:
            # The bar appears once cards are drawn, so a refusal before that stays one line.
            if not bars:
                bars.append(stack.enter_context(click.progressbar(length=total, label="Cards", file=sys.stderr)))
            bars[0].update(count - done[0])
            done[0] = count

        count = write_file(
            lambda: print_cards(
                store, out, blank=blank, referrals=referral_codes, layout=layout, page_size=page_size, progress=progress
            ),
            out,
        )
    click.echo(f"{plural(count, 'referral label' if layout == LABEL else 'referral card')} written.")
    deliver(out, printer, template, title="Field Kit referral cards")
