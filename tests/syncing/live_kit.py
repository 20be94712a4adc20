"""Helpers for continuous-sync tests: `fieldkit sync auto` as a real process on 127.0.0.1, and reading its database."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_sync_cli import ENV

from benchmarks.propagation import stop_gracefully
from fieldkit.store import Store, open_store
from fieldkit.tokens import PASS, sign_token

LOOPBACK = ["--interface", "127.0.0.1"]


class AutoSync:
    """`fieldkit sync auto --db DB` on 127.0.0.1 in its own process, its output read line by line."""

    def __init__(self, db: Path, *args: str, env: dict | None = None):
        self.db = db
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fieldkit", "sync", "auto", "--db", str(db), *LOOPBACK, "--port", "0", *args],
            env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.errors.append), daemon=True).start()
        self.port = int(self.wait_for("Syncing automatically as ").rsplit(":", 1)[1].rstrip("."))

    @staticmethod
    def _read(stream, put: Callable[[str], None]) -> None:
        for line in stream:
            put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first line (from now on) containing `text`; fails the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        pytest.fail(f"`fieldkit sync auto` on {self.db.name} printed no {text!r} within {timeout} s: "
                    f"{self.seen[-5:]} {self.errors[-5:]}")

    def output(self) -> list[str]:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.seen

    def kill(self) -> None:
        """SIGKILL: no goodbye on mDNS, nothing saved, a batch perhaps half-received."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM, handled as Ctrl+C: withdrawn from the network, what it knows of its peers saved."""
        return stop_gracefully(self.process)


def opened(db: Path) -> Store:
    return open_store(db, ENV["FIELDKIT_PASSPHRASE"])


def passes(db: Path, count: int) -> list[tuple[str, str, str]]:
    """(person id, first name, pass code) for the first registrations, passes signed by the event key."""
    store = opened(db)
    try:
        rows = store.db.execute(
            "SELECT r.id, p.id, p.display_name FROM registrations r JOIN people p ON p.id = r.person_id"
            " ORDER BY r.id LIMIT ?", [count],
        ).fetchall()
        return [(person, name.split()[0], sign_token(store, PASS, registration)) for registration, person, name in rows]
    finally:
        store.close()


def until(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> float | None:
    """Seconds until `condition()` held (polled every `step`), or None if it did not within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(step)
    return None


def count(store: Store, sql: str, *args) -> int:
    return store.db.execute(sql, args).fetchone()[0]
