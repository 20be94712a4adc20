"""Mutual TLS 1.3 between laptops of one event: the server no peer can stop, and `sync_with`.

Both sides present a certificate signed by the event CA and require the other's
(CERT_REQUIRED; no host names on a pop-up network, so identity is the device id in
the certificate; sync/tls.py). A laptop on the event CA's revocation list is refused in
the handshake; right after it, before reading a byte of the peer's, each side also checks
the peer's certificate against the event and the roster's revocations (which covers
revocations that carry no list). The server runs sessions in threads, at most MAX_SESSIONS at once
(MAX_SESSIONS_PER_LAPTOP from one laptop); each has a handshake deadline and a
whole-session deadline, and whatever goes wrong in one is one log line.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from fieldkit.event.ca import identity_of
from fieldkit.store import Store
from sync.bounded import BoundedSocket, drain
from sync.frames import Channel, encode
from sync.protocol import (
    CertificateRevoked,
    Peer,
    PeerBusy,
    ProtocolError,
    Session,
    SyncRefused,
    SyncSummary,
    device_name,
)
from sync.tls import (
    SyncFailed,
    handshake_failed,
    revoked_here,
    tls_context,
    tls_reason,
)

log = logging.getLogger("fieldkit.sync")
IDLE_SECONDS = 30.0  # a peer silent this long between or within frames is dropped
CONNECT_SECONDS = 10.0
# `sync with` waits this long for the handshake: a busy server leaves new connections
# waiting in its queue until a place frees up (at most its handshake deadline).
CLIENT_HANDSHAKE_SECONDS = 30.0
BUSY_WAITS = (1.0, 2.0, 4.0, 4.0, 4.0)  # `sync with` tries again after these when turned away


def revoked_devices(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT device_id FROM device_revocations")}


def admit(store: Store, sock: ssl.SSLSocket) -> Peer:
    """The verified peer, or SyncRefused if its certificate is not for this event or revoked.

    Called right after the handshake, before anything the peer sent is read.
    """
    der = sock.getpeercert(binary_form=True)
    if not der:
        raise SyncRefused("The other laptop presented no certificate: enroll it with `fieldkit device enroll`.")
    identity = identity_of(der)
    if identity.event_id != store.event_id or not identity.device_id:
        raise SyncRefused("The other laptop's certificate is for another event: only laptops of one event sync.")
    if identity.device_id in revoked_devices(store):
        raise SyncRefused(
            f"{device_name(store, identity.device_id)} was revoked by the coordinator: "
            "it can no longer sync with this event."
        )
    return Peer(identity.device_id, identity.role)


def _session(
    store: Store,
    sock,
    *,
    initiator: bool,
    peer: Peer | None,
    refusal: SyncRefused | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_start: Callable[[Peer, dict[str, int], dict[str, int]], None] | None = None,
    idle_seconds: float = IDLE_SECONDS,
    **kwargs,
) -> SyncSummary:
    """One protocol session on a verified connection; the caller closes the socket."""
    channel = Channel(sock, timeout=idle_seconds)
    session = Session(
        store, channel, initiator=initiator, peer=peer, refusal=refusal,
        revoked=revoked_devices(store).__contains__, **kwargs,
    )
    if on_plan is not None:
        session.on_plan = on_plan
    if on_start is not None:
        session.on_start = on_start
    return session.run()


@dataclass(frozen=True)
class ServerLimits:
    """How much one server takes on; none of it depends on anything a peer sends."""

    handshake_seconds: float = 5.0
    session_seconds: float = 120.0
    idle_seconds: float = IDLE_SECONDS
    sessions: int = 16
    sessions_per_laptop: int = 2
    # Connections in their handshake or a session; beyond it new ones wait in the queue.
    connections: int = 64
    turn_away_seconds: float = 2.0  # how long a busy or refusal frame waits to be read


class SyncServer:
    """Serves sync sessions in threads, a bounded number at once; a peer ends only its own session."""

    def __init__(self, store: Store, host: str = "127.0.0.1", port: int = 0, limits: ServerLimits = ServerLimits()):
        self.store = store
        self.limits = limits
        tls_context(store, ssl.PROTOCOL_TLS_SERVER)  # not enrolled: say so now, not at the first connection
        self.listener = socket.create_server((host, port))
        self.address = self.listener.getsockname()[:2]
        self.stopping = threading.Event()
        self.paused = threading.Event()  # while set, every session is turned away as busy
        self.sessions = 0  # connections accepted
        # Sessions share the store's one connection: one works on it at a time (sync/bounded.py).
        self.store_lock = threading.Lock()
        self._places = threading.BoundedSemaphore(limits.connections)
        self._counts = threading.Lock()
        self._running: Counter[str] = Counter()
        self._threads: set[threading.Thread] = set()

    def serve(
        self,
        *,
        max_sessions: int | None = None,
        on_session: Callable[[SyncSummary], None] = lambda summary: None,
    ) -> None:
        """Accept connections until close(), or until `max_sessions` were accepted and have ended."""
        self.listener.settimeout(0.5)
        while not self.stopping.is_set() and (max_sessions is None or self.sessions < max_sessions):
            try:
                self._accept_one(on_session)
            except Exception as exc:  # the accept loop never dies; one line says why it paused
                log.error("sync server: %s while accepting (%s); it goes on", type(exc).__name__, exc)
                time.sleep(0.1)
        if max_sessions is not None:
            self.wait_idle(self.limits.handshake_seconds + self.limits.session_seconds + 10)

    def _accept_one(self, on_session: Callable[[SyncSummary], None]) -> None:
        if not self._places.acquire(timeout=0.5):
            return
        try:
            conn, address = self.listener.accept()
        except OSError as exc:
            self._places.release()
            if isinstance(exc, socket.timeout) or self.stopping.is_set():
                return
            raise  # e.g. out of file descriptors: logged, and accepting goes on
        self.sessions += 1
        thread = threading.Thread(target=self._connection, args=(conn, address[0], on_session), daemon=True)
        with self._counts:
            self._threads.add(thread)
        try:
            thread.start()
        except BaseException:
            with self._counts:
                self._threads.discard(thread)
            conn.close()
            self._places.release()
            raise

    def _connection(self, conn: socket.socket, host: str, on_session: Callable[[SyncSummary], None]) -> None:
        try:
            summary = self._handle(conn, host)
            if summary is not None:
                on_session(summary)
        except Exception as exc:  # whatever a peer makes go wrong: one line, and the server goes on
            log.error("sync from %s ended by an unexpected %s (%s); the server goes on",
                      host, type(exc).__name__, str(exc)[:200])
        finally:
            conn.close()
            self._places.release()
            with self._counts:
                self._threads.discard(threading.current_thread())

    def _handle(self, conn: socket.socket, host: str) -> SyncSummary | None:
        conn.settimeout(self.limits.handshake_seconds)  # ssl bounds the whole handshake by it
        sock = None
        try:
            try:
                with self.store_lock:  # the newest revocation list, for this handshake
                    context = tls_context(self.store, ssl.PROTOCOL_TLS_SERVER)
                sock = context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
                sock.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                reason = (f"no handshake within {self.limits.handshake_seconds:g} s"
                          if isinstance(exc, socket.timeout) else tls_reason(exc))
                log.warning("sync from %s refused during the TLS handshake: %s", host, reason)
                if "certificate revoked" in reason and sock is not None:
                    # Read (unparsed) until it hangs up, so the alert reaches it rather than a reset.
                    with socket.fromfd(sock.fileno(), sock.family, sock.type) as raw:
                        drain(raw, seconds=self.limits.turn_away_seconds)
                return None
            return self._verified(sock, host)
        finally:
            if sock is not None:
                sock.close()  # after the line is logged: a peer that sees the close can read the log

    def _verified(self, sock: ssl.SSLSocket, host: str) -> SyncSummary | None:
        try:
            with self.store_lock:
                peer = admit(self.store, sock)
        except SyncRefused as exc:
            log.warning("sync from %s refused: %s", host, exc)
            self._turn_away(sock, {"type": "refuse", "reason": str(exc)})
            return None
        running = self._take_place(peer.device_id)
        if running is not None:
            log.warning("sync from %s turned away: busy with %d sessions (at most %d, %d per laptop)",
                        host, running, self.limits.sessions, self.limits.sessions_per_laptop)
            self._turn_away(sock, {"type": "busy"})
            return None
        bounded = BoundedSocket(
            sock, seconds=self.limits.session_seconds, idle=self.limits.idle_seconds, store_lock=self.store_lock
        )
        try:
            with self.store_lock:
                return _session(
                    self.store, bounded, initiator=False, peer=peer, idle_seconds=self.limits.idle_seconds
                )
        except SyncRefused as exc:
            log.warning("sync from %s refused: %s", host, exc)
        except ProtocolError as exc:
            log.warning("sync from %s closed: %s", host, exc)
        finally:
            with self._counts:
                self._running[peer.device_id] -= 1
                if not self._running[peer.device_id]:
                    del self._running[peer.device_id]
        return None

    def _take_place(self, device_id: str) -> int | None:
        """None if a session of `device_id` may start now (and counts it); else how many run."""
        with self._counts:
            running = sum(self._running.values())
            if self.paused.is_set() or running >= self.limits.sessions or (
                self._running[device_id] >= self.limits.sessions_per_laptop
            ):
                return running
            self._running[device_id] += 1
            return None

    def _turn_away(self, sock: ssl.SSLSocket, message: dict) -> None:
        """Send one frame, then read (unparsed) until the peer hangs up, so it reads the frame."""
        try:
            sock.settimeout(self.limits.turn_away_seconds)
            sock.sendall(encode(message))
        except OSError:
            return
        drain(sock, seconds=self.limits.turn_away_seconds)

    def wait_idle(self, timeout: float) -> bool:
        """Wait (at most `timeout` s) until no connection is being served; True if none is."""
        deadline = time.monotonic() + timeout
        while True:
            with self._counts:
                threads = list(self._threads)
            if not threads:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            threads[0].join(remaining)

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()


def _connect(host: str, port: int) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=CONNECT_SECONDS)
    except socket.timeout:
        raise SyncFailed(
            f"The laptop at {host}:{port} did not answer within {CONNECT_SECONDS:g} s: it may be busy or off "
            "the network; try again in a minute, and check the address if it keeps happening."
        ) from None
    except OSError:
        raise SyncFailed(
            f"Could not reach {host}:{port}: check the address, and that `fieldkit sync serve` runs there."
        ) from None


def _sync_once(store: Store, host: str, port: int, on_tls: Callable[[], None], **kwargs) -> SyncSummary:
    context = tls_context(store, ssl.PROTOCOL_TLS_CLIENT)
    raw = _connect(host, port)
    raw.settimeout(CLIENT_HANDSHAKE_SECONDS)
    try:
        sock = context.wrap_socket(raw)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        log.info("TLS handshake with %s:%s failed: %s", host, port, tls_reason(exc))
        raise handshake_failed(host, port, exc, CLIENT_HANDSHAKE_SECONDS) from None
    on_tls()  # its certificate is from this event's CA and not revoked: a Field Kit laptop of the event
    try:
        peer, refusal = None, None
        try:
            peer = admit(store, sock)
        except SyncRefused as exc:
            refusal = exc
        return _session(store, sock, initiator=True, peer=peer, refusal=refusal, **kwargs)
    except CertificateRevoked:  # TLS 1.3: the server checks this laptop's certificate after our handshake ends
        raise revoked_here(host, port) from None
    except ProtocolError as exc:
        raise SyncFailed(f"The sync stopped: {exc}. Run it again: it resumes where it stopped.") from None
    finally:
        sock.close()


def sync_with(
    store: Store,
    host: str,
    port: int,
    *,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_busy: Callable[[str], None] | None = None,
    busy_waits: tuple[float, ...] = BUSY_WAITS,
    on_start: Callable[[Peer, dict[str, int], dict[str, int]], None] | None = None,
    on_tls: Callable[[], None] = lambda: None,
) -> SyncSummary:
    """Sync with the laptop serving at host:port; SyncFailed or SyncRefused with a sentence.

    A server that turns this laptop away because it is busy is tried again after each of
    `busy_waits` seconds; `on_busy` gets the sentence saying so each time. `on_start` is
    told who the peer is (from its certificate) and both sides' watermarks once the
    handshake is done, before any change moves; `on_tls` once the TLS handshake verified
    the peer's certificate (it may still be busy or refuse this laptop).
    """
    waits = iter(busy_waits)
    while True:
        try:
            return _sync_once(store, host, port, on_tls, on_plan=on_plan, progress=progress, on_start=on_start)
        except PeerBusy:
            wait = next(waits, None)
            if wait is None:
                raise SyncFailed(
                    f"The laptop at {host}:{port} is busy with other laptops: try again in a minute."
                ) from None
            note = f"The laptop at {host}:{port} is busy; trying again in {wait:g} s."
            log.info(note)
            if on_busy is not None:
                on_busy(note)
            time.sleep(wait)
