"""An event database made before provenance: its own changes are chained at the upgrade, others' are kept and never relayed."""

from __future__ import annotations

from fieldkit.people.registry import add_person
from fieldkit.store import open_store
from fieldkit.store.schema import schema_version
from sync.transport import sync_with
from tests.syncing.conftest import PASSPHRASE


def _as_before_provenance(path) -> None:
    """Make the database what the code before m064 left: no hashes, proofs, signatures or limits."""
    store = open_store(path, PASSPHRASE)
    db = store.db
    for statement in (
        "DROP TABLE feed_signatures",
        "ALTER TABLE changes DROP COLUMN hash",
        "ALTER TABLE changes DROP COLUMN proof",
        "ALTER TABLE device_revocations DROP COLUMN last_seq",
        "ALTER TABLE device_revocations DROP COLUMN last_hash",
        "DELETE FROM _sqlite_migrations WHERE name = 'm064_provenance'",
    ):
        db.execute(statement)
    db.execute("UPDATE fieldkit_meta SET value = ? WHERE key = 'schema_version'", [str(schema_version() - 1)])
    db.conn.commit()
    store.close()


def _people(store):
    return {r[0] for r in store.db.execute("SELECT display_name FROM people")}


def test_own_changes_are_chained_at_the_upgrade_and_others_come_from_their_origin(coordinator, enroll, serving):
    desk = enroll("desk-2", "desk")
    add_person(coordinator, "Ana Lima")
    add_person(desk, "Bo Chen")
    sync_with(desk, *serving(coordinator))
    me = coordinator.device_id
    own = "SELECT seq, hash, proof FROM changes WHERE origin = ? ORDER BY seq"
    chained = coordinator.db.execute(own, [me]).fetchall()
    path = coordinator.path
    coordinator.close()

    _as_before_provenance(path)
    upgraded = open_store(path, PASSPHRASE)
    # The same chain, from the content it holds (nothing was written over or purged here).
    assert upgraded.db.execute(own, [me]).fetchall() == chained
    assert upgraded.db.execute("SELECT count(*) FROM changes WHERE origin = ? AND hash IS NULL",
                               [desk.device_id]).fetchone() == (1,)

    later = enroll("desk-3", "desk", event=upgraded)
    address = serving(upgraded)
    sync_with(later, *address)
    assert _people(later) == {"Ana Lima"}  # desk-2's change from before the upgrade is not relayed

    add_person(desk, "Cy Diaz")
    sync_with(desk, *address)  # desk-2's next run follows its old change: the hash is taken from the run
    assert upgraded.db.execute("SELECT hash IS NOT NULL, proof IS NULL FROM changes WHERE origin = ? AND seq = 1",
                               [desk.device_id]).fetchone() == (1, 1)
    sync_with(later, *address)
    assert _people(later) == {"Ana Lima"}  # still not: the old change itself stays unproven here
    sync_with(later, *serving(desk))  # its origin proves it
    assert _people(later) == _people(upgraded) == {"Ana Lima", "Bo Chen", "Cy Diaz"}
    upgraded.close()
