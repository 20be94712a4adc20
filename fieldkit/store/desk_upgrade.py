"""What a desk empties when Field Kit is upgraded on it: the fields desks no longer receive.

Desks used to receive every field of `people` and `consent_facts`; since scoping by field
(sync/scope.py FIELD_ROLES) they receive neither email and phone nor how consent was given
and who witnessed it. Migration m062 calls this on every database; only a desk's changes
anything. Its own writes stay (they may not have reached another laptop yet). Nothing is
logged, so nothing of it syncs, and a desk never relays others' writes of these tables to
a laptop that may hold more (docs/sync-protocol.md "Scoping").
"""

from __future__ import annotations

from sqlite_utils import Database

# What m062 empties: the fields FIELD_ROLES keeps from desks as of that migration (a test checks
# they agree; a later change to scoping needs a migration of its own).
DESK_FIELDS_PURGED_AT_UPGRADE = {"people": ("email", "phone"), "consent_facts": ("method", "witness")}


def empty_what_desks_no_longer_hold(db: Database) -> None:
    meta = dict(db.execute("SELECT key, value FROM fieldkit_meta WHERE key IN ('role', 'device_id')").fetchall())
    if meta.get("role") != "desk":
        return
    me = meta["device_id"]
    for name in DESK_FIELDS_PURGED_AT_UPGRADE["people"]:
        # Kept where this laptop wrote the value itself (its field clock names it).
        db.execute(
            f"UPDATE people SET [{name}] = NULL WHERE [{name}] IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
            f" field_clocks f WHERE f.tbl = 'people' AND f.row_id = people.id AND f.field = ? AND f.origin = ?)",
            [name, me],
        )
    assignments = ", ".join(f"[{n}] = NULL" for n in DESK_FIELDS_PURGED_AT_UPGRADE["consent_facts"])
    db.execute(f"UPDATE consent_facts SET {assignments} WHERE origin != ?", [me])
