"""Length-prefixed frames: a 4-byte big-endian length, then that many bytes of compact JSON."""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

MAX_FRAME = 4 * 1024 * 1024
_HEADER = struct.Struct(">I")


class FrameError(Exception):
    """The peer sent something that is not a valid frame; str() is the logged reason."""


class ConnectionClosed(FrameError):
    """The peer closed the connection between frames."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    if len(body) > MAX_FRAME:
        raise FrameError(f"frame of {len(body)} bytes is over the {MAX_FRAME}-byte limit")
    return _HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FrameError("malformed frame: not UTF-8 JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise FrameError("malformed frame: not an object with a type")
    return message


class Channel:
    """Frames over a connected socket (plain, TLS or a socketpair), with byte counts."""

    def __init__(self, sock: socket.socket, timeout: float | None = 30.0):
        self.sock = sock
        self.sock.settimeout(timeout)
        try:
            # Small frames back to back: without this, Nagle and delayed ACKs add ~40 ms per turn.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # not TCP (a socketpair in tests)
        self.bytes_sent = 0
        self.bytes_received = 0

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        self.sock.sendall(data)
        self.bytes_sent += len(data)

    def recv(self) -> dict[str, Any]:
        header = self._read(_HEADER.size, between_frames=True)
        (length,) = _HEADER.unpack(header)
        if length > MAX_FRAME:
            raise FrameError(f"oversized frame: {length} bytes announced, the limit is {MAX_FRAME}")
        return decode(self._read(length, between_frames=False))

    def _read(self, size: int, *, between_frames: bool) -> bytes:
        parts, got = [], 0
        while got < size:
            try:
                part = self.sock.recv(min(size - got, 1 << 20))
            except socket.timeout:
                raise FrameError("the peer went silent (timed out)") from None
            if not part:
                if between_frames and got == 0:
                    raise ConnectionClosed("the peer closed the connection")
                raise FrameError("truncated frame: the connection closed mid-frame")
            parts.append(part)
            got += len(part)
        self.bytes_received += got
        return b"".join(parts)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
