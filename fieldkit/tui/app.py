"""The Field Kit app: wires the store, the modes and the global bindings together."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from fieldkit.overview import event_overview
from fieldkit.store import Store
from fieldkit.tui.home import HomeScreen


# Mode screens are imported when first opened, so cold start pays only for the first screen.
def _checkin_screen() -> Screen:
    from fieldkit.tui.checkin import CheckinScreen

    return CheckinScreen()


def _intake_screen() -> Screen:
    from fieldkit.tui.intake import IntakeScreen

    return IntakeScreen()


def _referrals_screen() -> Screen:
    from fieldkit.tui.referrals import ReferralsScreen

    return ReferralsScreen()


class FieldKitApp(App):
    """One mode per task; function keys switch modes so a scanner's typing never does."""

    # Absolute, so subclasses defined elsewhere (benchmarks, tests) find it too.
    CSS_PATH = [Path(__file__).with_name(name) for name in ("app.tcss", "checkin.tcss", "intake.tcss")]
    TITLE = "Field Kit"
    MODES = {"home": HomeScreen, "checkin": _checkin_screen, "intake": _intake_screen, "referrals": _referrals_screen}
    DEFAULT_MODE = "home"
    BINDINGS = [
        Binding("f1", "switch_mode('home')", "Home", priority=True),
        Binding("f2", "switch_mode('checkin')", "Check-in", priority=True),
        Binding("f3", "switch_mode('intake')", "Intake", priority=True),
        # Not in the footer: the intake screen's footer already fills 80 columns.
        Binding("f4", "switch_mode('referrals')", "Referrals", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, store: Store):
        # A laptop set up as a check-in desk opens straight on the check-in screen.
        if store.role == "desk":
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

    def on_unmount(self) -> None:
        self.store.close()

    # Pushed screens other screens open for a person (e.g. check-in's "consent" key).
    def action_open_consent(self, person_id: str) -> None:
        """Record consent for `person_id` (the consent screen)."""
        from fieldkit.tui.consent import ConsentScreen

        self.push_screen(ConsentScreen(person_id))

    def action_open_person(self, person_id: str) -> None:
        """A person's page: consent status and withdrawal."""
        from fieldkit.tui.person import PersonScreen

        self.push_screen(PersonScreen(person_id))

    async def action_refer_person(self, person_id: str | None) -> None:
        """Open the referrals screen to issue a referral for `person_id` (e.g. from intake;
        None: an anonymous referral)."""
        await self.switch_mode("referrals")
        self.screen.refer(person_id)
