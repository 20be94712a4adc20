"""The database schema as ordered sqlite-utils migrations, and the synced-table registry.

Every synced table is either a *fact* table (append-only, merged by union) or a
*record* table (mutable fields merged last-writer-wins). Both carry `id` (ULID),
`origin` (the device that wrote the row) and `hlc` (the clock stamp of its last
write). Later issues append their migrations at the end of this file: never edit
or reorder one that has shipped.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from fieldkit.store import schema_later
from fieldkit.store.errors import NewerSchema, NotAFieldKitDatabase
from fieldkit.store.synced import FACT, RECORD, create_synced_table, register_synced

__all__ = ["FACT", "RECORD", "create_synced_table", "register_synced", "migrations", "schema_version"]

migrations = Migrations("fieldkit")

def known_migrations() -> list[str]:
    return [m.name for m in migrations._migrations]


def schema_version() -> int:
    """The schema version this code writes: the number of migrations it knows."""
    return len(known_migrations())


@migrations()
def m001_foundation(db: Database) -> None:
    db.execute("CREATE TABLE fieldkit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("CREATE TABLE synced_tables (name TEXT PRIMARY KEY, kind TEXT NOT NULL)")
    # The change log: one row per write, in each origin's own sequence.
    db.execute(
        "CREATE TABLE changes (origin TEXT NOT NULL, seq INTEGER NOT NULL, tbl TEXT NOT NULL,"
        " row_id TEXT NOT NULL, hlc TEXT NOT NULL, op TEXT NOT NULL,"
        " PRIMARY KEY (origin, seq)) WITHOUT ROWID"
    )
    # Per-field clocks of record tables, for last-writer-wins merge.
    db.execute(
        "CREATE TABLE field_clocks (tbl TEXT NOT NULL, row_id TEXT NOT NULL, field TEXT NOT NULL,"
        " hlc TEXT NOT NULL, origin TEXT NOT NULL, PRIMARY KEY (tbl, row_id, field)) WITHOUT ROWID"
    )
    # What a purge removed; field '' means the whole row.
    db.execute(
        "CREATE TABLE tombstones (tbl TEXT NOT NULL, row_id TEXT NOT NULL, field TEXT NOT NULL,"
        " hlc TEXT NOT NULL, origin TEXT NOT NULL, reason TEXT NOT NULL,"
        " PRIMARY KEY (tbl, row_id, field)) WITHOUT ROWID"
    )
    create_synced_table(
        db,
        "events",
        RECORD,
        {
            "name": str,
            "venue": str,
            "community": str,
            "starts": str,
            "ends": str,
            "timezone": str,
            "page_size": str,
            "template_json": str,
        },
    )
    create_synced_table(db, "devices", RECORD, {"name": str, "role": str, "enrolled_at": str})
    create_synced_table(
        db,
        "people",
        RECORD,
        {
            "display_name": str,
            "search_name": str,
            "email": str,
            "phone": str,
            "created_at": str,
        },
    )
    db["people"].create_index(["search_name"])
    create_synced_table(
        db,
        "registrations",
        RECORD,
        {
            "person_id": str,
            "event_id": str,
            "source": str,
            "external_id": str,
            "ticket": str,
            "registered_at": str,
        },
    )
    db["registrations"].create_index(["person_id"])
    db["registrations"].create_index(["source", "external_id"])




# -- check-in desk (m010-m019) -------------------------------------------------


@migrations()
def m010_signing_keys_and_revocations(db: Database) -> None:
    # Public keys only: the private halves stay in each laptop's fieldkit_meta.
    create_synced_table(
        db,
        "signing_keys",
        RECORD,
        {
            "public_key": str,
            "device_id": str,
            "role": str,
            "certificate": str,
            "created_at": str,
        },
    )
    create_synced_table(
        db, "key_revocations", FACT, {"key_id": str, "reason": str, "revoked_at": str}
    )
    db["key_revocations"].create_index(["key_id"])
    create_synced_table(
        db, "token_revocations", FACT, {"token_id": str, "reason": str, "revoked_at": str}
    )
    db["token_revocations"].create_index(["token_id"])


@migrations()
def m011_checkins(db: Database) -> None:
    create_synced_table(
        db,
        "checkins",
        FACT,
        {
            "registration_id": str,
            "person_id": str,
            "nonce": str,
            "method": str,  # pass | name | walk_in
            "desk": str,
            "checked_in_at": str,
            "repeat_of": str,  # the person's first check-in, when this one is flagged as a repeat
        },
    )
    db["checkins"].create_index(["registration_id"])
    db["checkins"].create_index(["nonce"])
    db["checkins"].create_index(["origin", "hlc"])
    create_synced_table(
        db, "checkin_voids", FACT, {"checkin_id": str, "reason": str, "desk": str, "voided_at": str}
    )
    db["checkin_voids"].create_index(["checkin_id"])


@migrations()
def m012_people_word_search(db: Database) -> None:
    # A local, derived index of name words (not synced): any write to people, by
    # this laptop or by sync, keeps it current through the triggers.
    db.execute(
        "CREATE VIRTUAL TABLE people_words USING fts5(search_name,"
        " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    db.execute(
        "CREATE TRIGGER people_words_insert AFTER INSERT ON people BEGIN"
        " INSERT OR REPLACE INTO people_words (rowid, search_name) VALUES (new.rowid, new.search_name);"
        " END"
    )
    db.execute(
        "CREATE TRIGGER people_words_update AFTER UPDATE OF search_name ON people BEGIN"
        " DELETE FROM people_words WHERE rowid = old.rowid;"
        " INSERT OR REPLACE INTO people_words (rowid, search_name) VALUES (new.rowid, new.search_name);"
        " END"
    )
    db.execute(
        "CREATE TRIGGER people_words_delete AFTER DELETE ON people BEGIN"
        " DELETE FROM people_words WHERE rowid = old.rowid;"
        " END"
    )
    db.execute(
        "INSERT INTO people_words (rowid, search_name) SELECT rowid, search_name FROM people"
        " WHERE search_name IS NOT NULL"
    )


@migrations()
def m013_checkins_by_time(db: Database) -> None:
    # The desk's "last 10 check-ins" reads the newest few, not every check-in.
    db["checkins"].create_index(["checked_in_at"])


@migrations()
def m014_checkins_fewer_indexes(db: Database) -> None:
    # Undo finds this desk's latest check-in by time (m013's index); one index less
    # is one page less to encrypt and write on every check-in.
    db.execute("DROP INDEX IF EXISTS idx_checkins_origin_hlc")


@migrations()
def m015_checkins_without_nonce_index(db: Database) -> None:
    # A check-in's id is derived from its scan's nonce (checkin.checkin_id_for): a retry
    # finds it by primary key, and a check-in writes one index page less.
    db.execute("DROP INDEX IF EXISTS idx_checkins_nonce")


# -- consent (m020-m029) -------------------------------------------------------


@migrations()
def m020_consent_facts(db: Database) -> None:
    # Grants (permit or deny) and revocations of consent, one fact per person and purpose.
    create_synced_table(
        db,
        "consent_facts",
        FACT,
        {
            "record_id": str,  # one consent conversation: the receipt id, shared by its purposes
            "person_id": str,
            "purpose": str,
            "action": str,  # grant | revoke
            "decision": str,  # permit | deny (grants only)
            "text_version": str,
            "text_sha256": str,
            "method": str,  # spoken | paper | on_screen
            "recorded_by_device": str,
            "recorded_by_role": str,
            "witness": str,
            "form_id": str,  # the signed paper form this came from, if any
            "at": str,  # UTC ISO time the grant or revocation was given
            "valid_until": str,
        },
    )
    db["consent_facts"].create_index(["person_id", "purpose"])
    db["consent_facts"].create_index(["purpose"])


# -- sync (m030-m039) ----------------------------------------------------------


@migrations()
def m030_sync(db: Database) -> None:
    # Merging a record looks up the changes of one row (who created it, what came after a purge).
    db.execute("CREATE INDEX changes_by_row ON changes (tbl, row_id)")
    # A lost laptop's certificate and keys are refused everywhere once this fact has synced.
    create_synced_table(
        db, "device_revocations", FACT, {"device_id": str, "reason": str, "revoked_at": str}
    )
    db["device_revocations"].create_index(["device_id"])


@migrations()
def m031_changes_by_record_only(db: Database) -> None:
    # Merge only looks up the `set` changes of a record; facts (most writes: check-ins)
    # need no entry, which saves index pages on every check-in.
    db.execute("DROP INDEX IF EXISTS changes_by_row")
    db.execute("CREATE INDEX changes_by_record ON changes (tbl, row_id, hlc, origin) WHERE op = 'set'")


@migrations()
def m040_intake(db: Database) -> None:
    # Timer facts and survey responses are de-identified by construction: the link to
    # a person and any free text live in their own tables, written only under consent,
    # so a purge removes whole rows and leaves the anonymous signal intact.
    create_synced_table(
        db,
        "intent_timer_events",
        FACT,
        {"timer_id": str, "event_id": str, "kind": str, "at": str, "category": str},
    )
    db["intent_timer_events"].create_index(["timer_id"])
    create_synced_table(
        db,
        "survey_responses",
        FACT,
        {
            "event_id": str,
            "survey_id": str,
            "survey_version": str,
            "survey_sha256": str,
            "timer_id": str,
            "answers_json": str,
            "submitted_at": str,
        },
    )
    # The first definition each (survey, version) was answered with; id is
    # "survey_id@version", so laptops that record the same version merge into one row.
    create_synced_table(
        db,
        "survey_versions",
        FACT,
        {"survey_id": str, "version": str, "sha256": str, "definition_json": str, "first_used_at": str},
    )
    create_synced_table(
        db,
        "intake_links",
        FACT,
        {"subject": str, "subject_id": str, "person_id": str, "at": str},
    )
    db["intake_links"].create_index(["person_id"])
    db["intake_links"].create_index(["subject_id"])
    create_synced_table(
        db,
        "intake_texts",
        FACT,
        {"subject": str, "subject_id": str, "person_id": str, "field": str, "text": str},
    )
    db["intake_texts"].create_index(["person_id"])
    # Local only: an unfinished survey stays on the laptop it is being answered on.
    db["survey_drafts"].create(
        {
            "id": str,
            "survey_id": str,
            "survey_version": str,
            "timer_id": str,
            "person_id": str,
            "answers_json": str,
            "position": int,
            "updated_at": str,
        },
        pk="id",
    )


# -- referrals (m050-m059) -----------------------------------------------------


@migrations()
def m050_referrals(db: Database) -> None:
    # Trusted community members who bring people to the clinic (the community-first on-ramp).
    create_synced_table(
        db, "introducers", RECORD, {"name": str, "group_name": str, "active": int, "created_at": str}
    )
    # A card code exists before any referral does: blank cards are printed in advance.
    create_synced_table(
        db, "referral_cards", FACT, {"short_code": str, "blank": int, "issued_at": str}
    )
    db["referral_cards"].create_index(["short_code"])
    # What a check-in desk needs to advance a scanned card: nothing about the person.
    create_synced_table(
        db,
        "referrals",
        RECORD,
        {
            "card_id": str,
            "event_id": str,
            "channel": str,
            "introducer_id": str,
            "suggested_practitioner_id": str,
            "practitioner_id": str,
            "issued_at": str,
        },
    )
    # What intake learnt (never sent to a desk); person_id is set only under
    # share_intake_with_practitioners, and a purge empties it. Same id as the referral.
    create_synced_table(
        db, "referral_details", RECORD, {"person_id": str, "need": str, "language": str}
    )
    db["referral_details"].create_index(["person_id"])
    db["referrals"].create_index(["card_id"])
    db["referrals"].create_index(["practitioner_id"])
    create_synced_table(
        db,
        "referral_status",
        FACT,
        {"referral_id": str, "status": str, "reason": str, "practitioner_id": str, "via": str, "at": str},
    )
    db["referral_status"].create_index(["referral_id", "hlc"])
    create_synced_table(
        db,
        "referral_credits",
        FACT,
        {"introducer_id": str, "referral_id": str, "points": int, "reason": str, "at": str},
    )
    db["referral_credits"].create_index(["introducer_id"])
    create_synced_table(
        db,
        "referral_outcomes",
        FACT,
        {"referral_id": str, "practitioner_id": str, "outcome": str, "at": str},
    )
    db["referral_outcomes"].create_index(["referral_id"])
    # Every scan of a card, whatever it did: the audit line, and how sessions are counted.
    create_synced_table(
        db, "referral_scans", FACT, {"referral_id": str, "card_id": str, "result": str, "at": str}
    )
    db["referral_scans"].create_index(["referral_id"])


# -- from measurement on (m060-): defined in schema_later.py, registered here in order --

for _step in schema_later.STEPS:
    migrations()(_step)


# -- opening: whether a file is an event database this code can open, and bringing it up to date --


def check_opened(db: Database, path: Path) -> None:
    """NotAFieldKitDatabase or NewerSchema (one sentence each), unless this code can open `db`."""
    if "fieldkit_meta" not in db.table_names():
        raise NotAFieldKitDatabase(f"{path} is not a Field Kit database.")
    meta = {row["key"]: row["value"] for row in db["fieldkit_meta"].rows}
    if meta.get("app") != "fieldkit":
        raise NotAFieldKitDatabase(f"{path} is not a Field Kit database.")
    theirs = int(meta.get("schema_version", "0"))
    unknown = {m.name for m in migrations.applied(db)} - set(known_migrations())
    if theirs > schema_version() or unknown:
        raise NewerSchema(
            f"{path} was made by a newer Field Kit (schema {theirs}; this one knows "
            f"{schema_version()}): upgrade Field Kit on this laptop to open it."
        )


def migrate(db: Database) -> None:
    migrations.apply(db)
    db.execute(
        "INSERT OR REPLACE INTO fieldkit_meta (key, value) VALUES ('schema_version', ?)", [str(schema_version())]
    )
