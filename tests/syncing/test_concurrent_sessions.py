"""Two sessions at once with one serving laptop: what one brings in is not sent back by the other.

A laptop's sending is planned from the other's watermarks in its hello. When the serving
laptop takes in a change from a second session after that hello, it passes it on in this
session too; the laptop it reached must not then send it back as if the server lacked it.
"""

from __future__ import annotations

import socket
import threading

from fieldkit.people.registry import add_person
from sync.frames import Channel
from sync.protocol import Session
from tests.syncing.kit import canonical_dump, sync_pair


def _sync_while_the_server_takes_in(laptop, server, arriving) -> tuple:
    """Sync `laptop` (initiator) with `server`; `arriving()` runs on the server after the
    hellos, as another session's change landing at that moment would."""
    left, right = socket.socketpair()
    outcome = {}

    def respond() -> None:
        channel = Channel(right, timeout=10)
        session = Session(server, channel, initiator=False)
        session.on_start = lambda peer, theirs, mine: arriving()
        try:
            outcome["server"] = session.run()
        finally:
            channel.close()

    thread = threading.Thread(target=respond)
    thread.start()
    channel = Channel(left, timeout=10)
    try:
        outcome["laptop"] = Session(laptop, channel, initiator=True).run()
    finally:
        channel.close()
        thread.join(timeout=30)
    return outcome["laptop"], outcome["server"]


def test_a_change_the_server_took_in_after_the_hello_comes_over_once_and_is_not_sent_back(coordinator, enroll):
    practitioner = enroll("intake-1", "practitioner")
    sync_pair(practitioner, coordinator)  # up to date: the next sync moves only what follows
    add_person(practitioner, "Cy Diaz")
    laptop, served = _sync_while_the_server_takes_in(practitioner, coordinator, lambda: add_person(coordinator, "Bo Chen"))
    assert laptop.received == 1 and served.sent == 1  # Bo Chen, passed on at once
    assert laptop.sent == 1 and served.received == 1  # Cy Diaz only: Bo Chen is not sent back
    names = {r[0] for r in practitioner.db.execute("SELECT display_name FROM people")}
    assert names == {"Bo Chen", "Cy Diaz"}
    assert canonical_dump(practitioner)["people"] == canonical_dump(coordinator)["people"]
