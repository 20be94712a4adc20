"""Telling when two laptops write under one device identity: the same (origin, seq) means two changes.

A laptop's changes are numbered 1, 2, 3... by the laptop itself, so an (origin, seq)
names exactly one change everywhere. Two laptops set up from one join file both
number their own changes under the same origin, and without a check sync would
take the first copy it met and silently skip the other as "already had". Each check
here compares what two laptops hold at the same (origin, seq); any difference means
the origin has forked. See docs/sync-protocol.md "Two laptops with one identity".
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from fieldkit.store.changes import WITHHELD, Change

if TYPE_CHECKING:
    from fieldkit.store.store import Store

LogEntry = Change  # a logged change or a RemoteChange: both name one change by (origin, seq)
HeadMark = tuple[str, str]  # (table, digest of the change; "" for a withheld placeholder)

def mark(entry: LogEntry) -> HeadMark:
    """What a hello says about a change: its table and a digest of the rest.

    A digest rather than the stamp and row id, so a desk learns nothing from the hello
    about changes its role may not hold (their placeholders carry only the table).
    """
    if entry.op == WITHHELD:
        return (entry.table, "")
    text = "\x1f".join((entry.table, entry.row_id, entry.hlc, entry.op))
    return (entry.table, hashlib.sha256(text.encode()).hexdigest()[:24])


def same_mark(a: HeadMark, b: HeadMark) -> bool:
    """Whether two marks can be the same change (a placeholder only tells its table)."""
    return a[0] == b[0] and (a[1] == b[1] or not a[1] or not b[1])


def same_change(held: LogEntry, received: LogEntry) -> bool:
    return same_mark(mark(held), mark(received))


def _entries_at(store: Store, origin: str, seqs: Iterable[int]) -> dict[int, Change]:
    seqs = sorted(set(seqs))
    rows = store.db.execute(
        "SELECT origin, seq, tbl, row_id, hlc, op FROM changes WHERE origin = ? AND seq BETWEEN ? AND ?",
        [origin, seqs[0], seqs[-1]],
    )
    wanted = set(seqs)
    return {row[1]: Change(*row) for row in rows if row[1] in wanted}


def clashing_origin(store: Store, already_held: Iterable[LogEntry]) -> str | None:
    """The origin of a received change that this laptop holds as a different change, if any."""
    by_origin: dict[str, list[LogEntry]] = defaultdict(list)
    for change in already_held:
        by_origin[change.origin].append(change)
    for origin, changes in by_origin.items():
        held = _entries_at(store, origin, (c.seq for c in changes))
        if any(c.seq in held and not same_change(held[c.seq], c) for c in changes):
            return origin
    return None


def forked_origin(
    store: Store,
    mine: Mapping[str, Change],
    their_device: str,
    their_marks: Mapping[str, int],
    their_heads: Mapping[str, HeadMark],
) -> str | None:
    """The origin whose history differs between this laptop and a peer's hello, if any.

    Each laptop's own log is the whole truth about its origin: a peer that holds more of
    this laptop's changes than it made, or that made fewer than this laptop holds of
    it, shares its identity with another laptop. For every other origin the side that
    holds more compares its change at the other's head.
    """
    me = store.device_id
    # Read now rather than from `mine`: this laptop may have written since its hello.
    made_here = store.db.execute("SELECT coalesce(max(seq), 0) FROM changes WHERE origin = ?", [me]).fetchone()[0]
    if their_marks.get(me, 0) > made_here:
        return me
    if _seq(mine, their_device) > their_marks.get(their_device, 0):
        return their_device
    for origin, seq in their_marks.items():
        if seq <= 0 or seq > _seq(mine, origin) or origin not in their_heads:
            continue  # the peer holds more of it: the peer compares at this laptop's head
        entry = mine[origin] if mine[origin].seq == seq else _entries_at(store, origin, [seq]).get(seq)
        if entry is None or not same_mark(mark(entry), their_heads[origin]):
            return origin
    return None


def _seq(heads: Mapping[str, Change], origin: str) -> int:
    entry = heads.get(origin)
    return entry.seq if entry is not None else 0
