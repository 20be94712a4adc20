"""`fieldkit sync`: serve this laptop's data to peers, or sync with one."""

from __future__ import annotations

import errno
import logging
import socket

import click

from fieldkit.cli.options import DbOptions, db_options
from sync.protocol import SyncSummary
from sync.transport import SyncServer, sync_with

DEFAULT_PORT = 47800


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
            raise click.ClickException(cannot_listen(host, port, exc)) from None
        bound_host, bound_port = server.address
        click.echo(f"Serving sync for {store.device_name} on {bound_host}:{bound_port} (Ctrl+C to stop).")
        try:
            server.serve(max_sessions=1 if once else None, on_session=lambda s: click.echo(s.sentence()))
        except KeyboardInterrupt:
            pass
        finally:
            server.close()


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    """Why `sync serve` could not listen, and what to change."""
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} is already in use on this laptop: choose another --port, or stop the other `fieldkit sync serve`."
    if exc.errno == errno.EACCES:
        return f"This laptop does not allow listening on port {port}: choose a --port above 1023."
    # create_server re-raises a failed name lookup (gaierror, negative errno) as a plain OSError.
    if isinstance(exc, socket.gaierror) or (exc.errno or 0) < 0 or exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this laptop: give --host one of its own addresses, or 0.0.0.0 for all of them."
    return f"Cannot listen on {host}:{port} ({exc.strerror or exc}): choose another --host or --port."


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
