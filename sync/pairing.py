"""Pairing a new laptop by one-time code: its side of the protocol, and the key schedule both sides share.

Over TLS 1.3 to the coordinator's pairing listener (server certificate only), in
bounded frames (sync/frames.py):

1. coordinator: `{"type": "pairing", "version": 1, "ca": PEM}`. The new laptop checks
   that the CA's fingerprint starts with the code's pin and that the TLS certificate
   the coordinator presented is issued by that CA; otherwise it stops, having sent nothing.
2. laptop: `{"type": "pair", "code_id": HEX, "pake": B64}`: SPAKE2 side A over the code's secret.
3. coordinator: `{"type": "pake", "pake": B64}` (side B), or `{"type": "refuse", "code": ...}`.
4. laptop: `{"type": "confirm", "mac": B64}`, HMAC of the transcript under its confirmation key.
   The laptop proves first, so a stranger who connects learns nothing to test guesses against.
5. coordinator: a wrong MAC spends the code (`refuse`, `pairing_wrong_code`); a right one is
   answered with its own `confirm`, then `{"type": "enrollment", "nonce", "sealed"}`: the join
   bundle (sync/enroll.py) and the port serving the first sync, sealed with ChaCha20-Poly1305.
6. laptop: `{"type": "received"}`.

The transcript binds the code id, the pin, the coordinator's TLS certificate and both
SPAKE2 messages; both sides derive the verification words from it and the PAKE key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_A

from fieldkit.event.ca import identity_of
from sync.discovery import PAIRING_SERVICE_TYPE, Discovery, event_pin, event_tag
from sync.enroll import is_complete
from sync.frames import Channel, FrameError
from sync.pairing_code import PairingCode, PairingRefused, refusal, verification_words

PAIRING_VERSION = 1
FRAME_TIMEOUT = 10.0
CONNECT_TIMEOUT = 3.0
DISCOVER_SECONDS = 8.0
ID_LAPTOP = b"fieldkit new laptop"
ID_COORDINATOR = b"fieldkit coordinator"
_LABEL = b"fieldkit pairing v1"
# What the coordinator may refuse with; anything else is a broken session.
COORDINATOR_REFUSALS = frozenset(
    {"pairing_wrong_code", "pairing_used", "pairing_expired", "pairing_stale", "pairing_enroll_failed"}
)
_SPAKE_MESSAGE = 33
_MAC = 32


class PairingBroken(Exception):
    """The other side broke the pairing protocol; str() is the reason."""


@dataclass(frozen=True)
class PairingKeys:
    """What both ends derive from the SPAKE2 key and the transcript."""

    laptop_mac: bytes
    coordinator_mac: bytes
    enrollment: bytes
    words: str


def password(secret: bytes) -> bytes:
    return _LABEL + secret


def transcript(code_id: bytes, pin: bytes, cert_der: bytes, laptop_msg: bytes, coordinator_msg: bytes) -> bytes:
    digest = hashlib.sha256(_LABEL)
    for part in (code_id, pin, hashlib.sha256(cert_der).digest(), laptop_msg, coordinator_msg):
        digest.update(len(part).to_bytes(2, "big") + part)
    return digest.digest()


def derive_keys(shared: bytes, seen: bytes) -> PairingKeys:
    def derive(label: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=seen, info=_LABEL + b" " + label).derive(shared)

    mac_key_laptop, mac_key_coordinator = derive(b"confirm laptop"), derive(b"confirm coordinator")
    return PairingKeys(
        hmac.new(mac_key_laptop, seen, "sha256").digest(),
        hmac.new(mac_key_coordinator, seen, "sha256").digest(),
        derive(b"enrollment"),
        verification_words(derive(b"words")),
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def field_bytes(message: dict[str, Any], name: str, size: int | None = None, limit: int = 1 << 20) -> bytes:
    """A base64 field of a received frame, of exactly `size` bytes if given; PairingBroken otherwise."""
    value = message.get(name)
    if not isinstance(value, str) or len(value) > limit:
        raise PairingBroken(f"{message.get('type')!s:.20} frame without a valid {name}")
    try:
        data = base64.b64decode(value, validate=True)
    except ValueError:
        raise PairingBroken(f"{name} is not base64") from None
    if size is not None and len(data) != size:
        raise PairingBroken(f"{name} has {len(data)} bytes, not {size}")
    return data


def expect(message: dict[str, Any], kind: str) -> dict[str, Any]:
    """`message` if it has type `kind`; the coordinator's refusal, or PairingBroken, otherwise."""
    if message.get("type") == "refuse" and message.get("code") in COORDINATOR_REFUSALS:
        raise refusal(message["code"])
    if message.get("type") != kind:
        raise PairingBroken(f"expected {kind}, got {str(message.get('type'))[:20]!r}")
    return message


@dataclass(frozen=True)
class Enrollment:
    """What a new laptop receives: its join bundle, the words shown, and where its first sync goes."""

    bundle: dict[str, Any]
    words: str
    host: str
    sync_port: int


def join_by_code(
    code: PairingCode,
    *,
    interfaces: Sequence[str] = (),
    discover_seconds: float = DISCOVER_SECONDS,
    on_words: Callable[[str], None] = lambda words: None,
) -> Enrollment:
    """Find the coordinator the code names (its address hint, then mDNS) and receive this laptop's enrollment.

    PairingRefused with one sentence when the code is wrong, used or expired, when no
    coordinator answers, or when the one that answers is not the one the code pins.
    Nothing is written on this laptop either way.
    """
    tried: set[tuple[str, int]] = set()
    passed_over: list[PairingRefused] = []

    def attempt(host: str, port: int) -> Enrollment | None:
        if (host, port) in tried:
            return None
        tried.add((host, port))
        try:
            return _pair_at(code, host, port, on_words)
        except OSError:
            return None  # nothing listens there (any more)
        except PairingRefused as exc:
            if exc.code not in ("pairing_fingerprint", "pairing_stale"):
                raise
            passed_over.append(exc)  # another laptop, or another pairing of this coordinator: look further
            return None

    found = attempt(code.host, code.port)
    if found is not None:
        return found
    tag = event_tag(code.pin)
    with Discovery(tag, browse=True, service_type=PAIRING_SERVICE_TYPE, interfaces=interfaces) as discovery:
        deadline, handled = time.monotonic() + discover_seconds, set()
        while (left := deadline - time.monotonic()) > 0:
            for sighting in discovery.wait_for_peers(min(left, 0.5), count=len(handled) + 1):
                if sighting in handled:
                    continue
                handled.add(sighting)
                for host in sighting.hosts:
                    found = attempt(host, sighting.port)
                    if found is not None:
                        return found
    for preferred in ("pairing_stale", "pairing_fingerprint"):
        for exc in passed_over:
            if exc.code == preferred:
                raise exc
    raise refusal("pairing_unreachable", address=code.address)


def _client_context() -> ssl.SSLContext:
    # The coordinator's certificate is checked against the code's pin below, not against a CA store.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _pair_at(code: PairingCode, host: str, port: int, on_words: Callable[[str], None]) -> Enrollment:
    raw = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    address = f"{host}:{port}"
    try:
        sock = _client_context().wrap_socket(raw)
    except (ssl.SSLError, OSError):
        raw.close()
        raise refusal("pairing_fingerprint", address=address) from None
    channel = Channel(sock, timeout=FRAME_TIMEOUT)
    try:
        try:
            hello = channel.recv()
        except (FrameError, OSError):
            raise refusal("pairing_fingerprint", address=address) from None
        if hello.get("type") != "pairing" or not _pinned(hello.get("ca"), sock.getpeercert(binary_form=True), code):
            raise refusal("pairing_fingerprint", address=address)
        return _run(channel, sock.getpeercert(binary_form=True), code, host, on_words)
    except (FrameError, OSError, PairingBroken) as exc:
        raise refusal("pairing_broken", reason=str(exc) or exc.__class__.__name__) from None
    finally:
        channel.close()


def _pinned(ca_pem: Any, leaf_der: bytes | None, code: PairingCode) -> bool:
    """Whether the coordinator's CA is the one the code pins and its TLS certificate comes from that CA."""
    if not isinstance(ca_pem, str) or not leaf_der or len(ca_pem) > 16384:
        return False
    try:
        if not hmac.compare_digest(event_pin(ca_pem), code.pin):
            return False
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        x509.load_der_x509_certificate(leaf_der).verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    event = ca.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    return bool(event) and identity_of(leaf_der).event_id == event[0].value


def _run(
    channel: Channel, cert_der: bytes, code: PairingCode, host: str, on_words: Callable[[str], None]
) -> Enrollment:
    spake = SPAKE2_A(password(code.secret), idA=ID_LAPTOP, idB=ID_COORDINATOR)
    mine = spake.start()
    channel.send({"type": "pair", "version": PAIRING_VERSION, "code_id": code.code_id.hex(), "pake": b64(mine)})
    theirs = field_bytes(expect(channel.recv(), "pake"), "pake", _SPAKE_MESSAGE)
    try:
        shared = spake.finish(theirs)
    except Exception:  # spake2 raises several types for a message that is not a group element
        raise PairingBroken("the coordinator's SPAKE2 message is invalid") from None
    seen = transcript(code.code_id, code.pin, cert_der, mine, theirs)
    keys = derive_keys(shared, seen)
    channel.send({"type": "confirm", "mac": b64(keys.laptop_mac)})
    proof = field_bytes(expect(channel.recv(), "confirm"), "mac", _MAC)
    if not hmac.compare_digest(proof, keys.coordinator_mac):
        raise PairingBroken("the coordinator could not prove it knows the code")
    on_words(keys.words)
    sealed = expect(channel.recv(), "enrollment")
    nonce, box = field_bytes(sealed, "nonce", 12), field_bytes(sealed, "sealed", limit=8 << 20)
    try:
        content = json.loads(ChaCha20Poly1305(keys.enrollment).decrypt(nonce, box, seen))
    except (InvalidTag, ValueError):
        raise PairingBroken("the enrollment does not open with the pairing key") from None
    bundle, sync_port = content.get("bundle"), content.get("sync_port")
    if not is_complete(bundle) or not isinstance(sync_port, int) or not 0 < sync_port < 65536:
        raise PairingBroken("the enrollment is incomplete")
    if not isinstance(bundle["ca_cert"], str) or event_pin(bundle["ca_cert"]) != code.pin:
        raise PairingBroken("the enrollment is for another event")
    channel.send({"type": "received"})
    return Enrollment(bundle, keys.words, host, sync_port)
