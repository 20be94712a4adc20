"""Helpers for the event-day story: laptops as `fieldkit` processes on their own databases."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from fieldkit.store import Store, open_store
from tests.conftest import SAMPLE_EVENTS

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = SAMPLE_EVENTS / "wellbeing-popup.toml"
REGISTRATIONS = SAMPLE_EVENTS / "wellbeing-popup-registrations.csv"
COMMAND_TIMEOUT = 30  # seconds; every step of the story is well under one
READY_TIMEOUT = 15  # seconds for `sync serve` to say where it listens


class StepFailed(AssertionError):
    """A `fieldkit` command of the story did not do what the coordinator expected."""


def one_sentence(text: str) -> bool:
    """A refusal a person reads: one line, no traceback, ends like a sentence."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return len(lines) == 1 and "Traceback" not in text and lines[0].rstrip().endswith((".", ")"))


def counts_in(info: str) -> dict[str, int]:
    """The per-table counts `fieldkit info` prints."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^  (\w+)\s+(\d+)$", info, re.MULTILINE)}


@dataclass
class Laptop:
    """One laptop of the event: its database, where its passphrase comes from, its `fieldkit`."""

    name: str
    db: Path
    passphrase: str
    env: dict
    passphrase_file: Path | None = None

    @classmethod
    def at(cls, folder: Path, name: str, passphrase: str, *, in_file: bool) -> "Laptop":
        """A laptop whose passphrase is in FIELDKIT_PASSPHRASE, or in a file (`in_file`)."""
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        for inherited in ("FIELDKIT_PASSPHRASE", "FIELDKIT_JOIN_PASSPHRASE", "FIELDKIT_PRINTER"):
            env.pop(inherited, None)
        if not in_file:
            return cls(name, folder / f"{name}.db", passphrase, {**env, "FIELDKIT_PASSPHRASE": passphrase})
        secret = folder / f"{name}.passphrase"
        secret.write_text(passphrase + "\n", encoding="utf-8")
        return cls(name, folder / f"{name}.db", passphrase, env, secret)

    def argv(self, *args: str) -> list[str]:
        secret = ["--passphrase-file", str(self.passphrase_file)] if self.passphrase_file else []
        return [sys.executable, "-m", "fieldkit", *args, "--db", str(self.db), *secret]

    def open(self) -> Store:
        """The laptop's database in this process, for what the story checks (or the screens do)."""
        return open_store(self.db, self.passphrase)

    def run(self, *args: str, check: bool = True, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        done = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        if "Traceback" in done.stderr:
            raise StepFailed(f"{self.name}: fieldkit {' '.join(args)} printed a traceback:\n{done.stderr}")
        if check and done.returncode not in ok_codes:
            raise StepFailed(f"{self.name}: fieldkit {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done

    def counts(self) -> dict[str, int]:
        return counts_in(self.run("info").stdout)

    def serve_once(self) -> "Serving":
        """`fieldkit sync serve --once` on a free port, waiting (bounded) until it listens."""
        process = subprocess.Popen(
            self.argv("sync", "serve", "--port", "0", "--once"),
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        first_line: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: first_line.put(process.stdout.readline()), daemon=True).start()
        try:
            line = first_line.get(timeout=READY_TIMEOUT)
        except queue.Empty:
            process.kill()
            raise StepFailed(f"{self.name}: fieldkit sync serve did not listen within {READY_TIMEOUT} s") from None
        found = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not found:
            process.kill()
            raise StepFailed(f"{self.name}: fieldkit sync serve said {line!r}: {process.stderr.read()}")
        return Serving(self, process, int(found[1]))


@dataclass
class Serving:
    """A laptop serving one sync session; `finish()` waits for it and returns its log."""

    laptop: Laptop
    process: subprocess.Popen
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def finish(self) -> str:
        try:
            _, log = self.process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise StepFailed(f"{self.laptop.name}: fieldkit sync serve --once did not stop after its session") from None
        return log


def sync(client: Laptop, server: Laptop, *, check: bool = True) -> tuple[subprocess.CompletedProcess, str]:
    """`client` runs `fieldkit sync with` against `server`'s `sync serve --once`."""
    serving = server.serve_once()
    try:
        done = client.run("sync", "with", serving.address, check=check)
    finally:
        log = serving.finish()
    return done, log


def moved(summary: str) -> tuple[int, int]:
    """(sent, received) from the sentence `fieldkit sync with` prints."""
    found = re.search(r"sent (\d+), received (\d+)", summary)
    if not found:
        raise StepFailed(f"not a sync summary: {summary!r}")
    return int(found[1]), int(found[2])
