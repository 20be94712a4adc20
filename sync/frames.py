"""Length-prefixed frames (4-byte big-endian length, then compact UTF-8 JSON), read by a bounded parser.

A frame from the network is bounded before `json.loads` sees it: at most MAX_FRAME
bytes, nested at most MAX_DEPTH deep (brackets counted outside strings, in C-speed
byte operations), integers within 64 bits, floats finite and short, no NaN or
Infinity. Anything else is a FrameError whose str() is the sentence logged.
"""

from __future__ import annotations

import json
import math
import socket
import struct
from array import array
from itertools import accumulate
from typing import Any

import orjson

MAX_FRAME = 4 * 1024 * 1024
# Field Kit's own frames nest 4 deep (a batch: frame, changes, change, content).
MAX_DEPTH = 32
# The longest float Python writes is 24 characters (-1.2345678901234567e-308).
MAX_NUMBER_CHARS = 32
_INT_RANGE = range(-(2**63), 2**63)  # what SQLite stores as an integer
_HEADER = struct.Struct(">I")
# Keeps only quotes and brackets: the skeleton that decides how deep a frame nests.
_NOT_SKELETON = bytes(c for c in range(256) if c not in b'"[]{}')
# Opening brackets to +1, closing to -1 (as signed bytes) for a running sum of depth.
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
# Every digit to "0", everything else to " ": a run of 19 zeros is a number that may not fit 64 bits.
_DIGIT_RUNS = bytes.maketrans(bytes(range(256)), bytes(48 if 48 <= c <= 57 else 32 for c in range(256)))
_DEPTH_CHUNK = 1 << 16  # a frame nested too deep is refused after its first 64 KiB of brackets
# Digits, dots and capital Es to "0", everything else to " ": runs that may be parts of a long number.
_NUMBER_RUNS = bytes.maketrans(
    bytes(range(256)), bytes(48 if (48 <= c <= 57 or c in b".E") else 32 for c in range(256))
)
_SHORT_RUN = 15
_LONG_RUN = b"0" * _SHORT_RUN
_RUNS_LOOKED_AT = 64  # long runs inside strings looked past before the bounded parse is used instead


class FrameError(Exception):
    """The peer sent something that is not a valid frame; str() is the logged reason."""


class ConnectionClosed(FrameError):
    """The peer closed the connection between frames."""


class SessionOverrun(TimeoutError):
    """The session ran past its deadline (raised by a socket the transport bounds in time)."""


def encode(message: dict[str, Any]) -> bytes:
    """The frame of `message`: compact UTF-8 JSON, written by orjson (a sixteenth of what
    `json.dumps` spends on a batch; the same bytes, but that a float may be written shorter,
    1e-7 for 1e-07); what orjson refuses (an integer over 64 bits, a key that is not text,
    a lone surrogate) goes through `json` as before."""
    try:
        body = orjson.dumps(message)
    except orjson.JSONEncodeError:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    if len(body) > MAX_FRAME:
        raise FrameError(f"frame of {len(body)} bytes is over the {MAX_FRAME}-byte limit")
    return _HEADER.pack(len(body)) + body


def check_depth(body: bytes) -> None:
    """FrameError if the JSON in `body` nests deeper than MAX_DEPTH (brackets outside strings).

    For broken JSON the depth counted is at least what json.loads reaches before its
    first error, so a body that passes never recurses deeper than MAX_DEPTH there.
    """
    _check_depth(_without_escapes(body))


def _without_escapes(body: bytes) -> bytes:
    """`body` without its escaped backslashes and quotes. Escapes pair left to right inside
    strings, so every quote left is a string's start or end (a backslash outside strings is
    invalid), and nothing outside strings changes."""
    if b"\\" in body:
        return body.replace(b"\\\\", b"").replace(b'\\"', b"")
    return body


def _check_depth(plain: bytes) -> None:
    skeleton = plain.translate(None, _NOT_SKELETON)
    outside = skeleton.replace(b'""', b"")
    if b'"' in outside:
        # Some string holds a bracket: keep only what lies between strings.
        outside = b"".join(skeleton.split(b'"')[::2])
    steps, depth = outside.translate(_DEPTH_STEP), 0
    for start in range(0, len(steps), _DEPTH_CHUNK):
        running = list(accumulate(array("b", steps[start : start + _DEPTH_CHUNK]), initial=depth))
        if max(running) > MAX_DEPTH:
            raise FrameError(f"malformed frame: nested more than {MAX_DEPTH} levels deep")
        depth = running[-1]


def _numbers_are_short(plain: bytes) -> bool:
    """Whether every number outside strings is short enough for the fast parse (orjson): no run of
    _SHORT_RUN digits, dots and capital Es outside strings. Then every integer has at most 14
    digits (well within 64 bits) and every float at most 31 characters (a sign, 14, an exponent
    mark, a sign, 14). Runs inside strings (hex digests) are told by the quotes before them."""
    runs = plain.translate(_NUMBER_RUNS)
    at, quotes, counted = runs.find(_LONG_RUN), 0, 0
    for _ in range(_RUNS_LOOKED_AT):
        if at == -1:
            return True
        quotes += plain.count(b'"', counted, at)
        counted = at
        if quotes % 2 == 0:
            return False  # a long number outside strings: the bounded parse says what it is
        at = runs.find(_LONG_RUN, runs.find(b" ", at))
    return False  # so many long runs in strings: the bounded parse, whose cost does not grow with them


def _shown(number: str) -> str:
    return number if len(number) <= 24 else number[:24] + "..."


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS or (value := int(text)) not in _INT_RANGE:
        raise FrameError(f"malformed frame: a number ({_shown(text)}) is outside the 64-bit range")
    return value


def _bounded_float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise FrameError(f"malformed frame: a number ({_shown(text)}) is too long or not finite")
    return value


def _no_constant(text: str) -> Any:
    raise FrameError(f"malformed frame: {text} is not a number Field Kit sends")


def decode(body: bytes) -> dict[str, Any]:
    """The message in one frame's body, or FrameError: never RecursionError or OverflowError.

    Parsed by orjson (half the time of `json.loads`) when its bounds are shown to hold before
    it runs: UTF-8, nesting, and no number outside strings long enough to be over 64 bits or 32
    characters. Anything else, and anything orjson refuses, goes through the bounded parse
    below, which says why a frame is refused; both give the same message for a frame both take.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError("malformed frame: not UTF-8 JSON") from None
    plain = _without_escapes(body)
    _check_depth(plain)
    message: Any = _UNPARSED
    if _numbers_are_short(plain):
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # refused, or something orjson is stricter about (a lone surrogate): see below
    if message is _UNPARSED:
        message = _bounded_parse(body, text)
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise FrameError("malformed frame: not an object with a type")
    return message


_UNPARSED = object()


def _bounded_parse(body: bytes, text: str) -> Any:
    """`json.loads` with every number checked as it is parsed (NaN and Infinity refused)."""
    # Ints are checked one by one only when some run of digits (in a string, perhaps) could
    # be one over 64 bits: the check costs a third of the parse, the scan for runs a tenth.
    long_digits = b"0" * 19 in body.translate(_DIGIT_RUNS)
    try:
        return json.loads(
            text, parse_int=_bounded_int if long_digits else int,
            parse_float=_bounded_float, parse_constant=_no_constant,
        )
    except ValueError:
        raise FrameError("malformed frame: not UTF-8 JSON") from None


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

    def send(self, message: dict[str, Any] | bytes) -> None:
        """Send a message, or a frame `encode` made of one."""
        data = message if isinstance(message, bytes) else encode(message)
        try:
            self.sock.sendall(data)
        except SessionOverrun as exc:
            raise FrameError(str(exc)) from None
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
            except SessionOverrun as exc:
                raise FrameError(str(exc)) from None
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


