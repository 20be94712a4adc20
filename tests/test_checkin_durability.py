"""Durability: a check-in the desk acknowledged survives SIGKILL of the process mid-burst."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from fieldkit.checkin.passes import pass_cards
from fieldkit.people.registry import add_person, add_registration
from sync.enroll import enroll_device, join_event
from tests.conftest import PASSPHRASE, REPO_ROOT
from tests.syncing.kit import pull

PEOPLE = 400
KILL_AFTER = 60


def test_acknowledged_checkins_survive_sigkill(store, db_path, reopen, tmp_path):
    with store.transaction():
        for number in range(PEOPLE):
            add_registration(store, add_person(store, f"Burst Person {number}"), source="test")
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("\n".join(card.token for card in pass_cards(store)), encoding="ascii")
    bundle = enroll_device(store, "peer", "coordinator")
    store.close()

    child = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "tests" / "checkin_burst.py"), str(db_path), PASSPHRASE, str(tokens)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged = []
    try:
        assert child.stdout.readline().strip() == "ready"
        while len(acknowledged) < KILL_AFTER:
            line = child.stdout.readline()
            assert line, "the child stopped before the kill"
            acknowledged.append(line.strip())
        child.send_signal(signal.SIGKILL)  # mid-burst: it is still checking people in
        child.wait(timeout=10)
        # Anything it acknowledged between our last read and the kill counts too.
        acknowledged += [line.strip() for line in child.stdout.read().splitlines() if line.strip()]
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert len(acknowledged) < PEOPLE, "the burst finished before the kill: raise PEOPLE"

    after = reopen()
    assert after.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {row[0] for row in after.db.execute("SELECT id FROM checkins")}
    missing = [checkin_id for checkin_id in acknowledged if checkin_id not in stored]
    assert not missing, f"{len(missing)} acknowledged check-ins were lost"
    # Each row and its change-log entry were committed together.
    logged = {row[0] for row in after.db.execute("SELECT row_id FROM changes WHERE tbl = 'checkins'")}
    assert stored == logged
    # Killed before it chained them (the desk does that when idle): they are chained when
    # first sent, and another laptop accepts every one.
    peer = join_event(tmp_path / "peer.db", PASSPHRASE, bundle)
    pull(peer, after)
    assert stored <= {row[0] for row in peer.db.execute("SELECT id FROM checkins")}
    peer.close()
