"""Migrations from measurement on (m060-), one function per step; schema.py registers STEPS in order.

Append new steps at the end of STEPS: never edit or reorder one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldkit.names import fold_name
from fieldkit.store.desk_upgrade import empty_what_desks_no_longer_hold
from fieldkit.store.feeds import chain_own_history
from fieldkit.store.synced import FACT, create_synced_table

# -- measurement ---------------------------------------------------------


def m060_report_reads(db: Database) -> None:
    # The report reads every person's latest consent fact per purpose, every timer's facts in
    # order, and every referral's steps. With these covering indexes each is one pass in
    # index order, without a sort or a lookup into the table. The consent index starts with
    # `purpose`, so the index on purpose alone goes. None of them is on the check-in path.
    db.execute(
        "CREATE INDEX consent_facts_latest ON consent_facts"
        " (purpose, person_id, at, hlc, action, decision, text_version, text_sha256, valid_until)"
    )
    db.execute("DROP INDEX IF EXISTS idx_consent_facts_purpose")
    db.execute(
        "CREATE INDEX intent_timer_events_runs ON intent_timer_events (event_id, timer_id, hlc, kind, at, category)"
    )
    db.execute("CREATE INDEX referral_status_steps ON referral_status (referral_id, status, at)")


# -- the desk's screens (issue 14) -----------------------------------------------


def m061_desk_search_tickets_and_voids(db: Database) -> None:
    # Names fold to ASCII now (`lukasz` finds Łukasz): every laptop re-folds its own rows.
    rows = db.execute("SELECT id, display_name FROM people WHERE display_name IS NOT NULL").fetchall()
    db.conn.executemany("UPDATE people SET search_name = ? WHERE id = ?", [(fold_name(n), i) for i, n in rows])
    # Found by email (where kept), by order code or attendee number; the party of an order.
    db.execute("CREATE INDEX people_by_email ON people (lower(email))")
    db["registrations"].add_column("order_ref", str)
    db["registrations"].add_column("party_size", int)
    db.execute("CREATE INDEX registrations_by_number ON registrations (upper(external_id))")
    db.execute("CREATE INDEX registrations_by_order ON registrations (upper(order_ref))")
    # A platform ticket's secret as HMAC-SHA256 (it is a bearer credential): the digest is the id.
    create_synced_table(db, "ticket_secrets", FACT, {"registration_id": str, "source": str})
    # A registration taken back (a walk-in undone at the desk): a fact, never a delete.
    create_synced_table(
        db, "registration_voids", FACT, {"registration_id": str, "reason": str, "desk": str, "voided_at": str}
    )
    db["registration_voids"].create_index(["registration_id"])


# -- scoping by field (issue 11) ----------------------------------------------------


def m062_desks_hold_no_contact_details(db: Database) -> None:
    # Desks no longer receive contact details, consent methods or witnesses (desk_upgrade.py).
    empty_what_desks_no_longer_hold(db)


# -- measurement, continued ----------------------------------------------------


def m063_report_people(db: Database) -> None:
    # The report counts each event's people: registrations in (event, person) order, and
    # whether each was made at the desk, from this index alone (no sort, no table reads).
    # Not on the check-in path; a walk-in writes one more index entry.
    db.execute("CREATE INDEX registrations_people ON registrations (event_id, person_id, source)")


# -- provenance and authority (issue 11) -------------------------------


def m064_provenance(db: Database) -> None:
    # Each change's link in its origin's hash chain and what proves it without its content
    # (chain.py): this laptop's own changes are chained now; others' received before this
    # upgrade keep NULL in both and are never relayed (docs/sync-protocol.md "Upgrading").
    db.execute("ALTER TABLE changes ADD COLUMN hash BLOB")
    db.execute("ALTER TABLE changes ADD COLUMN proof BLOB")
    # Heads of other laptops' feeds, signed by them, kept to relay their changes (local).
    db.execute(
        "CREATE TABLE feed_signatures (origin TEXT NOT NULL, seq INTEGER NOT NULL, signature BLOB NOT NULL,"
        " PRIMARY KEY (origin, seq)) WITHOUT ROWID"
    )
    # A revocation names the revoked laptop's last change the coordinator accepted, and its hash.
    db.execute("ALTER TABLE device_revocations ADD COLUMN last_seq INTEGER")
    db.execute("ALTER TABLE device_revocations ADD COLUMN last_hash TEXT")
    chain_own_history(db)


def m065_revocation_lists(db: Database) -> None:
    # A revocation carries the event CA's certificate revocation list as of it (PEM, naming
    # every revoked laptop's certificate), so every laptop refuses them in the TLS handshake.
    db.execute("ALTER TABLE device_revocations ADD COLUMN crl TEXT")


# -- measurement, continued (issue 13) ------------------------------------------


def m066_report_checkins(db: Database) -> None:
    # The report reads each registration's check-ins while it walks the registrations in
    # (event, person) order: the registrations' index carries the id to look them up by, and
    # the check-ins' index by registration carries their time and desk, so neither table is
    # read. That index replaces the one on registration_id alone (the desk's lookups use it
    # the same way, and a check-in still writes one entry there, a little longer).
    db.execute("DROP INDEX IF EXISTS registrations_people")
    db.execute("CREATE INDEX registrations_people ON registrations (event_id, person_id, source, id)")
    db.execute("DROP INDEX IF EXISTS idx_checkins_registration_id")
    db.execute("CREATE INDEX checkins_by_registration ON checkins (registration_id, checked_in_at, desk)")


# Each referral's first date of each step, kept beside its facts by triggers (local, never
# synced: every laptop derives it from the referral_status facts it holds). A step's first
# date is a min(), so the summary holds at any report date: a step whose first date is after
# the report date had not happened by then. Inserted facts lower a date; a fact that goes (a
# purge) or changes (a migration) makes its referral's row be worked out again from its facts.
_STEP_COLUMNS = {
    "vetted_at": "status = 'vetted'",
    "booked_at": "status = 'booked'",
    "first_at": "status = 'first_session'",
    "third_at": "status = 'third_session'",
    "ended_at": "status IN ('declined', 'expired')",
}
_STEP_MINS = ", ".join(f"min(at) FILTER (WHERE {where})" for where in _STEP_COLUMNS.values())
_STEP_FACT = "at IS NOT NULL AND referral_id IS NOT NULL AND status IN ('vetted', 'booked', 'first_session', 'third_session', 'declined', 'expired')"


def _steps_again(referral: str) -> str:
    return (
        f"DELETE FROM referral_steps WHERE referral_id = {referral};"
        f" INSERT INTO referral_steps (referral_id, {', '.join(_STEP_COLUMNS)}) SELECT referral_id, {_STEP_MINS} FROM referral_status"
        f" WHERE referral_id = {referral} AND {_STEP_FACT} GROUP BY referral_id;"
    )


def m067_referral_steps(db: Database) -> None:
    columns = ", ".join(f"{name} TEXT" for name in _STEP_COLUMNS)
    # Each date's Julian day, worked out once here, not at each report.
    days = ", ".join(f"{name[:-3]}_day REAL AS (julianday({name})) STORED" for name in _STEP_COLUMNS if name != "vetted_at")
    db.execute(f"CREATE TABLE referral_steps (referral_id TEXT PRIMARY KEY, {columns}, {days}) WITHOUT ROWID")
    news = ", ".join(f"iif(NEW.{where}, NEW.at)" for where in _STEP_COLUMNS.values())
    lower = ", ".join(
        f"{name} = iif(excluded.{name} IS NOT NULL AND (referral_steps.{name} IS NULL OR excluded.{name} < referral_steps.{name}),"
        f" excluded.{name}, referral_steps.{name})"
        for name in _STEP_COLUMNS
    )
    new_fact = _STEP_FACT.replace("at IS", "NEW.at IS").replace("referral_id IS", "NEW.referral_id IS").replace("status IN", "NEW.status IN")
    db.execute(
        f"CREATE TRIGGER referral_steps_added AFTER INSERT ON referral_status WHEN {new_fact} BEGIN"
        f" INSERT INTO referral_steps (referral_id, {', '.join(_STEP_COLUMNS)}) VALUES (NEW.referral_id, {news}) ON CONFLICT (referral_id) DO UPDATE SET {lower}; END"
    )
    db.execute(f"CREATE TRIGGER referral_steps_removed AFTER DELETE ON referral_status BEGIN {_steps_again('OLD.referral_id')} END")
    db.execute(
        "CREATE TRIGGER referral_steps_changed AFTER UPDATE ON referral_status BEGIN"
        f" {_steps_again('OLD.referral_id')} {_steps_again('NEW.referral_id')} END"
    )
    db.execute(
        f"INSERT INTO referral_steps (referral_id, {', '.join(_STEP_COLUMNS)})"
        f" SELECT referral_id, {_STEP_MINS} FROM referral_status WHERE {_STEP_FACT} GROUP BY referral_id"
    )


# -- check-in speed --------------------------------------------------------------------------


def m068_checkins_without_time_index(db: Database) -> None:
    # The newest check-ins (the desk's last ones, undo) are found by walking the laptops' feeds
    # (fieldkit/checkin/lookup.py latest_checkins), not by an index on their time: one page less
    # to encrypt and write on every check-in. The report never read it (m066's index).
    db.execute("DROP INDEX IF EXISTS idx_checkins_checked_in_at")


STEPS = (
    m060_report_reads,
    m061_desk_search_tickets_and_voids,
    m062_desks_hold_no_contact_details,
    m063_report_people,
    m064_provenance,
    m065_revocation_lists,
    m066_report_checkins,
    m067_referral_steps,
    m068_checkins_without_time_index,
)
