"""The `fieldkit` command line: a thin layer over the domain functions the screens call.

Every command lives in the module of its area; this is the one place they are registered.
"""

from __future__ import annotations

import click

from fieldkit import __version__
from fieldkit.cli.check import check_command
from fieldkit.cli.checkin import checkin_command
from fieldkit.cli.consent import consent_forms_command, consent_group
from fieldkit.cli.device import device_group
from fieldkit.cli.directory import directory_group
from fieldkit.cli.event import app, demo, info, init
from fieldkit.cli.intake import intake as intake_group
from fieldkit.cli.metrics import export_group, import_outcomes_command, import_referrals_command, report_command
from fieldkit.cli.options import DB_PATH_KEY
from fieldkit.cli.passes import print_passes_command
from fieldkit.cli.people import import_group, people_group
from fieldkit.cli.printing import printers_command
from fieldkit.cli.referrals import print_referral_cards, referral_group
from fieldkit.cli.sync import sync_group
from fieldkit.errors import Refused
from fieldkit.store import DB_ERRORS
from fieldkit.store.faults import storage_fault


class FieldKitGroup(click.Group):
    """The top command: any refusal a command lets through is its one sentence and exit status 1,
    and so is a database that turns out damaged part-way through a command."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Refused as refused:
            raise click.ClickException(refused.message) from None
        except DB_ERRORS as exc:
            fault = storage_fault(exc, ctx.meta.get(DB_PATH_KEY))
            if fault is None:
                raise
            raise click.ClickException(fault.message) from None


@click.group(cls=FieldKitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fieldkit")
def main() -> None:
    """Field Kit: check-in, consent, intake, referrals and sync for pop-up clinics, offline."""


@click.group("print")
def print_group() -> None:
    """Make PDFs (passes, consent forms, cards) and print them through CUPS."""


for command in (print_passes_command, consent_forms_command, print_referral_cards, printers_command):
    print_group.add_command(command)

for command in (import_referrals_command, import_outcomes_command):
    import_group.add_command(command)

for command in (
    init, demo, app, info, check_command, import_group, people_group, checkin_command, consent_group, intake_group,
    referral_group, directory_group, print_group, device_group, sync_group, report_command, export_group,
):
    main.add_command(command)
