"""The Field Kit app: wires the store, the modes of this laptop's role and the global bindings together."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen

from fieldkit.errors import Refused
from fieldkit.event.demo import demo_passphrase
from fieldkit.event.overview import event_overview
from fieldkit.roles import COORDINATOR, DESK, PRACTITIONER
from fieldkit.store import Store
from fieldkit.tui.commands import FieldKitCommands
from fieldkit.tui.scan_guard import ScanGuard
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.unlock import UnlockScreen

if TYPE_CHECKING:  # the engine is made by whoever opens the app: cold start does not import sync
    from sync.live import LiveSync


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


def _sync_screen() -> Screen:
    from fieldkit.tui.screens.sync import SyncScreen

    return SyncScreen()


def _dashboard_screen() -> Screen:
    from fieldkit.tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


SCREENS_OF_MODES: dict[str, Callable[[], Screen]] = {
    "home": HomeScreen,
    "checkin": _checkin_screen,
    "intake": _intake_screen,
    "referrals": _referrals_screen,
    "sync": _sync_screen,
    "dashboard": _dashboard_screen,
}
# A laptop shows only its role's modes (DESIGN.md "Terminal UI"): a desk never has intake,
# referrals or the dashboard's figures, not even as a key that says "not here". F5 is kept for sync.
MODES_OF_ROLES: dict[str, tuple[str, ...]] = {
    DESK: ("home", "checkin", "sync"),
    PRACTITIONER: ("home", "checkin", "intake", "referrals", "sync", "dashboard"),
    COORDINATOR: ("home", "checkin", "intake", "referrals", "sync", "dashboard"),
}
# The screen each role opens on: the task the laptop is there for.
OPENS_ON = {DESK: "checkin", PRACTITIONER: "intake", COORDINATOR: "home"}
UNLOCK = "unlock"
# Textual's own screen keys: moving focus and copying are keys, not things to do at a clinic.
_NOT_COMMANDS = {"app.focus_next", "app.focus_previous", "screen.copy_text"}


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
    """One mode per task; function keys switch modes so a scanner's typing never does.

    Give it an open `store`, or the `database` path: the app then asks for the passphrase
    first (three tries) and opens the store itself."""

    # Absolute, so subclasses defined elsewhere (benchmarks, tests) find it too.
    CSS_PATH = [Path(__file__).with_name("app.tcss")] + [
        Path(__file__).parent / "screens" / name for name in ("checkin.tcss", "intake.tcss")
    ]
    TITLE = "Field Kit"
    # The app's own actions first in the command palette, no text-editing commands.
    COMMANDS = {FieldKitCommands}
    BINDINGS = [
        Binding("f1", "switch_mode('home')", "Home", priority=True),
        Binding("f2", "switch_mode('checkin')", "Check-in", priority=True),
        Binding("f3", "switch_mode('intake')", "Intake", priority=True),
        # Not in the footer: the intake screen's footer already fills 80 columns.
        Binding("f4", "switch_mode('referrals')", "Referrals", priority=True, show=False),
        # Every role has it (a desk too); the header says how sync stands, so no footer room is taken.
        Binding("f5", "switch_mode('sync')", "Sync", priority=True, show=False),
        Binding("f6", "switch_mode('dashboard')", "Dashboard", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        store: Store | None = None,
        *,
        database: Path | None = None,
        live_sync: LiveSync | None = None,
        make_sync: Callable[[Callable[[], Store]], LiveSync] | None = None,
        reopen: Callable[[], Store] | None = None,
    ):
        if store is None and database is None:
            raise ValueError("FieldKitApp needs an open store or a database path to unlock.")
        if store is not None:
            self.DEFAULT_MODE = OPENS_ON.get(store.role, "home")
        else:
            self.DEFAULT_MODE = UNLOCK
        super().__init__()
        self.store = store
        # Continuous sync, started and stopped with the app (None: `fieldkit app --offline`): given
        # made, or made by `make_sync` from a function that opens the database again (`reopen`; the
        # unlock screen makes one once the passphrase is known).
        self.live_sync = live_sync
        self.make_sync = make_sync
        self.reopen = reopen
        self.scan_guard = ScanGuard(self, self._let_through)
        if store is None:
            self.add_mode(UNLOCK, partial(UnlockScreen, Path(database)))
        else:
            self._add_modes_of(store.role)

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes this laptop shows (none until the database is unlocked)."""
        return MODES_OF_ROLES.get(self.store.role, ("home",)) if self.store is not None else ()

    def _add_modes_of(self, role: str) -> None:
        for mode in MODES_OF_ROLES.get(role, ("home",)):
            self.add_mode(mode, SCREENS_OF_MODES[mode])

    def on_mount(self) -> None:
        if self.store is not None:
            self._show_event()

    async def on_event(self, event: events.Event) -> None:
        # A scanner's keys where focus is not a scan box are taken whole (tui/scan_guard.py).
        if isinstance(event, events.Key) and not event.is_forwarded and await self.scan_guard.take(event):
            return
        await super().on_event(event)

    async def action_switch_mode(self, mode: str) -> None:
        if isinstance(self.screen, CommandPalette):  # an F key over the palette: it closes, not stays
            self.screen.dismiss()  # behind the next mode (where the next Ctrl+P would fail)
        await super().action_switch_mode(mode)

    async def _let_through(self, keys: list[events.Key]) -> None:
        for key in keys:
            await super().on_event(key)

    def _show_event(self) -> None:
        overview = event_overview(self.store)
        self.title = overview.name
        self.laptop = f"{overview.device_name} ({overview.role})"
        self.sub_title = self.laptop
        if passphrase := demo_passphrase(self.store):
            self.notify(f"This is the demo event: its passphrase is {passphrase}.", title="Demo", timeout=20)
        if self.live_sync is not None:
            self._start_sync()
        elif self.make_sync is not None and self.reopen is not None:
            # Once the first screen is drawn: sync's imports (mDNS, TLS, pairing) take a tenth of a second.
            self.call_after_refresh(self._start_sync)

    def _start_sync(self) -> None:
        if not self.is_running:  # quit before the first screen was drawn
            return
        if self.live_sync is None:
            self.live_sync = self.make_sync(self.reopen)
        self.live_sync.start()  # returns at once: its threads open their own connections
        self.show_standing()
        self.set_interval(1.0, self.show_standing)

    def show_standing(self) -> None:
        """The header says how this laptop stands with the others (the engine's cached status: cheap);
        this laptop's name goes first when the line has room for it (about 16 columns are the header's own)."""
        if self.live_sync is not None:
            said = self.live_sync.status().sentence(time.time())
            named = f"{self.laptop} \u00b7 {said}"
            fits = len(self.title) + 3 + len(named) <= self.size.width - 16
            self.sub_title = named if fits else said

    @on(UnlockScreen.Unlocked)
    async def _unlocked(self, message: UnlockScreen.Unlocked) -> None:
        self.store, self.reopen = message.store, message.opener
        self._add_modes_of(self.store.role)
        self._show_event()
        await self.switch_mode(OPENS_ON.get(self.store.role, "home"))
        await self.remove_mode(UNLOCK)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "switch_mode" and parameters:
            # Only this laptop's modes, and not the one already on screen.
            return parameters[0] in self.modes and parameters[0] != self.current_mode
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """What the command palette offers: every action of the app and of the screen that
        applies now (footer or not), then Textual's own (theme, keys, screenshot).

        A focused text box's bindings (cursor moves, cut, paste) are left out: they are
        keys of the box, not things to do at a clinic."""
        titles = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not isinstance(active.node, (App, Screen)) or binding.action in _NOT_COMMANDS:
                continue
            # The footer's word, or the whole phrase where the footer has room only for a word.
            title = binding.tooltip or binding.description
            if not active.enabled or not title or title in titles:
                continue
            titles.add(title)
            keys = self.get_key_display(binding) or key
            yield SystemCommand(title, f"Key: {keys}", partial(self.run_action, binding.action, active.node))
        for command in super().get_system_commands(screen):
            if command.title not in titles:
                yield command

    def report_failure(self, error: BaseException | None) -> None:
        """Every screen's worker failures end here: a sentence on screen, and the app keeps running."""
        self.notify(failure_sentence(error), title="Not done", severity="error", timeout=12)

    def on_unmount(self) -> None:
        if self.live_sync is not None:
            self.live_sync.stop()
        if self.store is not None:
            self.store.close()

    # Pushed screens other screens open for a person (e.g. check-in's "consent" key).
    def action_open_consent(self, person_id: str) -> None:
        """Record consent for `person_id` (the consent screen)."""
        from fieldkit.tui.screens.consent import ConsentScreen

        self.push_screen(ConsentScreen(person_id))

    def action_open_person(self, person_id: str) -> None:
        """A person's page: consent, check-in, and what the role may see of timers and referrals."""
        from fieldkit.tui.screens.person import PersonScreen

        self.push_screen(PersonScreen(person_id))

    async def action_refer_person(self, person_id: str | None) -> None:
        """Open the referrals screen to issue a referral for `person_id` (e.g. from intake;
        None: an anonymous referral)."""
        await self.switch_mode("referrals")
        self.screen.refer(person_id)
