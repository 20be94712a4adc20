"""`sync with` an address where no Field Kit laptop serves sync says so in one sentence."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync.transport import SyncFailed, sync_with

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"  # the syncing fixtures' database passphrase
HTTP_REPLY = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@pytest.fixture
def stranger_server():
    """stranger_server(reply) -> port of a plain TCP server on 127.0.0.1 that answers one
    connection with `reply` (None: close at once), then stops."""
    listeners = []

    def _start(reply: bytes | None) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(20)  # stops by itself if nobody comes
        listeners.append(listener)

        def answer() -> None:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                if reply is not None:
                    conn.settimeout(10)
                    conn.recv(4096)  # the TLS ClientHello, read as if it were a request
                    conn.sendall(reply)

        threading.Thread(target=answer, daemon=True).start()
        return listener.getsockname()[1]

    yield _start
    for listener in listeners:
        listener.close()


def _sentence(port: int) -> str:
    return f"127.0.0.1:{port} is not a Field Kit laptop serving sync (or it is another event's): check the address."


@pytest.mark.parametrize("reply", [None, HTTP_REPLY], ids=["closes at once", "answers like a web server"])
def test_sync_with_something_else_says_so(coordinator, enroll, stranger_server, reply):
    desk = enroll("desk-2", "desk")
    port = stranger_server(reply)
    with pytest.raises(SyncFailed) as failed:
        sync_with(desk, "127.0.0.1", port)
    assert str(failed.value) == _sentence(port)


def test_the_cli_says_it_in_one_sentence(coordinator, enroll, stranger_server):
    desk = enroll("desk-2", "desk")
    port = stranger_server(HTTP_REPLY)
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "sync", "with", f"127.0.0.1:{port}", "--db", str(desk.path)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "FIELDKIT_PASSPHRASE": PASSPHRASE},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == f"Error: {_sentence(port)}"
    assert "Traceback" not in done.stderr and done.stdout == ""
