"""A session's socket bounded in time, which lets other sessions use the store while it waits.

The server wraps each session's TLS socket in a BoundedSocket: every read and write
waits at most the idle timeout and never past the session's deadline, whatever the
peer does (a peer trickling one byte a second or reading slowly cannot stretch it: the
`ssl` module bounds one call by its timeout, and the deadline is checked before each
call). Sessions run in threads over one store connection; a session holds the store
lock while it works and the socket releases it around each wait on the network, so
the store sees one session's work at a time and no transaction spans a wait.
"""

from __future__ import annotations

import socket
import threading
import time

from sync.frames import SessionOverrun

_CHUNK = 1 << 20  # bytes per send call, so a slow reader meets the deadline between calls


class BoundedSocket:
    """Reads and writes on `sock` that end by `seconds` from now; `store_lock`, if given, is
    held by the caller and released while a call waits on the network."""

    def __init__(
        self, sock: socket.socket, *, seconds: float, idle: float, store_lock: threading.Lock | None = None
    ):
        self.sock = sock
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.idle = idle
        self.store_lock = store_lock

    def settimeout(self, timeout: float | None) -> None:
        """The idle timeout (Channel sets it); the session deadline still applies."""
        if timeout is not None:
            self.idle = timeout

    def setsockopt(self, *args) -> None:
        self.sock.setsockopt(*args)

    def recv(self, size: int) -> bytes:
        return self._wait(self.sock.recv, size)

    def send(self, data) -> int:
        return self._wait(self.sock.send, data)

    def sendall(self, data) -> None:
        with memoryview(data) as view:
            while view:
                sent = self.send(view[:_CHUNK])
                view = view[sent:]

    def close(self) -> None:
        self.sock.close()

    def _overrun(self) -> SessionOverrun:
        return SessionOverrun(f"the session ran over its {self.seconds:g}-second limit")

    def _wait(self, call, argument):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._overrun()
        self.sock.settimeout(min(self.idle, remaining))
        if self.store_lock is not None:
            self.store_lock.release()
        try:
            return call(argument)
        except socket.timeout:
            if time.monotonic() >= self.deadline:
                raise self._overrun() from None
            raise
        finally:
            if self.store_lock is not None:
                self.store_lock.acquire()


def drain(sock: socket.socket, *, seconds: float, limit: int = 1 << 16) -> None:
    """Read and discard what the peer sends, for at most `seconds` and `limit` bytes, so a
    refusal just sent reaches it rather than a reset connection; nothing read is parsed."""
    bounded = BoundedSocket(sock, seconds=seconds, idle=seconds)
    received = 0
    try:
        while received < limit:
            part = bounded.recv(1 << 14)
            if not part:
                return
            received += len(part)
    except OSError:
        return
