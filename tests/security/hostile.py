"""What a hostile peer on the clinic's network sends, over real sockets on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import ssl
import struct
import time
from contextlib import contextmanager

from fieldkit.store import Store
from fieldkit.store.schema import schema_version
from sync.frames import MAX_FRAME
from sync.protocol import PROTOCOL_VERSION
from sync.tls import tls_context


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def hello_of(store: Store, **overrides) -> bytes:
    """A frame holding `store`'s hello with `overrides`; values given as bytes go in raw."""
    fields = {
        "type": "hello", "protocol": PROTOCOL_VERSION, "schema": schema_version(), "event": store.event_id,
        "device": store.device_id, "database": "another database", "name": store.device_name,
        "role": store.role, "wall": store.wall(), "watermarks": {}, "heads": {}, **overrides,
    }
    parts = [json.dumps(k).encode() + b":" + (v if isinstance(v, bytes) else json.dumps(v).encode())
             for k, v in fields.items()]
    return frame(b"{" + b",".join(parts) + b"}")


# The frames that stopped `fieldkit sync serve`, and their neighbours: (name, frame of a
# laptop's store, the reason logged).
KILLERS = [
    ("200,000 [", lambda store: frame(b"[" * 200_000), "nested more than 32 levels"),
    ("deep hello", lambda store: hello_of(store, watermarks=b"[" * 5000 + b"]" * 5000), "nested more than 32 levels"),
    ("wall 10**400", lambda store: hello_of(store, wall=b"1" + b"0" * 400), "outside the 64-bit range"),
    ("wall 10**17", lambda store: hello_of(store, wall=10**17), "wall is out of range"),
    ("wall 1e400", lambda store: hello_of(store, wall=b"1e400"), "too long or not finite"),
    ("wall NaN", lambda store: hello_of(store, wall=b"NaN"), "NaN is not a number"),
    ("huge watermark", lambda store: hello_of(store, watermarks={"X": 2**70}), "outside the 64-bit range"),
    ("oversized length", lambda store: struct.pack(">I", MAX_FRAME + 1) + b"{}", "oversized frame"),
    ("truncated frame", lambda store: struct.pack(">I", 100) + b'{"type":', "truncated frame"),
    ("garbage", lambda store: b"\x00\x00\x00\x10\x8f garbage bytes!", "not UTF-8 JSON"),
    ("not UTF-8", lambda store: frame(b'{"type":"hello","name":"\xff\xfe"}'), "not UTF-8 JSON"),
    ("not JSON", lambda store: frame(b"hello, is this sync?"), "not UTF-8 JSON"),
]
KILLER_NAMES = [name for name, _, _ in KILLERS]


def killer_frames(store: Store) -> list[tuple[str, bytes, str]]:
    """Every killer frame, as `store`'s laptop would send it."""
    return [(name, build(store), reason) for name, build, reason in KILLERS]


def client_context(store: Store) -> ssl.SSLContext:
    """The TLS client context of an enrolled laptop (its own certificate)."""
    return tls_context(store, ssl.PROTOCOL_TLS_CLIENT)


def anonymous_context() -> ssl.SSLContext:
    """TLS 1.3 with no certificate and no check of the server's: a stranger's client."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def send_and_wait(
    address, payload: bytes, context: ssl.SSLContext | None = None, *, half_close: bool = True, within: float = 10.0
) -> bytes:
    """Connect (over TLS if `context`), send `payload`, half-close (the server then sees the
    end of what it is sent at once), and read until the server hangs up. Returns what the
    server sent back: frames if over TLS without `half_close` (which drops TLS on this side)."""
    received = []
    with socket.create_connection(address, timeout=within) as raw:
        sock = raw
        try:
            if context is not None:
                sock = context.wrap_socket(raw)
            sock.sendall(payload)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            while part := sock.recv(65536):
                received.append(part)
        except (OSError, ssl.SSLError):
            pass
    return b"".join(received)


@contextmanager
def held_open(address, count: int, context: ssl.SSLContext | None = None):
    """`count` connections that connect (and, with `context`, finish the TLS handshake) and
    then send nothing; closed on exit."""
    socks = []
    try:
        for _ in range(count):
            raw = socket.create_connection(address, timeout=10)
            socks.append(context.wrap_socket(raw) if context is not None else raw)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def trickle(sock: socket.socket, data: bytes, *, every: float, for_at_most: float) -> float:
    """Send `data` one byte every `every` seconds until the server hangs up; seconds it took."""
    started = time.monotonic()
    sock.settimeout(every)
    for byte in data:
        if time.monotonic() - started > for_at_most:
            break
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(1) == b"":
                break  # the server hung up
        except socket.timeout:
            continue  # nothing from the server yet: it is still waiting for more
        except OSError:
            break
    return time.monotonic() - started
