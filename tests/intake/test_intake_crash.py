"""A laptop that dies mid-conversation: timers written before a SIGKILL are all there after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

from fieldkit.intake import timers as it
from tests.conftest import PASSPHRASE, REPO_ROOT
from tests.intake.conftest import EVENT_DAY_11AM, Wall, use_wall

CHILD = """
import sys, time
from fieldkit.intake import timers as it
from fieldkit.store import open_store
from tests.intake.conftest import EVENT_DAY_11AM, Wall, use_wall

wall = Wall(EVENT_DAY_11AM)
store = use_wall(open_store(sys.argv[1], sys.argv[2]), wall)
ids = [it.start_timer(store).timer_id for _ in range(3)]
wall.advance(minutes=2)
it.pause_timer(store, ids[0])
it.stop_timer(store, ids[1], "book_session")
print(" ".join(ids), flush=True)
time.sleep(60)  # killed here, store never closed
"""


def test_timers_survive_sigkill(store, db_path, reopen):
    store.close()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path), PASSPHRASE],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        ids = child.stdout.readline().split()
        assert len(ids) == 3, "the child did not get as far as starting timers"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    wall = Wall(EVENT_DAY_11AM)
    wall.advance(minutes=5)
    again = use_wall(reopen(), wall)
    runs = {r.timer_id: r for r in it.all_timers(again)}
    assert runs[ids[0]].state == it.PAUSED and runs[ids[0]].elapsed(again.now()) == timedelta(minutes=2)
    assert runs[ids[1]].category == "book_session" and runs[ids[1]].elapsed(again.now()) == timedelta(minutes=2)
    assert runs[ids[2]].state == it.RUNNING and runs[ids[2]].elapsed(again.now()) == timedelta(minutes=5)
    assert [r.timer_id for r in it.open_timers(again)] == [ids[0], ids[2]]
