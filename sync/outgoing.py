"""What this laptop sends a peer: its feed beyond the peer's watermarks, scoped to the peer's
role (whole tables, then fields), proven and signed, as batch frames.

One path for the session (sync/protocol.py) and for the tests that play a peer without a
socket, so that what they check is what a laptop sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fieldkit.store.store import Store
from sync import feed, scope
from sync.batches import encoded_runs
from sync.trust import accepted_until, feed_signer


def frames_for(
    store: Store, peer_role: str, their_marks: dict[str, int], limit: int = feed.DEFAULT_BATCH
) -> Iterator[list[dict[str, Any]]]:
    """For each batch of the feed, the frames that carry it (more than one if it is over the
    frame limit); FrameError if one signed run cannot fit a frame."""
    for frames in encoded_frames_for(store, peer_role, their_marks, limit):
        yield [message for message, _wire in frames]


def encoded_frames_for(
    store: Store, peer_role: str, their_marks: dict[str, int], limit: int = feed.DEFAULT_BATCH
) -> Iterator[list[tuple[dict[str, Any], bytes]]]:
    """The frames of `frames_for`, each with its bytes as sent (what a session sends)."""
    sign = feed_signer(store)
    incomplete = scope.held_in_part(store.role, store.device_id, peer_role)
    for runs in feed.batches(
        store,
        their_marks,
        limit,
        may_hold=lambda table: scope.may_receive(peer_role, table),
        accepted_until=accepted_until(store),
        incomplete=incomplete,
    ):
        for run in runs:  # fields the peer's role may not hold travel as their digests only
            run.changes = scope.scoped(run.changes, peer_role)
        yield encoded_runs(runs, sign, scope.withheld_from_some_role)
