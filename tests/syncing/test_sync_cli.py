"""Two real `fieldkit` processes syncing over TLS on 127.0.0.1, enrolled by join file."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fieldkit.store import open_store
from fieldkit.tokens import PASS, sign_token
from tests.conftest import SAMPLE_EVENTS

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = SAMPLE_EVENTS / "wellbeing-popup.toml"
ENV = {
    **os.environ,
    "PYTHONPATH": str(REPO_ROOT),
    "FIELDKIT_PASSPHRASE": "db passphrase for tests",
    "FIELDKIT_JOIN_PASSPHRASE": "join passphrase for tests",
}


def fieldkit(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", *args], env=ENV, capture_output=True, text=True, timeout=60
    )
    if check and done.returncode != 0:
        raise AssertionError(f"fieldkit {' '.join(args)} failed: {done.stderr}")
    return done


def serve_once(db: Path) -> tuple[subprocess.Popen, int]:
    """Start `fieldkit sync serve --once` on a free port; wait (bounded) until it listens."""
    server = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "sync", "serve", "--db", str(db), "--port", "0", "--once"],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(server.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=20)
    except queue.Empty:
        server.kill()
        pytest.fail("fieldkit sync serve did not start listening within 20 s")
    assert "127.0.0.1:" in line, line + server.stderr.read()
    return server, int(line.split("127.0.0.1:")[1].split()[0])


@pytest.fixture
def two_laptops(tmp_path):
    coordinator, desk, join = tmp_path / "coordinator.db", tmp_path / "desk.db", tmp_path / "desk.join"
    fieldkit("init", str(TEMPLATE), "--db", str(coordinator))
    fieldkit("device", "enroll", "desk-2", "--role", "desk", "--db", str(coordinator), "--out", str(join))
    fieldkit("init", "--join", str(join), "--db", str(desk))
    return coordinator, desk


def _passes(db: Path, count: int) -> list[str]:
    """Pass codes for the first registrations, signed by the event key (as printed passes are)."""
    store = open_store(db, ENV["FIELDKIT_PASSPHRASE"])
    try:
        ids = [r[0] for r in store.db.execute("SELECT id FROM registrations ORDER BY id LIMIT ?", [count])]
        return [sign_token(store, PASS, registration) for registration in ids]
    finally:
        store.close()


def _checkins(db: Path) -> set[str]:
    store = open_store(db, ENV["FIELDKIT_PASSPHRASE"])
    try:
        return {r[0] for r in store.db.execute("SELECT registration_id FROM checkins")}
    finally:
        store.close()


def _sync(coordinator: Path, desk: Path) -> str:
    server, port = serve_once(coordinator)
    done = fieldkit("sync", "with", f"127.0.0.1:{port}", "--db", str(desk))
    server.wait(timeout=30)
    return done.stdout


def test_a_checkin_on_each_laptop_reaches_both_and_a_second_sync_moves_nothing(two_laptops):
    coordinator, desk = two_laptops
    csv = SAMPLE_EVENTS / "wellbeing-popup-registrations.csv"
    fieldkit("import", "registrations", str(csv), "--db", str(coordinator))
    first = _sync(coordinator, desk)
    assert "Synced with coordinator: sent 0, received" in first and "already had 0" in first

    at_coordinator, at_desk = _passes(coordinator, 2)
    fieldkit("checkin", at_coordinator, "--db", str(coordinator))
    fieldkit("checkin", at_desk, "--db", str(desk))
    both = _sync(coordinator, desk)
    assert "sent 1, received 1 (applied 1, already had 0)" in both
    assert len(_checkins(coordinator)) == 2 and _checkins(coordinator) == _checkins(desk)

    again = _sync(coordinator, desk)
    assert "sent 0, received 0 (applied 0, already had 0)" in again


def test_a_revoked_laptop_is_refused_with_a_sentence(two_laptops):
    coordinator, desk = two_laptops
    fieldkit("device", "revoke", "desk-2", "--db", str(coordinator))
    server, port = serve_once(coordinator)
    refused = fieldkit("sync", "with", f"127.0.0.1:{port}", "--db", str(desk), check=False)
    server.wait(timeout=30)
    assert refused.returncode != 0 and "revoked" in refused.stderr
    assert "refused" in server.stderr.read()


@pytest.mark.parametrize(
    "args, message",
    [
        (["sync", "with", "nonsense"], "is not HOST:PORT"),
        (["init"], "Give a TEMPLATE"),
        (["init", "--join", "JOIN", str(TEMPLATE)], "Give one of a TEMPLATE, --pair CODE or --join FILE."),
    ],
)
def test_bad_input_gets_one_sentence(tmp_path, args, message):
    join = tmp_path / "desk.join"
    join.write_bytes(b"not a join file")
    args = [str(join) if a == "JOIN" else a for a in args]
    done = fieldkit(*args, "--db", str(tmp_path / "new.db"), check=False)
    assert done.returncode != 0 and message in done.stderr
    assert not (tmp_path / "new.db").exists()


def test_two_laptops_from_one_join_file_are_refused_in_one_sentence(two_laptops, tmp_path):
    coordinator, desk = two_laptops
    twin = tmp_path / "twin.db"
    fieldkit("init", "--join", str(tmp_path / "desk.join"), "--db", str(twin))
    csv = SAMPLE_EVENTS / "wellbeing-popup-registrations.csv"
    fieldkit("import", "registrations", str(csv), "--db", str(coordinator))
    _sync(coordinator, desk)
    fieldkit("checkin", _passes(coordinator, 1)[0], "--db", str(desk))
    _sync(coordinator, desk)  # the coordinator now holds desk-2's check-in
    server, port = serve_once(coordinator)
    refused = fieldkit("sync", "with", f"127.0.0.1:{port}", "--db", str(twin), check=False)
    server.wait(timeout=30)
    sentence = (
        "Two laptops are using the identity of desk-2: re-enroll one of them with `fieldkit device enroll` "
        "and a new join file; nothing was synced."
    )
    assert refused.returncode != 0 and refused.stderr.strip() == f"Error: {sentence}"
    assert sentence in server.stderr.read()


def test_the_report_names_the_laptops_nothing_of_which_reached_this_laptop(coordinator, enroll):
    # A coordinator merging on the train: desk-2 synced only with desk-1, which does not relay
    # another laptop's writes to a laptop that may hold more. The report says whose are missing.
    from click.testing import CliRunner

    from fieldkit.cli import main
    from fieldkit.people.registry import add_person
    from tests.syncing.conftest import PASSPHRASE
    from tests.syncing.kit import pull

    desk1, desk2 = enroll("desk-1"), enroll("desk-2")
    add_person(desk1, "Ana Lima")
    add_person(desk2, "Bo Chen")
    pull(desk1, desk2)

    def report():
        return CliRunner().invoke(main, ["report", "--db", str(coordinator.path), "--json"],
                                  env={"FIELDKIT_PASSPHRASE": PASSPHRASE})

    pull(coordinator, desk1)
    before = report()
    assert before.exit_code == 0
    assert "Nothing from desk-2 is on this laptop: if they recorded anything, it is not counted here." in before.stderr
    pull(coordinator, desk2)
    after = report()
    assert after.exit_code == 0 and "Nothing from" not in after.stderr
    # A laptop that synced here by itself and recorded nothing is not named: nothing is missing.
    from sync.peers import PeerRecord, save_peers

    spare = enroll("desk-3")
    assert "Nothing from desk-3 is on this laptop" in report().stderr
    save_peers(coordinator, {spare.device_id: PeerRecord(device_id=spare.device_id, name="desk-3", last_sync=1.0e9)})
    assert "Nothing from" not in report().stderr
