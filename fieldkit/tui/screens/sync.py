"""The sync screen (F5): this laptop and each other one, what waits each way, pause; on a coordinator, pair and revoke."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static
from textual.worker import Worker, WorkerState

from fieldkit.errors import Refused
from fieldkit.roles import COORDINATOR, ROLES
from fieldkit.tui.screens.base import FieldKitScreen
from fieldkit.tui.widgets.choice_dialog import Choice, ChoiceDialog, Chosen
from fieldkit.tui.widgets.confirm import ConfirmScreen
from printables.terminal_qr import terminal_qr
from sync.enroll import revoke_device
from sync.pairing_host import PairingHost, lifetime
from sync.standing import PeerStanding, Standing, standing_of

# The table's columns, as (key, label, index in PeerStanding.cells); the address is on the line below it.
NAME_WIDTH = 18
_COLUMNS = (
    ("laptop", "Laptop", 0), ("role", "Role", 1), ("state", "State", 7), ("seen", "Seen", 3),
    ("synced", "Synced", 4), ("send", "Send", 5), ("get", "Get", 6),
)


class SyncScreen(FieldKitScreen):
    """How this laptop stands with the others, refreshed every second from the continuous sync."""

    CSS_PATH = [Path(__file__).with_name("sync.tcss")]
    BINDINGS = [
        Binding("p", "pause_or_resume", "Pause or resume"),
        Binding("n", "pair", "Pair a laptop"),
        Binding("r", "revoke", "Revoke"),
        Binding("escape", "stop_pairing", "Stop pairing"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.standing: Standing | None = None
        self.pairing: threading.Event | None = None  # set to cancel the open pairing code

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sync"):
            yield Static(id="sync-laptop", markup=False)
            yield Static(id="sync-standing", markup=False)
            with Horizontal(id="sync-progress"):
                yield Static(id="sync-progress-label", markup=False)
                yield ProgressBar(id="sync-progress-bar", show_eta=False)
            yield DataTable(id="sync-peers", cursor_type="row", zebra_stripes=True)
            yield Static(id="sync-detail", markup=False)
            with Vertical(id="sync-pairing"):  # in place of the rest: 80x24 holds the code, the words and the QR
                yield Static(id="sync-pairing-code", markup=False)
                yield Static(id="sync-pairing-said", markup=False)
                yield Static(id="sync-pairing-qr", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, _ in _COLUMNS:
            table.add_column(label, key=key)
        self.query_one("#sync-progress").display = False
        self.query_one("#sync-pairing").display = False
        self.refresh_standing()
        if self.app.live_sync is not None:
            self.ticker = self.set_interval(1.0, lambda: self.unless_damaged(self.refresh_standing))
        table.focus()

    def on_screen_resume(self) -> None:
        self.refresh_standing()

    # -- what it shows ----------------------------------------------------------------------
    def refresh_standing(self) -> None:
        live = self.app.live_sync
        # Live: the engine's cached status (no database work here); off: read once from this laptop's store.
        self.standing = live.status() if live is not None else standing_of(self.app.store)
        standing, now = self.standing, time.time()
        serving = f" \u00b7 serving on {standing.serving}" if standing.serving else ""
        self.query_one("#sync-laptop", Static).update(
            f"This laptop: {self.app.store.device_name} ({self.app.store.role}) \u00b7 "
            f"CA fingerprint {standing.fingerprint or '...'}{serving}"
        )
        said = standing.sentence(now)
        if live is None:
            said += " \u00b7 sync is off here (`fieldkit app --offline`)"
        self.query_one("#sync-standing", Static).update(said[:1].upper() + said[1:])
        self._show_progress(standing)
        self._show_peers(standing.peers, now)
        self._show_detail()
        self.refresh_bindings()

    def _show_progress(self, standing: Standing) -> None:
        progress = standing.progress
        self.query_one("#sync-progress").display = progress is not None
        if progress is not None:
            what = "First sync" if progress.first else "Catching up"
            self.query_one("#sync-progress-label", Static).update(
                f"{what} with {progress.peer}: {progress.done:,} of {progress.total:,} "
            )
            self.query_one(ProgressBar).update(total=progress.total, progress=progress.done)

    def _show_peers(self, peers: tuple[PeerStanding, ...], now: float) -> None:
        table = self.query_one(DataTable)
        shown = {key.value for key in table.rows}
        for peer in peers:
            cells = peer.cells(now)
            values = [cells[index] for _, _, index in _COLUMNS]
            # A long name would push Send and Get off 80 columns; the line below the table has it whole.
            if len(values[0]) > NAME_WIDTH:
                values[0] = values[0][: NAME_WIDTH - 1] + "\u2026"
            if peer.device_id in shown:
                for (key, _, _), value in zip(_COLUMNS, values):
                    table.update_cell(peer.device_id, key, value)
            else:
                table.add_row(*values, key=peer.device_id)
        for gone in shown - {peer.device_id for peer in peers}:
            table.remove_row(gone)

    def selected(self) -> PeerStanding | None:
        table = self.query_one(DataTable)
        if self.standing is None or not table.row_count:
            return None
        row_key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        return next((p for p in self.standing.peers if p.device_id == row_key.value), None)

    def _show_detail(self) -> None:
        detail = self.query_one("#sync-detail", Static)
        if self.standing is not None and self.standing.problem:
            detail.update(self.standing.problem)
            return
        peer = self.selected()
        if peer is None:
            coordinator = self.app.store.role == COORDINATOR
            pairs = ": N pairs one." if self.app.live_sync is not None else (
                ": pairing needs live sync (start the app without --offline), or use `fieldkit device enroll`.")
            detail.update("No other laptop is enrolled yet" + (pairs if coordinator else "."))
            return
        where = f" at {peer.address}" if peer.address else ""
        problem = f" Last try: {peer.problem}" if peer.problem else ""
        detail.update(f"{peer.name}{where}: {peer.state(time.time())}.{problem}")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    # -- what it does -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        live, coordinator = self.app.live_sync, self.app.store.role == COORDINATOR
        if action == "pause_or_resume":
            return live is not None
        if action == "pair":
            return coordinator and live is not None and self.pairing is None
        if action == "revoke":
            return coordinator and self.pairing is None
        if action == "stop_pairing":
            return self.pairing is not None
        return True

    def action_pause_or_resume(self) -> None:
        live = self.app.live_sync
        if live is None:
            return
        if live.paused:
            live.resume()
        else:
            live.pause()
        self.notify("Sync resumed." if not live.paused else "Sync paused: nothing moves until you press P again.")

    def action_pair(self) -> None:
        choices = [Choice(role, f"A {role}'s laptop", needs_note=True) for role in ROLES]
        dialog = ChoiceDialog("Pair a laptop: what is it for?", choices, "Its name, e.g. desk-2")
        self.app.push_screen(dialog, self._paired_as)

    def _paired_as(self, chosen: Chosen | None) -> None:
        if chosen is not None:
            self.pairing = threading.Event()
            self._pair(chosen.note, chosen.id, self.pairing)

    @work(thread=True, exit_on_error=False, exclusive=True, group="pairing")
    def _pair(self, name: str, role: str, cancel: threading.Event) -> None:
        """Open a pairing code and wait for the new laptop (its own store connection: this is a thread)."""
        live = self.app.live_sync
        store = live.opener()
        try:
            host = PairingHost(
                store, name, role, interfaces=live.interfaces, sync_port=live.port,
                on_words=lambda words: self.app.call_from_thread(
                    self._pairing_said, f"Verification words: {words}. The new laptop shows the same."
                ),
            )
            with host:
                self.app.call_from_thread(self._show_code, host.code.text, lifetime(host.ttl))
                paired = host.wait(cancel)
        finally:
            store.close()
        if paired.delivered:
            said = f"Paired {paired.name} ({paired.role}). Its first sync follows by itself."
        else:
            said = (f"{paired.name} was enrolled but did not confirm it received its enrollment: if it did not "
                    f"join, revoke it (R) and pair again.")
        self.app.call_from_thread(self.notify, said, title="Pairing", timeout=15)
        live.nudge()

    def _show_pairing(self, shown: bool) -> None:
        for part in ("#sync-laptop", "#sync-standing", "#sync-peers", "#sync-detail"):
            self.query_one(part).display = not shown
        self.query_one("#sync-pairing").display = shown

    def _show_code(self, code: str, valid_for: str) -> None:
        self._show_pairing(True)
        self.query_one("#sync-pairing-code", Static).update(f"Pairing code: {code}")
        self.query_one("#sync-pairing-qr", Static).update(terminal_qr(code))
        self._pairing_said(
            f"On the new laptop: fieldkit init --pair CODE --db FILE, or scan it. Works once, for {valid_for}; "
            "Escape cancels."
        )
        self.refresh_bindings()

    def _pairing_said(self, text: str) -> None:
        self.query_one("#sync-pairing-said", Static).update(text)

    def action_stop_pairing(self) -> None:
        if self.pairing is not None:
            self.pairing.set()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)  # a failure is one sentence, from the app
        if event.worker.group == "pairing" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                               WorkerState.CANCELLED):
            self.pairing = None
            self._show_pairing(False)
            self.refresh_standing()

    def action_revoke(self) -> None:
        peer = self.selected()
        if peer is None or peer.revoked:
            self.notify("Choose an enrolled laptop in the table first (arrows).", severity="warning")
            return
        body = (f"{peer.name} ({peer.role}) will no longer sync with any laptop that holds the revocation, and "
                "what its key signs from now on is refused. This cannot be undone: pair it again to use it.")

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                entry = revoke_device(self.app.store, peer.name, "revoked on the sync screen")
            except Refused as refused:
                self.app.report_failure(refused)
                return
            self.notify(f"Revoked {entry.name}. The other laptops learn it at their next sync.", title="Revoked")
            if self.app.live_sync is not None:
                self.app.live_sync.nudge()
            self.refresh_standing()

        self.app.push_screen(ConfirmScreen(f"Revoke {peer.name}?", body, yes="Revoke", no="Back"), answered)
