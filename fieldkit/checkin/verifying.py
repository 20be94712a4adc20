"""A pass's signature verified on a second core while its check-in is written.

Verifying an Ed25519 signature is the biggest single piece of a scan's work; libsodium lets
other threads run while it does it, and so does SQLite while it reads and writes. So the
desk hands the signature to one worker thread, looks the registration up and writes the
check-in meanwhile, and waits for the verdict inside the transaction, before the commit
(Desk._record): a forged pass is rolled back and refused as forged, with nothing kept.

Nothing here trusts the worker: if it is not there (a process forked after it started) or
does not answer within a few seconds, the signature is verified on the scan's own thread.
"""

from __future__ import annotations

import os
import queue
import threading

from fieldkit.tokens import Signed

# How long a scan waits for the worker before verifying on its own thread (it takes ~0.1 ms).
WAIT_SECONDS = 2.0

_requests: queue.SimpleQueue[Verdict] | None = None
_owner: int | None = None  # the process the worker runs in
_starting = threading.Lock()


class Verdict:
    """Whether one signature is good, worked out on the worker thread."""

    __slots__ = ("decided", "done", "good", "signed")

    def __init__(self, signed: Signed):
        self.signed = signed
        self.done = threading.Lock()  # released by the worker once `good` is set
        self.done.acquire()
        self.good: bool | None = None
        self.decided = False

    def check(self) -> None:
        """Wait for the verdict (once); TokenRefused (forged) unless the signature is good."""
        if not self.decided:
            answered = self.done.acquire(timeout=WAIT_SECONDS)
            if not answered or self.good is None:
                self.good = self.signed.valid()
            self.decided = True
        if not self.good:
            self.signed.check()  # raises the refusal parse_token gives a forgery


def verify_aside(signed: Signed) -> Verdict:
    """Start verifying `signed` on the worker thread; `check()` the verdict before acting on it."""
    verdict = Verdict(signed)
    _worker().put(verdict)
    return verdict


def _worker() -> queue.SimpleQueue[Verdict]:
    global _requests, _owner
    if _owner != os.getpid():
        with _starting:
            if _owner != os.getpid():
                requests: queue.SimpleQueue[Verdict] = queue.SimpleQueue()
                threading.Thread(target=_serve, args=(requests,), name="fieldkit-verify", daemon=True).start()
                _requests, _owner = requests, os.getpid()
    assert _requests is not None
    return _requests


def _serve(requests: queue.SimpleQueue[Verdict]) -> None:
    while True:
        verdict = requests.get()
        try:
            verdict.good = verdict.signed.valid()
        except Exception:  # noqa: BLE001 (never leave a scan waiting: it verifies on its own thread instead)
            verdict.good = None
        finally:
            verdict.done.release()
