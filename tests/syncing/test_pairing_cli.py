"""Pairing between two real `fieldkit` processes on 127.0.0.1: `device pair` on one, `init --pair` on the other."""

from __future__ import annotations

import dataclasses
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_sync_cli import ENV, TEMPLATE, fieldkit

from fieldkit.cli import main
from fieldkit.store import open_store
from sync.pairing_code import SENTENCES, parse_code
from tests.conftest import SAMPLE_EVENTS

REGISTRATIONS = SAMPLE_EVENTS / "wellbeing-popup-registrations.csv"


class Coordinator:
    """`fieldkit device pair` running in its own process, its output read line by line (bounded waits)."""

    def __init__(self, db: Path, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fieldkit", "device", "pair", "desk-2", "--role", "desk", "--db", str(db),
             "--interface", "127.0.0.1", *args],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")

    def line_starting(self, prefix: str, timeout: float = 30) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.process.kill()
                pytest.fail(f"`fieldkit device pair` printed no line starting {prefix!r} within {timeout} s")
            self.seen.append(line)
            if line.startswith(prefix):
                return line
            if line == "" and self.process.poll() is not None:
                pytest.fail(f"`fieldkit device pair` ended: {self.process.stderr.read()}")

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        self.process.wait(timeout=timeout)
        while (line := self.lines.get(timeout=5)) != "":
            self.seen.append(line)
        return self.process.returncode, "\n".join(self.seen), self.process.stderr.read()


@pytest.fixture
def coordinator_db(tmp_path) -> Path:
    db = tmp_path / "coordinator.db"
    fieldkit("init", str(TEMPLATE), "--db", str(db))
    fieldkit("import", "registrations", str(REGISTRATIONS), "--db", str(db))
    return db


def _registrations(db: Path) -> int:
    store = open_store(db, ENV["FIELDKIT_PASSPHRASE"])
    try:
        return store.db.execute("SELECT count(*) FROM registrations").fetchone()[0]
    finally:
        store.close()


def _roster(db: Path) -> str:
    return fieldkit("device", "list", "--db", str(db)).stdout


def test_pairing_by_code_between_two_processes_ends_with_the_first_sync(coordinator_db, tmp_path):
    coordinator = Coordinator(coordinator_db)
    code = coordinator.line_starting("Pairing code: ").split(": ", 1)[1]
    laptop = tmp_path / "desk.db"
    joined = fieldkit("init", "--pair", code, "--db", str(laptop), "--interface", "127.0.0.1")
    status, said, errors = coordinator.finish()
    assert status == 0, errors
    laptop_words = [line for line in joined.stdout.splitlines() if line.startswith("Verification words: ")]
    coordinator_words = [line for line in said.splitlines() if line.startswith("Verification words: ")]
    assert len(laptop_words) == len(coordinator_words) == 1
    assert laptop_words[0].split("(")[0] == coordinator_words[0].split("(")[0]
    assert any("█" in line for line in said.splitlines()), "no QR code was drawn"
    assert "Paired desk-2 (desk)." in said and "Synced with desk-2: sent " in said
    assert "Joined Northside Wellbeing Pop-up as desk-2 (desk)" in joined.stdout
    assert "Synced with coordinator: sent 0, received " in joined.stdout
    assert _registrations(laptop) == _registrations(coordinator_db) > 0
    assert "desk-2" in _roster(coordinator_db)


def test_a_wrong_code_is_one_sentence_on_each_laptop_and_changes_nothing(coordinator_db, tmp_path):
    roster_before = _roster(coordinator_db)
    coordinator = Coordinator(coordinator_db)
    code = parse_code(coordinator.line_starting("Pairing code: ").split(": ", 1)[1])
    wrong = dataclasses.replace(code, secret=bytes(b ^ 0x5A for b in code.secret)).text
    laptop = tmp_path / "desk.db"
    refused = fieldkit("init", "--pair", wrong, "--db", str(laptop), "--interface", "127.0.0.1", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"Error: {SENTENCES['pairing_wrong_code']}"
    assert list(tmp_path.glob("desk.db*")) == []
    status, said, errors = coordinator.finish()
    assert status == 1 and errors.strip().startswith("Error: A laptop at 127.0.0.1 entered a wrong pairing code")
    assert len(errors.strip().splitlines()) == 1 and "Paired" not in said
    assert _roster(coordinator_db) == roster_before


def test_a_code_nobody_uses_expires_with_one_sentence(coordinator_db):
    roster_before = _roster(coordinator_db)
    status, said, errors = Coordinator(coordinator_db, "--timeout", "1").finish(timeout=30)
    assert status == 1
    assert errors.strip() == (
        "Error: Nobody paired within 1 second, so the code expired and nobody was enrolled: "
        "run `fieldkit device pair` again when the new laptop is ready."
    )
    assert "Pairing code: FKP1-" in said and _roster(coordinator_db) == roster_before


@pytest.mark.parametrize("args, message", [
    (["--pair", "FKP1-NOT-A-CODE"], SENTENCES["pairing_malformed"]),
    (["--pair", "FKP1-8ZY767", str(TEMPLATE)], "Give one of a TEMPLATE, --pair CODE or --join FILE."),
    (["--pair", "FKP1-8ZY767", "--interface", "wlan0"], "wlan0 is not an IPv4 address"),
])
def test_init_refuses_a_bad_pairing_request_before_anything_is_written(tmp_path, args, message):
    db = tmp_path / "desk.db"
    result = CliRunner().invoke(main, ["init", *args, "--db", str(db)], env={"FIELDKIT_PASSPHRASE": "x" * 12})
    assert result.exit_code != 0 and message in result.output
    assert not db.exists()


def test_a_short_database_passphrase_is_refused_before_the_pairing_code_is_spent(coordinator_db, tmp_path):
    coordinator = Coordinator(coordinator_db)
    code = coordinator.line_starting("Pairing code: ").split(": ", 1)[1]
    laptop = tmp_path / "desk.db"
    short = subprocess.run(
        [sys.executable, "-m", "fieldkit", "init", "--pair", code, "--db", str(laptop), "--interface", "127.0.0.1"],
        env={**ENV, "FIELDKIT_PASSPHRASE": "abc"}, capture_output=True, text=True, timeout=60,
    )
    assert short.returncode == 1 and "Looking for the coordinator" not in short.stdout
    assert short.stderr.strip() == (
        "Error: A database passphrase needs 12 characters or more: choose a longer one, a few words you will remember."
    )
    assert list(tmp_path.glob("desk.db*")) == []
    fieldkit("init", "--pair", code, "--db", str(laptop), "--interface", "127.0.0.1")  # the same code still works
    status, said, errors = coordinator.finish()
    assert status == 0, errors
