"""The Field Kit app: wires the store, the modes and the global bindings together."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from fieldkit.errors import Refused
from fieldkit.event.overview import event_overview
from fieldkit.roles import DESK
from fieldkit.store import Store
from fieldkit.tui.screens.home import HomeScreen


# Mode screens are imported when first opened, so cold start pays only for the first screen.
def _checkin_screen() -> Screen:
    from fieldkit.tui.screens.checkin import CheckinScreen

    return CheckinScreen()


def _intake_screen() -> Screen:
    from fieldkit.tui.screens.intake import IntakeScreen

    return IntakeScreen()


def _referrals_screen() -> Screen:
    from fieldkit.tui.screens.referrals import ReferralsScreen

    return ReferralsScreen()


def _dashboard_screen() -> Screen:
    from fieldkit.tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


def failure_sentence(error: BaseException | None) -> str:
    """What a person reads when work in the background failed."""
    if isinstance(error, Refused):
        return error.message
    what = f"{type(error).__name__}: {error}" if error is not None else "an unknown error"
    return (
        f"That did not finish ({what}). Nothing was half-done; try again, and if it keeps "
        "happening run `fieldkit check --db` on this laptop."
    )


class FieldKitApp(App):
    """One mode per task; function keys switch modes so a scanner's typing never does."""

    # Absolute, so subclasses defined elsewhere (benchmarks, tests) find it too.
    CSS_PATH = [Path(__file__).with_name("app.tcss")] + [
        Path(__file__).parent / "screens" / name for name in ("checkin.tcss", "intake.tcss")
    ]
    TITLE = "Field Kit"
    MODES = {
        "home": HomeScreen, "checkin": _checkin_screen, "intake": _intake_screen, "referrals": _referrals_screen,
        "dashboard": _dashboard_screen,
    }
    DEFAULT_MODE = "home"
    BINDINGS = [
        Binding("f1", "switch_mode('home')", "Home", priority=True),
        Binding("f2", "switch_mode('checkin')", "Check-in", priority=True),
        Binding("f3", "switch_mode('intake')", "Intake", priority=True),
        # Not in the footer: the intake screen's footer already fills 80 columns.
        Binding("f4", "switch_mode('referrals')", "Referrals", priority=True, show=False),
        Binding("f6", "switch_mode('dashboard')", "Dashboard", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, store: Store):
        # A laptop set up as a check-in desk opens straight on the check-in screen.
        if store.role == DESK:
            self.DEFAULT_MODE = "checkin"
        super().__init__()
        self.store = store

    def on_mount(self) -> None:
        overview = event_overview(self.store)
        self.title = overview.name
        self.sub_title = f"{overview.device_name} ({overview.role})"

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # The footer leaves out the key of the mode already on screen.
        if action == "switch_mode" and parameters and parameters[0] == self.current_mode:
            return False
        # A check-in desk never sees intake or referral figures.
        if action == "switch_mode" and parameters and parameters[0] == "dashboard" and self.store.role == DESK:
            return False
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette offers every binding that applies now, footer or not."""
        titles = set()
        for command in super().get_system_commands(screen):
            titles.add(command.title)
            yield command
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or not binding.description or binding.description in titles:
                continue
            titles.add(binding.description)
            keys = self.get_key_display(binding) or key
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"Key: {keys}",
                partial(self.run_action, binding.action, active.node),
            )

    def report_failure(self, error: BaseException | None) -> None:
        """Every screen's worker failures end here: a sentence on screen, and the app keeps running."""
        self.notify(failure_sentence(error), title="Not done", severity="error", timeout=12)

    def on_unmount(self) -> None:
        self.store.close()

    # Pushed screens other screens open for a person (e.g. check-in's "consent" key).
    def action_open_consent(self, person_id: str) -> None:
        """Record consent for `person_id` (the consent screen)."""
        from fieldkit.tui.screens.consent import ConsentScreen

        self.push_screen(ConsentScreen(person_id))

    def action_open_person(self, person_id: str) -> None:
        """A person's page: consent status and withdrawal."""
        from fieldkit.tui.screens.person import PersonScreen

        self.push_screen(PersonScreen(person_id))

    async def action_refer_person(self, person_id: str | None) -> None:
        """Open the referrals screen to issue a referral for `person_id` (e.g. from intake;
        None: an anonymous referral)."""
        await self.switch_mode("referrals")
        self.screen.refer(person_id)
