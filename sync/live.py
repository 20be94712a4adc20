"""Continuous sync: serve, find this event's laptops by mDNS, and keep in step with each of them, in threads of its own.

`LiveSync` is plain Python (the app and `fieldkit sync auto` both run it). It serves
sessions (the concurrent `SyncServer`), advertises and browses with `Discovery`, and
runs one worker thread per laptop found: a sync at once when this laptop writes (its
newest change is looked at every WATCH_SECONDS with one index seek), a pull every
PULL_SECONDS as the backstop, and after a failure a wait that doubles up to a cap.
Sessions resume where they stopped (watermarks). Nothing here runs on the caller's
thread but `start`, `stop`, `pause`, `resume`, `nudge` and `status`, which never touch
the network or the database: each thread has its own store connection (the `opener`
opens another on the same file), so a check-in never waits on sync. Who a peer is
comes from its TLS certificate in the handshake, never from mDNS.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence

from fieldkit.errors import Refused
from fieldkit.event.ca import require_identity
from fieldkit.store import DB_ERRORS, Store
from fieldkit.store.changes import watermarks
from sync.discovery import Discovery, Sighting, choose_interfaces, store_event_tag
from sync.peer_sessions import PeerSessions
from sync.peers import load_peers, own_head, save_peers
from sync.standing import LIVE, PAUSED, STARTING, Standing, short_fingerprint, standing_of
from sync.transport import SyncFailed, SyncServer

DEFAULT_PORT = 47800
PULL_SECONDS = 3.0  # the backstop: every peer is pulled from this often
WATCH_SECONDS = 0.2  # how often this laptop's newest change is looked at
BACKOFF = (1.0, 30.0)  # the wait after a first failure, and the longest
SAVE_SECONDS = 5.0  # what is known of the peers is written at most this often
SET_ASIDE_SECONDS = 300.0  # an mDNS record where no Field Kit laptop answered is not tried for this long
log = logging.getLogger("fieldkit.sync")

Opener = Callable[[], Store]


class LiveSync:
    """This laptop kept in step with the others of its event, from `start()` until `stop()`."""

    def __init__(
        self,
        opener: Opener,
        *,
        interfaces: Sequence[str] = (),
        port: int | None = None,
        discover: bool = True,
        pull_seconds: float = PULL_SECONDS,
        watch_seconds: float = WATCH_SECONDS,
        backoff: tuple[float, float] = BACKOFF,
        on_note: Callable[[str], None] = lambda text: None,
        wall: Callable[[], float] = time.time,
        set_aside_seconds: float = SET_ASIDE_SECONDS,
    ):
        self.opener = opener
        self.interfaces = list(interfaces)
        self._port = port  # None: the usual port, or any free one if it is taken
        self._discover = discover
        self._watch = watch_seconds
        self._on_note = on_note
        self._aside = set_aside_seconds
        self._dirty = threading.Event()
        self.peers = PeerSessions(
            opener, pull_seconds=pull_seconds, backoff=backoff, wall=wall, note=self._note, changed=self._dirty.set,
            on_unreached=self._unreached,
        )
        self._lock = threading.Lock()
        self._standing: Standing | None = None
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._main: threading.Thread | None = None
        self._store: Store | None = None
        self._fingerprint = ""
        self.server: SyncServer | None = None
        self.discovery: Discovery | None = None
        self.problem = ""  # why continuous sync could not start, in a sentence

    # -- the caller's side: none of these waits on the network or the database ----------
    def start(self) -> LiveSync:
        """Begin in the background (opening the store, serving, advertising); returns at once."""
        self._main = threading.Thread(target=self._run, name="fieldkit-live", daemon=True)
        self._main.start()
        return self

    def wait_ready(self, timeout: float) -> bool:
        """True once serving and advertising, or once it failed to start (see `problem`)."""
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Withdraw from the network, end the threads, and save what is known of the peers."""
        self._stopping.set()
        if self._main is not None:
            self._main.join(timeout)

    @property
    def running(self) -> bool:
        """Started and not stopped (nor failed to start)."""
        return self._main is not None and self._main.is_alive()

    @property
    def port(self) -> int | None:
        return self.server.address[1] if self.server is not None else None

    @property
    def paused(self) -> bool:
        return self.peers.paused

    def pause(self) -> None:
        """No sessions either way until `resume()`: peers asking are told this laptop is busy."""
        if self.server is not None:
            self.server.paused.set()
        self.peers.set_paused(True)
        self._dirty.set()
        self._note("Sync paused.")

    def resume(self) -> None:
        """Sync again, with every peer at once."""
        if self.server is not None:
            self.server.paused.clear()
        self.peers.set_paused(False)
        self._dirty.set()
        self._note("Sync resumed.")

    def nudge(self) -> None:
        """This laptop wrote something: sync with every peer now (the engine also notices by itself)."""
        self.peers.nudge()

    def add_peer(self, host: str, port: int) -> None:
        """Keep in step with the laptop serving at host:port too (found some other way than mDNS)."""
        self.peers.sighted("added", Sighting(f"{host}:{port}", (host,), port))

    def status(self) -> Standing:
        """How this laptop stands now (kept up to date by the engine's thread: costs nothing here)."""
        with self._lock:
            standing = self._standing
        if standing is None:
            return Standing("", "", "", (), 0, 0, mode=STARTING, problem=self.problem)
        return standing

    # -- the engine's own thread ----------------------------------------------------------
    def _run(self) -> None:
        try:
            self._setup()
        except (Refused, OSError, *DB_ERRORS) as exc:
            self.problem = str(exc) if isinstance(exc, Refused) else (
                f"Continuous sync could not start ({type(exc).__name__}: {exc}): close other Field Kit programs "
                "on this database and start it again; this laptop keeps working on its own meanwhile."
            )
            self._note(self.problem)
            self._shutdown()
            self._ready.set()
            return
        self._ready.set()
        host, port = self.server.address
        self._note(f"Syncing automatically as {self._store.device_name} on {host}:{port}.")
        try:
            while not self._stopping.wait(self._watch):
                try:
                    self._tick()
                except DB_ERRORS as exc:  # the database busy for longer than its timeout: next tick
                    log.warning("continuous sync: %s while looking at the database; it goes on", exc)
        finally:
            self._shutdown()

    def _setup(self) -> None:
        self._store = self.opener()
        self._fingerprint = short_fingerprint(require_identity(self._store)[0])
        self.peers.records = load_peers(self._store)
        self._head = own_head(self._store)
        self._last_save = time.monotonic()
        self.server = self._serve()
        self.peers.spare(self.opener())  # the first session does not wait for a connection's key derivation
        if self._discover:
            self.discovery = Discovery(
                store_event_tag(self._store), port=self.server.address[1], interfaces=self.interfaces,
                on_change=self.peers.sighted,
            ).start()
        self._refresh()

    def _serve(self) -> SyncServer:
        present = choose_interfaces(self.interfaces) if len(self.interfaces) == 1 else []
        # One chosen address that is here now: serve there only; otherwise on all, as addresses come and go.
        host = present[0] if present else "0.0.0.0"
        store = self.opener()
        try:
            try:
                server = SyncServer(store, host, DEFAULT_PORT if self._port is None else self._port)
            except OSError as exc:
                if self._port is not None or exc.errno != errno.EADDRINUSE:
                    raise SyncFailed(cannot_listen(host, self._port or DEFAULT_PORT, exc, "--interface")) from None
                server = SyncServer(store, host, 0)  # the usual port is taken here: any will do, mDNS says which
        except BaseException:
            store.close()
            raise
        thread = threading.Thread(
            target=server.serve, kwargs={"on_session": self.peers.served}, name="fieldkit-live-serve", daemon=True
        )
        thread.start()
        return server

    def _tick(self) -> None:
        head = own_head(self._store)
        if head != self._head:
            self._head = head
            self.peers.nudge()
            self._dirty.set()
        self.peers.absorb_served(lambda: watermarks(self._store))
        if self._dirty.is_set():
            self._dirty.clear()
            self._refresh()
        if time.monotonic() - self._last_save >= SAVE_SECONDS:
            self._save()

    def _refresh(self) -> None:
        records, problems, syncing, progress = self.peers.snapshot()
        host, port = self.server.address
        standing = standing_of(
            self._store, mode=PAUSED if self.peers.paused else LIVE, records=records, fingerprint=self._fingerprint,
            problems=problems, syncing=syncing, serving=f"{host}:{port}", progress=progress, problem=self.problem,
        )
        with self._lock:
            self._standing = standing

    def _save(self) -> None:
        self._last_save = time.monotonic()
        records = self.peers.snapshot()[0]
        if records:
            save_peers(self._store, records)

    def _shutdown(self) -> None:
        if self.discovery is not None:
            self.discovery.close()  # the goodbye: the others stop knocking
        if self.server is not None:
            self.server.close()
            self.server.wait_idle(2.0)
        self.peers.stop(5.0)
        stores = [s for s in (self.server.store if self.server else None, self._store) if s is not None]
        if self._store is not None and not self.problem:
            try:
                self.peers.absorb_served(lambda: watermarks(self._store))
                self._save()
            except DB_ERRORS as exc:
                log.warning("continuous sync could not save what it knows of the peers: %s", exc)
        for store in stores:
            store.close()

    def _unreached(self, instance: str) -> None:
        """No Field Kit laptop answered at this mDNS record, again and again: free its slot for a while."""
        discovery = self.discovery
        if discovery is not None and discovery.set_aside(instance, self._aside):
            log.info("mDNS record %s set aside for %.0f s: no laptop of this event answered", instance, self._aside)

    def _note(self, text: str) -> None:
        log.info("%s", text)
        try:
            self._on_note(text)
        except Exception:  # a caller's printing must not stop sync
            log.exception("continuous sync could not report: %s", text)


def cannot_listen(host: str, port: int, exc: OSError, address_option: str = "--host") -> str:
    """Why a sync server could not listen on host:port, and what to change."""
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} is already in use on this laptop: choose another --port, or stop the other sync there."
    if exc.errno == errno.EACCES:
        return f"This laptop does not allow listening on port {port}: choose a --port above 1023."
    # create_server re-raises a failed name lookup (gaierror, negative errno) as a plain OSError.
    if isinstance(exc, socket.gaierror) or (exc.errno or 0) < 0 or exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this laptop: give {address_option} one of its own addresses."
    return f"Cannot listen on {host}:{port} ({exc.strerror or exc}): choose another {address_option} or --port."
