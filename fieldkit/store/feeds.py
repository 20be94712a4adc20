"""Each origin's feed as this laptop holds it: hashes at a number, the heads other laptops signed, and chaining this laptop's own history at the upgrade.

The signatures are kept (table `feed_signatures`, local) so this laptop can relay another
laptop's changes with that laptop's own signature: a relayed run always ends at a change
whose head its origin signed. See docs/sync-protocol.md "Provenance".
"""

from __future__ import annotations

from typing import Any

from fieldkit.store.chain import ZERO, body, link, proof_of
from fieldkit.store.changes import INSERT
from fieldkit.store.content import Content

_CHUNK = 2000


def hash_at(db: Any, origin: str, seq: int) -> bytes | None:
    """The hash of change `seq` of `origin` as held here (32 zero bytes before the first);
    None if it is not held or was received before provenance and never proven."""
    if seq == 0:
        return ZERO
    row = db.execute("SELECT hash FROM changes WHERE origin = ? AND seq = ?", [origin, seq]).fetchone()
    return row[0] if row else None


def first_unproven(db: Any, origin: str, after: int) -> int | None:
    """The first change of `origin` after `after` that this laptop cannot prove to others
    (received before the upgrade), or None."""
    row = db.execute(
        "SELECT min(seq) FROM changes WHERE origin = ? AND seq > ? AND proof IS NULL", [origin, after]
    ).fetchone()
    return row[0]


def signed_points(db: Any, origin: str, after: int, upto: int) -> list[int]:
    """The numbers of `origin`'s changes in (after, upto] whose head it signed, ascending."""
    rows = db.execute(
        "SELECT seq FROM feed_signatures WHERE origin = ? AND seq > ? AND seq <= ? ORDER BY seq",
        [origin, after, upto],
    )
    return [r[0] for r in rows]


def signature_at(db: Any, origin: str, seq: int) -> bytes | None:
    row = db.execute("SELECT signature FROM feed_signatures WHERE origin = ? AND seq = ?", [origin, seq]).fetchone()
    return row[0] if row else None


def keep_signature(db: Any, origin: str, seq: int, signature: bytes) -> None:
    """Keep a verified head signature of another laptop's feed, to relay it with its changes."""
    db.execute(
        "INSERT OR REPLACE INTO feed_signatures (origin, seq, signature) VALUES (?, ?, ?)", [origin, seq, signature]
    )


def adopt_hash(db: Any, origin: str, seq: int, head: bytes) -> None:
    """Record the hash a verified run proves for a change received before the upgrade, so
    the changes after it can be relayed (the change itself stays unprovable to others)."""
    db.execute("UPDATE changes SET hash = ? WHERE origin = ? AND seq = ? AND hash IS NULL", [head, origin, seq])


def chain_own_history(db: Any) -> int:
    """At the upgrade to provenance: chain and prove this laptop's own changes from the
    content it holds now; returns how many. A fact purged since, and fields written
    over since, are proven as they are held (docs/sync-protocol.md "Upgrading")."""
    meta = db.execute("SELECT value FROM fieldkit_meta WHERE key = 'device_id'").fetchone()
    return 0 if meta is None else seal_own(db, meta[0])


def seal_own(db: Any, origin: str) -> int:
    """Chain `origin`'s (this laptop's) changes that are not chained yet, in order, and prove
    each fact among them from its row; returns how many.

    The write path leaves this for later (Store.seal): a check-in is its fact and one log
    row, and its digests and hash are worked out in a batch before anything reads them
    (docs/sync-protocol.md "Sealing"). What is not sealed is always the newest of the feed.
    A record write and a purge keep the proof they were written with (their fields are not
    all held later); a change without one is proven from what is held now.
    """
    if not unsealed(db, origin):
        return 0
    # Back from the head to the newest change that is chained: the walk is as long as the work.
    sealed = db.execute(
        "SELECT seq, hash FROM changes WHERE origin = ? AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1", [origin]
    ).fetchone()
    after, prev = sealed if sealed else (0, ZERO)
    kinds = dict(db.execute("SELECT name, kind FROM synced_tables").fetchall())
    done = 0
    while True:
        rows = db.execute(
            "SELECT origin, seq, tbl, row_id, hlc, op, proof FROM changes WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
            [origin, after, _CHUNK],
        ).fetchall()
        if not rows:
            return done
        wanted: dict[str, list[str]] = {}
        for row in rows:
            if row[6] is None:
                wanted.setdefault(row[2], []).append(row[3])
        content = {t: Content.load(db, t, kinds[t], ids, tombstones=True) for t, ids in wanted.items() if t in kinds}
        updates = []
        for row in rows:
            _origin, seq, table, row_id, hlc, op, proof = row
            if proof is None:
                payload = content[table].payload(tuple(row[:6])) if table in content else None
                proof = b"" if payload is None and op == INSERT else proof_of(op, payload or {})
            prev = link(prev, origin, seq, table, body(row_id, hlc, op, proof))
            updates.append((prev, proof, origin, seq))
        db.conn.executemany("UPDATE changes SET hash = ?, proof = ? WHERE origin = ? AND seq = ?", updates)
        after, done = rows[-1][1], done + len(rows)


def unsealed(db: Any, origin: str) -> bool:
    """Whether `origin`'s newest change is not chained yet (one index seek)."""
    head = db.execute("SELECT hash FROM changes WHERE origin = ? ORDER BY seq DESC LIMIT 1", [origin]).fetchone()
    return head is not None and head[0] is None
