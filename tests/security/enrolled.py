"""A hostile enrolled laptop: a real laptop of the event whose code the test changes, and what it sends.

Helpers, not tests: `tampered(store)` lets a laptop write what its role may not (its
own write path would refuse it), `full_state` is every table of a database for "nothing
changed", and `deliver` speaks the sync protocol as a laptop whose client was rewritten,
over a socketpair, to a victim running the real Session.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator

from fieldkit.store import Store
from fieldkit.store.changes import head_entries, watermarks
from sync import outgoing
from sync.frames import Channel, FrameError
from sync.protocol import ProtocolError, Session, SyncRefused, _hello


@contextlib.contextmanager
def tampered(store: Store) -> Iterator[Store]:
    """`store`'s write path with its authority check taken out, as on a laptop whose code was changed."""
    from fieldkit.store import store as store_module

    original = store_module.may_author
    store_module.may_author = lambda *_: True
    try:
        yield store
    finally:
        store_module.may_author = original


def full_state(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table of the database (change log with its hashes, signatures kept, meta)."""
    tables = [r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: sorted(map(tuple, store.db.execute(f"SELECT * FROM [{t}]")), key=repr) for t in tables}


def frames_for(sender: Store, receiver: Store) -> list[dict]:
    """The batch frames `sender` would send `receiver` now, as JSON would carry them."""
    found = []
    for messages in outgoing.frames_for(sender, receiver.role, watermarks(receiver)):
        found.extend(json.loads(json.dumps(m)) for m in messages)
    return found


@contextlib.contextmanager
def _with_victim(victim: Store, *, initiator: bool) -> Iterator[tuple[Channel, dict[str, object]]]:
    """The victim running the real Session over a socketpair; yields the attacker's end and, once
    the block ends and the victim is done, its outcome under "victim" (None, or its refusal)."""
    ours, theirs = socket.socketpair()
    outcome: dict[str, object] = {}

    def run() -> None:
        channel = Channel(theirs, timeout=10)
        try:
            Session(victim, channel, initiator=initiator).run()
            outcome["victim"] = None
        except (SyncRefused, ProtocolError) as exc:
            outcome["victim"] = exc
        finally:
            channel.close()  # as the server does: the other side then hears the hang-up at once

    thread = threading.Thread(target=run)
    thread.start()
    channel = Channel(ours, timeout=10)
    try:
        yield channel, outcome
    except (OSError, FrameError):  # the victim hung up after refusing: its outcome says why
        pass
    finally:
        channel.close()
        thread.join(timeout=20)


def deliver(victim: Store, sender: Store, frames: list[dict]) -> SyncRefused | ProtocolError | None:
    """Play a session as `sender` (hello as itself) that sends `frames` to `victim`; the victim's
    outcome: None if it took them, else its refusal."""
    with _with_victim(victim, initiator=False) as (channel, outcome):
        channel.send(_hello(sender, head_entries(sender)))
        if channel.recv()["type"] == "hello":
            while channel.recv()["type"] != "done":
                pass  # what the victim sends first
            _send_all(channel, frames)
            channel.recv()  # thanks, or the refusal
    return outcome["victim"]


def serve(victim: Store, sender: Store, frames: list[dict]) -> tuple[SyncRefused | ProtocolError | None, int]:
    """Play the serving side as `sender` (hello as itself) for `victim`, which starts a real
    Session: send `frames`, then take what the victim sends. The victim's outcome (None if it
    took them, else its refusal) and how many changes it sent."""
    taken = 0
    with _with_victim(victim, initiator=True) as (channel, outcome):
        channel.recv()  # the victim's hello
        channel.send(_hello(sender, head_entries(sender)))
        _send_all(channel, frames)
        while (message := channel.recv())["type"] == "batch":
            taken += len(message["changes"])
        channel.send({"type": "thanks"})
    return outcome["victim"], taken


def _send_all(channel: Channel, frames: list[dict]) -> None:
    for frame in frames:
        channel.send(frame)
    channel.send({"type": "done", "sent": sum(len(f["changes"]) for f in frames)})
