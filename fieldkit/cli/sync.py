"""`fieldkit sync`: keep in step with the other laptops by itself, serve, sync with one, or say how it stands."""

from __future__ import annotations

import json
import logging
import signal
import time

import click

from fieldkit.cli.options import DbOptions, db_options, interface_option
from sync.live import DEFAULT_PORT, PULL_SECONDS, LiveSync, cannot_listen
from sync.protocol import SyncSummary
from sync.standing import COLUMNS, standing_of
from sync.transport import SyncServer, sync_with


@click.group("sync")
def sync_group() -> None:
    """Sync this event's data with the other laptops over mutual TLS."""


def _parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.ClickException(f"{address} is not HOST:PORT: give it like 192.168.1.20:{DEFAULT_PORT}.")
    return host.strip("[]"), int(port)


@sync_group.command("serve")
@db_options
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; 0.0.0.0 to accept other laptops on the network.")
@click.option("--once", is_flag=True, help="Stop after one sync session.")
def serve_command(db: DbOptions, port: int, host: str, once: bool) -> None:
    """Accept sync sessions from enrolled laptops until Ctrl+C, several at once."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with db.opened() as store:
        try:
            server = SyncServer(store, host, port)
        except OSError as exc:
            raise click.ClickException(cannot_listen(host, port, exc, "--host")) from None
        bound_host, bound_port = server.address
        click.echo(f"Serving sync for {store.device_name} on {bound_host}:{bound_port} (Ctrl+C to stop).")
        try:
            server.serve(max_sessions=1 if once else None, on_session=lambda s: click.echo(s.sentence()))
        except KeyboardInterrupt:
            pass
        finally:
            server.close()


class _Bar:
    """A progress bar that appears once the handshake says how much will move."""

    def __init__(self):
        self.bar = None

    def plan(self, total: int) -> None:
        if total:
            self.bar = click.progressbar(length=total, label="Syncing", file=click.get_text_stream("stderr"))
            self.bar.__enter__()

    def step(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@sync_group.command("with")
@click.argument("address", metavar="HOST:PORT")
@db_options
def with_command(address: str, db: DbOptions) -> None:
    """Sync with the laptop serving at HOST:PORT: both end up with what either had."""
    host, port = _parse_address(address)
    bar = _Bar()
    with db.opened() as store:
        try:
            summary: SyncSummary = sync_with(
                store, host, port, progress=bar.step, on_plan=bar.plan, on_busy=lambda note: click.echo(note, err=True)
            )
        finally:
            bar.close()
    click.echo(summary.sentence())


def _stop_on_sigterm() -> None:
    """`kill PID` stops `sync auto` as Ctrl+C does: withdrawn from the network, peers saved."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@sync_group.command("auto")
@db_options
@interface_option
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None,
    help=f"Port to serve on (default {DEFAULT_PORT}, or any free port if that one is taken; 0: any free port). "
    "The other laptops learn it by mDNS.",
)
@click.option(
    "--pull-every", "pull_every", type=click.FloatRange(min=0.5), default=PULL_SECONDS, show_default=True,
    metavar="SECONDS", help="Pull from each laptop this often; a change made here is pushed at once.",
)
def auto_command(db: DbOptions, interfaces: tuple[str, ...], port: int | None, pull_every: float) -> None:
    """Keep this laptop in step with every laptop of its event on the network, until Ctrl+C.

    It serves, finds the others by mDNS (no address to type), pushes each change made
    here at once and pulls every few seconds; a laptop that drops out is retried, waiting
    longer each time, and resumes where it stopped.
    """
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    store, opener = db.open_reopenable()
    store.close()
    engine = LiveSync(
        opener, interfaces=interfaces, port=port, pull_seconds=pull_every,
        on_note=lambda text: click.echo(f"{time.strftime('%H:%M:%S')} {text}"),
    )
    _stop_on_sigterm()
    try:
        engine.start()
        engine.wait_ready(120)
        if engine.problem:
            raise click.ClickException(engine.problem)
        while engine.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()
    click.echo("Stopped: this laptop syncs again when the app or `fieldkit sync auto` runs.")


@sync_group.command("status")
@db_options
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (laptop, standing, peers).")
def status_command(db: DbOptions, as_json: bool) -> None:
    """How this laptop stands with the others: each laptop's last sync and the changes waiting each way.

    Read from what `fieldkit sync auto` or the app last saved (every few seconds while they run).
    """
    with db.opened() as store:
        standing = standing_of(store)
    now = time.time()
    if as_json:
        click.echo(json.dumps(standing.as_json(now), indent=2, ensure_ascii=False))
        return
    click.echo(f"This laptop: {standing.name} ({standing.role}), event CA fingerprint {standing.fingerprint}")
    click.echo(f"Standing:    {standing.sentence(now)}")
    if not standing.peers:
        click.echo("No other laptop is enrolled yet: pair one with `fieldkit device pair`.")
        return
    rows = [COLUMNS] + [peer.cells(now) for peer in standing.peers]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        cells = (cell.rjust(w) if i in (5, 6) else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        click.echo("  ".join(cells).rstrip())
