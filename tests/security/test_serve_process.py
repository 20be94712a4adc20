"""A real `fieldkit sync serve` process takes every killer frame and still syncs a real `fieldkit sync with`."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fieldkit.people.registry import add_person
from sync.enroll import revoke_device
from tests.security.hostile import client_context, held_open, killer_frames, send_and_wait
from tests.syncing.conftest import PASSPHRASE
from tests.syncing.kit import canonical_dump

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "FIELDKIT_PASSPHRASE": PASSPHRASE}


@pytest.fixture
def serve_process():
    """serve_process(db) -> (process, port, lines): `fieldkit sync serve` on a free port, its
    standard error as a queue of lines; interrupted (Ctrl+C) after the test."""
    started = []

    def _start(db: Path):
        process = subprocess.Popen(
            [sys.executable, "-m", "fieldkit", "sync", "serve", "--db", str(db), "--port", "0"],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        started.append(process)
        out: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: out.put(process.stdout.readline()), daemon=True).start()
        try:
            line = out.get(timeout=20)
        except queue.Empty:
            pytest.fail("fieldkit sync serve did not start listening within 20 s")
        assert "127.0.0.1:" in line, line
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in process.stderr], daemon=True).start()
        return process, int(line.split("127.0.0.1:")[1].split()[0]), lines

    yield _start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _logged(lines: queue.Queue, wanted: list[str], within: float = 10.0) -> list[str]:
    """Read log lines until each of `wanted` is in a line of its own (bounded); the ones missing."""
    missing = list(wanted)
    try:
        while missing:
            line = lines.get(timeout=within)
            found = next((reason for reason in missing if reason in line), None)
            if found is not None:
                missing.remove(found)
    except queue.Empty:
        pass
    return missing


def test_the_serve_process_outlives_every_killer_frame_and_syncs_a_real_laptop(
    coordinator, enroll, serve_process
):
    desk, lost = enroll("desk-2", "desk"), enroll("desk-9", "desk")
    add_person(coordinator, "Ana Lima")
    revoke_device(coordinator, "desk-9", "lost")
    before = canonical_dump(coordinator)
    process, port, lines = serve_process(coordinator.path)
    address = ("127.0.0.1", port)

    killers = killer_frames(desk)
    with held_open(address, 20):  # and 20 idle strangers while it happens
        for _, payload, _ in killers:
            send_and_wait(address, payload, client_context(desk))
        send_and_wait(address, killers[0][1], client_context(lost))  # a revoked laptop's killer frame

    assert _logged(lines, [reason for _, _, reason in killers] + ["certificate revoked"]) == []  # desk-9, in the handshake
    assert process.poll() is None, "fieldkit sync serve stopped"
    assert canonical_dump(coordinator) == before

    add_person(desk, "Bo Chen")
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "sync", "with", f"127.0.0.1:{port}", "--db", str(desk.path)],
        env=ENV, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Synced with coordinator: sent 1, received")
    assert coordinator.db.execute("SELECT count(*) FROM people").fetchone() == (2,)
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=10)
    assert "Traceback" not in rest
