"""The `fieldkit` command line: a thin layer over the domain functions the screens call.

Every command lives in the module of its area; this is the one place they are registered.
"""

from __future__ import annotations

import importlib

import click

from fieldkit import __version__
from fieldkit.cli.options import DB_PATH_KEY
from fieldkit.errors import Refused
from fieldkit.store import DB_ERRORS
from fieldkit.store.faults import storage_fault


class LazyGroup(click.Group):
    """A group whose commands are imported when one of them is run (or help lists them), so
    `fieldkit app` does not first import the PDF, pairing and report code of every other
    command: half a second of each start, before anything else."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy  # command name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, name = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and args[0] not in self.lazy:
            for name in self.lazy:  # a mistyped name: click suggests ("Did you mean") from the commands held
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


class FieldKitGroup(LazyGroup):
    """The top command: any refusal a command lets through is its one sentence and exit status 1,
    and so is a database that turns out damaged part-way through a command, and a file or
    folder the system would not read or write."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for number, arg in enumerate(args, 1):
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:  # bytes the terminal sent that are not UTF-8 (never echoed)
                raise click.UsageError(
                    f"Word {number} of the command is not UTF-8 text (the terminal's encoding?): "
                    "type it again, or rename the file it names; nothing was done."
                ) from None
        return super().parse_args(ctx, args)

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
        except OSError as exc:
            if exc.strerror is None:
                raise
            where = f"{click.format_filename(exc.filename)}: " if exc.filename else ""
            raise click.ClickException(
                f"{where}{exc.strerror} (the system refused it). Check the path, that the folder exists "
                "and can be written, then run the command again."
            ) from None


@click.group("print", cls=LazyGroup, lazy={
    "passes": "fieldkit.cli.passes:print_passes_command",
    "consent-forms": "fieldkit.cli.consent:consent_forms_command",
    "referral-cards": "fieldkit.cli.referrals:print_referral_cards",
    "printers": "fieldkit.cli.printing:printers_command",
})
def print_group() -> None:
    """Make PDFs (passes, consent forms, cards) and print them through CUPS."""


@click.group("import", cls=LazyGroup, lazy={
    "registrations": "fieldkit.cli.people:import_registrations_command",
    "referrals": "fieldkit.cli.metrics:import_referrals_command",
    "outcomes": "fieldkit.cli.metrics:import_outcomes_command",
})
def import_group() -> None:
    """Import data from files."""


@click.group(cls=FieldKitGroup, context_settings={"help_option_names": ["-h", "--help"]}, lazy={
    "init": "fieldkit.cli.init:init",
    "demo": "fieldkit.cli.event:demo",
    "app": "fieldkit.cli.event:app",
    "info": "fieldkit.cli.event:info",
    "check": "fieldkit.cli.check:check_command",
    "people": "fieldkit.cli.people:people_group",
    "checkin": "fieldkit.cli.checkin:checkin_command",
    "consent": "fieldkit.cli.consent:consent_group",
    "intake": "fieldkit.cli.intake:intake",
    "referral": "fieldkit.cli.referrals:referral_group",
    "directory": "fieldkit.cli.directory:directory_group",
    "device": "fieldkit.cli.device:device_group",
    "sync": "fieldkit.cli.sync:sync_group",
    "report": "fieldkit.cli.metrics:report_command",
    "export": "fieldkit.cli.metrics:export_group",
})
@click.version_option(__version__, prog_name="fieldkit")
def main() -> None:
    """Field Kit: check-in, consent, intake, referrals and sync for pop-up clinics, offline."""


main.add_command(print_group)
main.add_command(import_group)
