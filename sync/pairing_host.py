"""The coordinator's side of pairing: one open code, its listener and mDNS advertisement, and the enrollment.

A `PairingHost` holds one code for one laptop name and role. It listens (TLS, server
certificate only: the only unauthenticated connections the coordinator accepts, and only
while a pairing is open), advertises `_fieldkit-pair._tcp.local.` with the event id, and
runs the protocol in sync/pairing.py for each connection, a few at a time. The first
key confirmation decides: a right one enrolls the laptop (sync/enroll.py's
`enroll_device`, the same bundle a join file holds); a wrong one spends the code. Later
attempts are refused as used, attempts after the expiry as expired.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from spake2 import SPAKE2_B

from fieldkit.event.ca import require_identity
from fieldkit.store import Store
from sync.bounded import BoundedSocket
from sync.discovery import PAIRING_SERVICE_TYPE, Discovery, choose_interfaces, event_pin, event_tag
from sync.enroll import EnrollRefused, check_enrollable, enroll_device
from sync.frames import Channel, FrameError
from sync.pairing import (
    FRAME_TIMEOUT,
    ID_COORDINATOR,
    ID_LAPTOP,
    PAIRING_VERSION,
    PairingBroken,
    PairingKeys,
    b64,
    derive_keys,
    expect,
    field_bytes,
    password,
    transcript,
)
from sync.pairing_code import PairingCode, PairingRefused, new_code, refusal
from sync.protocol import SyncSummary
from sync.tls import load_identity
from sync.transport import SyncServer

PAIRING_TTL = 600.0
MAX_ATTEMPTS_AT_ONCE = 4
ATTEMPT_SECONDS = 60.0  # one attempt, from the TLS handshake to the enrollment's receipt
log = logging.getLogger("fieldkit.sync")


@dataclass(frozen=True)
class Paired:
    """A laptop enrolled by pairing; `delivered` is False if it vanished before confirming receipt."""

    device_id: str
    name: str
    role: str
    words: str
    address: str
    delivered: bool


class PairingHost:
    """One open pairing code on the coordinator's laptop, from `start()` until `close()`."""

    def __init__(
        self,
        store: Store,
        name: str,
        role: str,
        *,
        interfaces: Sequence[str] = (),
        ttl: float = PAIRING_TTL,
        clock: Callable[[], float] = time.monotonic,
        on_words: Callable[[str], None] = lambda words: None,
        sync_port: int | None = None,
        advertise: bool = True,
    ):
        self.store = store
        self.name = check_enrollable(store, name, role)
        self.role = role
        self.ttl = ttl
        self._clock = clock
        self._on_words = on_words
        self._sync_port = sync_port
        self._interfaces = list(interfaces)
        addresses = choose_interfaces(interfaces)
        if not addresses and interfaces:
            raise refusal("pairing_no_interface", addresses=", ".join(interfaces))
        if not addresses:
            raise refusal("pairing_no_network")
        self.hint = addresses[0]
        # One address chosen: listen there only; otherwise on all, as interfaces may come and go.
        self.bind = addresses[0] if len(interfaces) == 1 else "0.0.0.0"
        self._ca_pem, key_pem, cert_pem = require_identity(store)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.minimum_version = ssl.TLSVersion.TLSv1_3
        load_identity(self._context, key_pem, cert_pem)
        self._cert_der = ssl.PEM_cert_to_DER_cert(cert_pem)
        self._advertise = advertise
        self._lock = threading.Lock()
        self._state = "open"
        self._failure: PairingRefused | None = None
        self._paired: Paired | None = None
        self._done = threading.Event()
        self._first_sync = threading.Event()
        self._first_summary: SyncSummary | None = None
        self._attempts = threading.BoundedSemaphore(MAX_ATTEMPTS_AT_ONCE)
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._discovery: Discovery | None = None
        self._sync_server: SyncServer | None = None
        self.code: PairingCode | None = None
        self.expires_at = 0.0

    def start(self) -> PairingHost:
        self._listener = socket.create_server((self.bind, 0))
        port = self._listener.getsockname()[1]
        pin = event_pin(self._ca_pem)
        self.code = new_code(pin, self.hint, port)
        self.expires_at = self._clock() + self.ttl
        self._spawn(self._accept_loop)
        if self._advertise:
            self._discovery = Discovery(
                event_tag(pin), port=port, browse=False, service_type=PAIRING_SERVICE_TYPE, interfaces=self._interfaces
            ).start()
        return self

    def wait(self, cancel: threading.Event | None = None) -> Paired:
        """The laptop paired; PairingRefused if a wrong code spent it, nobody came before the expiry,
        or `cancel` was set first (the sync screen's Escape)."""
        while not self._done.wait(0.1):
            with self._lock:
                if self._state == "open" and cancel is not None and cancel.is_set():
                    self._state = "closed"
                    self._failure = refusal("pairing_cancelled")
                    self._done.set()
                elif self._state == "open" and self._clock() >= self.expires_at:
                    self._state = "expired"
                    self._failure = refusal("pairing_timeout", lifetime=lifetime(self.ttl))
                    self._done.set()
        if self._failure is not None:
            raise self._failure
        assert self._paired is not None
        return self._paired

    def wait_first_sync(self, timeout: float) -> SyncSummary | None:
        """The summary of the paired laptop's first sync with this one, or None if it did not come in time."""
        self._first_sync.wait(timeout)
        return self._first_summary

    def close(self) -> None:
        with self._lock:
            if self._state == "open":
                self._state = "closed"
        if self._listener is not None:
            self._listener.close()
        if self._discovery is not None:
            self._discovery.close()
        if self._sync_server is not None:
            self._sync_server.close()
        for thread in self._threads:
            thread.join(timeout=FRAME_TIMEOUT * 4)

    def __enter__(self) -> PairingHost:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _spawn(self, target: Callable, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="fieldkit-pairing")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        self._listener.settimeout(0.25)
        while True:
            try:
                conn, address = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # closed
            if not self._attempts.acquire(blocking=False):
                conn.close()  # a flood of connections waits its turn; the pairing stays open
                continue
            self._spawn(self._attempt, conn, address[0])

    def _attempt(self, conn: socket.socket, address: str) -> None:
        try:
            conn.settimeout(FRAME_TIMEOUT)
            sock = self._context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.info("pairing connection from %s failed in the TLS handshake: %s", address, exc)
            conn.close()
            self._attempts.release()
            return
        # A whole attempt is bounded too: a stranger trickling a byte at a time holds no place for long.
        channel = Channel(BoundedSocket(sock, seconds=ATTEMPT_SECONDS, idle=FRAME_TIMEOUT), timeout=FRAME_TIMEOUT)
        try:
            self._session(channel, address)
        except (FrameError, OSError, PairingBroken, PairingRefused) as exc:
            log.warning("pairing attempt from %s ended: %s", address, exc)
        except Exception as exc:  # one broken attempt never ends the pairing, nor prints a traceback
            log.warning("pairing attempt from %s failed: %s: %s", address, exc.__class__.__name__, exc)
        finally:
            channel.close()
            self._attempts.release()

    def _verdict(self, code_id: bytes) -> str | None:
        """Why an attempt with this code id is refused now, if it is; call with the lock held."""
        assert self.code is not None
        if not hmac.compare_digest(code_id, self.code.code_id):
            return "pairing_stale"
        if self._state == "open" and self._clock() >= self.expires_at:
            return "pairing_expired"
        if self._state != "open":
            return "pairing_expired" if self._state in ("expired", "closed") else "pairing_used"
        return None

    def _session(self, channel: Channel, address: str) -> None:
        assert self.code is not None
        channel.send({"type": "pairing", "version": PAIRING_VERSION, "ca": self._ca_pem})
        hello = expect(channel.recv(), "pair")
        code_id = bytes.fromhex(hello["code_id"]) if _is_hex(hello.get("code_id")) else b""
        with self._lock:
            verdict = self._verdict(code_id)
        if verdict:
            channel.send({"type": "refuse", "code": verdict})
            return
        theirs = field_bytes(hello, "pake", 33)
        spake = SPAKE2_B(password(self.code.secret), idA=ID_LAPTOP, idB=ID_COORDINATOR)
        mine = spake.start()
        try:
            shared = spake.finish(theirs)
        except Exception:  # spake2 raises several types for a message that is not a group element
            raise PairingBroken("the SPAKE2 message is invalid") from None
        channel.send({"type": "pake", "pake": b64(mine)})
        seen = transcript(code_id, self.code.pin, self._cert_der, theirs, mine)
        keys = derive_keys(shared, seen)
        proof = field_bytes(expect(channel.recv(), "confirm"), "mac", 32)
        with self._lock:
            verdict = self._verdict(code_id)
            if verdict is None and not hmac.compare_digest(proof, keys.laptop_mac):
                # The one guess this code allows was wrong: nobody may use it now.
                verdict, self._state = "pairing_wrong_code", "spent"
                self._failure = refusal("pairing_wrong_guess", address=address)
                self._done.set()
            elif verdict is None:
                self._state = "enrolling"
        if verdict:
            log.warning("pairing attempt from %s refused: %s", address, verdict)
            channel.send({"type": "refuse", "code": verdict})
            return
        self._enroll(channel, address, keys, seen)

    def _enroll(self, channel: Channel, address: str, keys: PairingKeys, seen: bytes) -> None:
        channel.send({"type": "confirm", "mac": b64(keys.coordinator_mac)})
        self._on_words(keys.words)
        try:
            bundle = enroll_device(self.store, self.name, self.role)
        except EnrollRefused as exc:
            self._finish(failure=PairingRefused("pairing_enroll_failed", str(exc)))
            channel.send({"type": "refuse", "code": "pairing_enroll_failed"})
            return
        device_id, delivered = bundle["device_id"], False
        try:
            sync_port = self._sync_port or self._serve_first_sync(device_id)
            content = json.dumps({"bundle": bundle, "sync_port": sync_port}).encode()
            nonce = os.urandom(12)
            sealed = ChaCha20Poly1305(keys.enrollment).encrypt(nonce, content, seen)
            channel.send({"type": "enrollment", "nonce": b64(nonce), "sealed": b64(sealed)})
            delivered = channel.recv().get("type") == "received"
        finally:
            # Enrolled either way: the code is spent, and the roster says so.
            self._finish(paired=Paired(device_id, bundle["device_name"], self.role, keys.words, address, delivered))

    def _finish(self, *, paired: Paired | None = None, failure: PairingRefused | None = None) -> None:
        with self._lock:
            self._state = "paired" if paired else "spent"
            self._paired, self._failure = paired, failure
            self._done.set()

    def _serve_first_sync(self, device_id: str) -> int:
        """A sync server for the new laptop's first sync, on the pairing address; its port."""
        server = SyncServer(self.store, self.bind, 0)

        def on_session(summary: SyncSummary) -> None:
            if summary.peer_device == device_id:
                self._first_summary = summary
                self._first_sync.set()

        self._sync_server = server
        self._spawn(lambda: server.serve(on_session=on_session))
        return server.address[1]


def _is_hex(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) <= 64 and len(value) % 2 == 0
        and all(c in "0123456789abcdef" for c in value)
    )


def lifetime(seconds: float) -> str:
    """A code's lifetime in words: `10 minutes`, `90 seconds`, `1 second`."""
    amount, unit = (round(seconds / 60), "minute") if seconds >= 120 else (round(seconds), "second")
    return f"{amount} {unit}{'' if amount == 1 else 's'}"
