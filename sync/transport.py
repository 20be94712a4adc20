"""Mutual TLS 1.3 between laptops of one event: `serve` and `sync_with`.

Both sides present a certificate signed by the event CA and require the other's
(CERT_REQUIRED; no host names on a pop-up network, so identity is the device id in
the certificate). After the handshake each side checks the peer's certificate
against the event and the roster's revocations before any data moves.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from fieldkit.errors import Refused
from fieldkit.event.ca import identity_of, require_identity
from fieldkit.store import Store
from sync.frames import Channel
from sync.protocol import Peer, ProtocolError, Session, SyncRefused, SyncSummary, device_name

log = logging.getLogger("fieldkit.sync")
SESSION_TIMEOUT = 30.0


class SyncFailed(Refused):
    """A sync could not start or finish; str() says what to do."""

    code = "sync_failed"


def _context(store: Store, side: int) -> ssl.SSLContext:
    return _context_for(*require_identity(store), side)


@functools.lru_cache(maxsize=8)
def _context_for(ca_pem: str, key_pem: str, cert_pem: str, side: int) -> ssl.SSLContext:
    # Cached: sealing the key for the file below costs more than a whole small sync.
    context = ssl.SSLContext(side)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=ca_pem)
    load_identity(context, key_pem, cert_pem)
    return context


def load_identity(context: ssl.SSLContext, key_pem: str, cert_pem: str) -> None:
    """Give `context` this laptop's key and certificate (also used by pairing's server side)."""
    # ssl loads keys only from files: the key goes to disk encrypted under a one-time
    # password, in a private directory that is removed at once.
    password = secrets.token_bytes(32)
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    sealed = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    with tempfile.TemporaryDirectory(prefix="fieldkit-tls-") as private:
        cert_file, key_file = Path(private) / "cert.pem", Path(private) / "key.pem"
        cert_file.write_text(cert_pem)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
        context.load_cert_chain(cert_file, key_file, password=password)


def revoked_devices(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT device_id FROM device_revocations")}


def admit(store: Store, sock: ssl.SSLSocket) -> Peer:
    """The verified peer, or SyncRefused if its certificate is not for this event or revoked."""
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
    store: Store, sock: ssl.SSLSocket, *, initiator: bool, on_plan: Callable[[int], None] | None = None, **kwargs
) -> SyncSummary:
    channel = Channel(sock, timeout=SESSION_TIMEOUT)
    try:
        peer, refusal = None, None
        try:
            peer = admit(store, sock)
        except SyncRefused as exc:
            refusal = exc
        session = Session(
            store, channel, initiator=initiator, peer=peer, refusal=refusal,
            revoked=revoked_devices(store).__contains__, **kwargs,
        )
        if on_plan is not None:
            session.on_plan = on_plan
        return session.run()
    finally:
        channel.close()


class SyncServer:
    """Accepts one sync session at a time; a bad peer ends its own session, never the server."""

    def __init__(self, store: Store, host: str = "127.0.0.1", port: int = 0):
        self.store = store
        self.context = _context(store, ssl.PROTOCOL_TLS_SERVER)
        self.listener = socket.create_server((host, port))
        self.address = self.listener.getsockname()[:2]
        self.stopping = threading.Event()
        self.sessions = 0

    def serve(
        self,
        *,
        max_sessions: int | None = None,
        on_session: Callable[[SyncSummary], None] = lambda summary: None,
    ) -> None:
        self.listener.settimeout(0.5)
        while not self.stopping.is_set() and (max_sessions is None or self.sessions < max_sessions):
            try:
                conn, address = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.sessions += 1
            summary = self.handle(conn, address)
            if summary is not None:
                on_session(summary)

    def handle(self, conn: socket.socket, address) -> SyncSummary | None:
        conn.settimeout(SESSION_TIMEOUT)
        try:
            sock = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.warning("sync from %s refused during the TLS handshake: %s", address[0], _tls_reason(exc))
            conn.close()
            return None
        try:
            summary = _session(self.store, sock, initiator=False)
        except SyncRefused as exc:
            log.warning("sync from %s refused: %s", address[0], exc)
            return None
        except ProtocolError as exc:
            log.warning("sync from %s closed: %s", address[0], exc)
            return None
        return summary

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()


def _tls_reason(exc: Exception) -> str:
    return getattr(exc, "reason", None) or exc.__class__.__name__


def _handshake_failed(host: str, port: int, exc: Exception) -> SyncFailed:
    """Why the TLS handshake with host:port failed, in a sentence that says what to check."""
    reason = _tls_reason(exc)
    if "ALERT" in reason:
        # The other side speaks TLS with this event's certificate but refused this laptop's.
        return SyncFailed(
            f"The laptop at {host}:{port} did not accept this laptop's certificate ({reason}): "
            "enroll both laptops from the same event."
        )
    # No TLS at all (it closed, or answered like a web server), or a certificate that is
    # not from this event's CA: either way not a laptop this one can sync with.
    return SyncFailed(
        f"{host}:{port} is not a Field Kit laptop serving sync (or it is another event's): check the address."
    )


def sync_with(
    store: Store,
    host: str,
    port: int,
    *,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> SyncSummary:
    """Sync with the laptop serving at host:port; SyncFailed or SyncRefused with a sentence."""
    context = _context(store, ssl.PROTOCOL_TLS_CLIENT)
    try:
        raw = socket.create_connection((host, port), timeout=SESSION_TIMEOUT)
    except OSError:
        raise SyncFailed(
            f"Could not reach {host}:{port}: check the address, and that `fieldkit sync serve` runs there."
        ) from None
    try:
        sock = context.wrap_socket(raw)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        log.info("TLS handshake with %s:%s failed: %s", host, port, _tls_reason(exc))
        raise _handshake_failed(host, port, exc) from None
    try:
        return _session(store, sock, initiator=True, on_plan=on_plan, progress=progress)
    except ProtocolError as exc:
        raise SyncFailed(f"The sync stopped: {exc}. Run it again: it resumes where it stopped.") from None
