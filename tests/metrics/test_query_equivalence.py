"""The report's SQL gives the same counts as the SQL it replaced (reference_queries.py), from
databases made to be awkward: several registrations per person, walk-in and pre-registered,
registrations taken back at the desk, voided check-ins, consent facts tied to the millisecond and stamp, revoked, unreadable or past
their date, timer facts out of order, closed at the end or voided, referral steps skipped,
repeated or recorded after the report date, time zones with odd offsets, times on the edges of
days, quarter hours and months."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from fieldkit.event import create_event
from fieldkit.metrics import pseudonyms, queries
from fieldkit.store import new_id, open_store
from fieldkit.store.schema import schema_version
from fieldkit.store.times import utc_text
from tests.conftest import PASSPHRASE
from tests.metrics import reference_queries

ZONES = ("Europe/London", "America/St_Johns", "Asia/Kolkata", "Australia/Eucla", "Pacific/Kiritimati")
KINDS = ("started", "paused", "resumed", "stopped", "closed_at_end", "voided")
STATUSES = ("issued", "vetted", "booked", "first_session", "third_session", "declined", "expired", "outcome")


def awkward_event(path, template, seed: int, people: int = 120):
    rng = random.Random(seed)
    purposes = tuple(
        dataclasses.replace(p, version="2", accepted_versions=("1",))
        if p.id == "aggregate_reporting" and seed % 2
        else p
        for p in template.consent.purposes
    )
    template = dataclasses.replace(
        template,
        event=dataclasses.replace(template.event, timezone=ZONES[seed % len(ZONES)]),
        consent=dataclasses.replace(template.consent, purposes=purposes),
    )
    store = create_event(path, template, PASSPHRASE)
    event, other, start, ends = store.event_id, new_id(), template.event.starts, template.event.ends
    rows: dict[str, list[dict]] = {}

    def add(table: str, **row) -> str:
        row = {"id": new_id(), "origin": "o", "hlc": "0000000000000-0000", **row}
        rows.setdefault(table, []).append(row)
        return row["id"]

    def when(hours: int) -> datetime:
        at = start + timedelta(seconds=rng.randrange(-4 * 3600, hours * 3600), milliseconds=rng.randrange(1000))
        if rng.random() < 0.2:  # on the edge of a quarter hour or a day
            at = at.replace(minute=rng.choice([0, 14, 15, 44, 45, 59]), second=rng.choice([0, 59]), microsecond=0)
        return at

    if seed % 3 == 0:
        add("events", id=other, name="Other", community="X", starts=utc_text(start), ends=utc_text(ends))
    texts = {p.id: p for p in purposes}
    for n in range(people):
        person = add("people", display_name=f"P {n}", search_name=f"name {rng.randrange(people)}")
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            registration = add(
                "registrations",
                person_id=person,
                event_id=rng.choice([event, event, event, other, "elsewhere"]),
                source=rng.choice(["csv", "csv", "walk-in", None, ""]),
            )
            if rng.random() < 0.15:  # taken back at a desk (an undone walk-in), before or after the report date
                add(
                    "registration_voids",
                    registration_id=registration,
                    reason="walk-in undone at the desk",
                    desk="desk-1",
                    voided_at=utc_text(when(60)),
                )
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                checkin = add(
                    "checkins",
                    registration_id=registration,
                    person_id=person,
                    desk=rng.choice(["desk-1", "desk-2", None, ""]),
                    checked_in_at=utc_text(when(10)),
                )
                for _ in range(rng.choice([0, 0, 0, 1, 2])):
                    add("checkin_voids", checkin_id=checkin, voided_at=utc_text(when(60)))
        for purpose, text in texts.items():
            at, hlc = when(20), f"{rng.randrange(20):013d}-0000"
            for k in range(rng.choice([0, 1, 1, 2, 3, 4])):
                if not k or rng.random() < 0.6:  # otherwise an exact tie (at and hlc) with the fact before
                    at = at + timedelta(minutes=rng.choice([0, 1, 60 * 24 * rng.randrange(200)]))
                    hlc = f"{rng.randrange(20):013d}-0000"
                add(
                    "consent_facts",
                    hlc=hlc,
                    person_id=person,
                    purpose=purpose,
                    action=rng.choice(["grant", "grant", "revoke", None]),
                    decision=rng.choice(["permit", "permit", "deny", None]),
                    text_version=rng.choice(["1", "1", "2", None]),
                    text_sha256=rng.choice([text.text_sha256, "0" * 64]),
                    at=utc_text(at),
                    valid_until=rng.choice([None, utc_text(at + timedelta(days=rng.choice([1, 100, 400])))]),
                )
    for n in range(people // 2):
        timer, at = new_id(), when(12)
        kinds = rng.choice(
            [
                ["started", "stopped"],
                ["started", "paused", "resumed", "stopped"],
                [rng.choice(KINDS) for _ in range(rng.randrange(1, 7))],
            ]
        )
        order = list(range(len(kinds)))
        if rng.random() < 0.1:
            rng.shuffle(order)
        for k, kind in enumerate(kinds):
            at = at + timedelta(
                seconds=rng.choice([0, 1, 61, 600, 5 * 3600]), milliseconds=rng.choice([0, 499, 500, 501])
            )
            add(
                "intent_timer_events",
                hlc=f"{n:09d}-{order[k]:04d}",
                timer_id=timer,
                event_id=rng.choice([event, event, other]),
                kind=kind,
                at=utc_text(rng.choice([at, at, at, ends, when(12)])),
                category=rng.choice(["book_session", "not_now", None])
                if kind in ("stopped", "closed_at_end")
                else None,
            )
    for n in range(people):
        issued = when(24 * rng.choice([1, 40, 200]))
        if rng.random() < 0.1:  # around midnight on the first or last day of a month
            issued = issued.replace(day=rng.choice([1, 28]), hour=rng.choice([0, 23]))
        referral = add(
            "referrals",
            event_id=rng.choice([event, event, None, other]),
            issued_at=utc_text(issued),
            channel=rng.choice(["community", "directory", "walk_in", "practitioner"]),
        )
        at = issued
        for k in range(rng.randrange(7)):
            at = at + timedelta(days=rng.choice([0, 1, 7, 8, 31, 90, 91]), hours=rng.randrange(24))
            add(
                "referral_status",
                hlc=f"{n:09d}-{k:04d}",
                referral_id=referral,
                status=rng.choice(STATUSES),
                at=utc_text(at if rng.random() < 0.9 else when(24 * 100)),
            )
    with store.transaction():
        for table, found in rows.items():
            columns = sorted({c for row in found for c in row})
            store.db.conn.executemany(
                f"INSERT INTO [{table}] ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [[row.get(c) for c in columns] for row in found],
            )
    return store


@pytest.mark.parametrize("seed", range(4))
def test_the_faster_sql_counts_what_the_first_sql_counted(tmp_path, template, seed):
    store = awkward_event(tmp_path / "event.db", template, seed)
    try:
        key = pseudonyms.key_of(store)
        names = [name for (name,) in store.db.execute("SELECT search_name FROM people").fetchall()]
        came_before = pseudonyms.Earlier(frozenset(pseudonyms.pseudonym(key, n) for n in names[::3]), 1)
        rng = random.Random(seed)
        for earlier in (None, came_before):
            as_of = datetime(2026, 12, 5, tzinfo=UTC) + timedelta(hours=rng.randrange(-10, 24 * 300))
            since = date(2026, 12, rng.randrange(1, 31)) if rng.random() < 0.5 else None
            until = date(2027, rng.randrange(1, 7), 15) if rng.random() < 0.5 else None
            for scope in (queries.Scope(as_of), queries.Scope(as_of, since, until)):
                fast = queries.collect(store, scope, earlier)
                first = reference_queries.collect(store, scope, earlier)
                assert fast.report_dates == first.report_dates
                for table, counted in first.tables.items():
                    assert sorted(fast.tables[table], key=repr) == sorted(counted, key=repr), table
    finally:
        store.close()


def as_before(path, migration: str, undo: tuple[str, ...]) -> None:
    """Make the database what the code before `migration` left: `undo` takes back what it did."""
    store = open_store(path, PASSPHRASE)
    for statement in (*undo, f"DELETE FROM _sqlite_migrations WHERE name = '{migration}'"):
        store.db.execute(statement)
    store.db.execute("UPDATE fieldkit_meta SET value = ? WHERE key = 'schema_version'", [str(schema_version() - 1)])
    store.db.conn.commit()
    store.close()


def _as_before_m066(path) -> None:
    """The earlier registration and check-in indexes."""
    as_before(path, "m066_report_checkins", (
        "DROP INDEX registrations_people",
        "CREATE INDEX registrations_people ON registrations (event_id, person_id, source)",
        "DROP INDEX checkins_by_registration",
        "CREATE INDEX idx_checkins_registration_id ON checkins (registration_id)",
    ))


def test_an_event_database_made_before_m066_counts_the_same_once_opened(tmp_path, template):
    path = tmp_path / "event.db"
    awkward_event(path, template, seed=5).close()
    _as_before_m066(path)
    store = open_store(path, PASSPHRASE)
    try:
        indexes = {name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"registrations_people", "checkins_by_registration"} <= indexes
        assert "idx_checkins_registration_id" not in indexes
        scope = queries.Scope(datetime(2027, 1, 10, tzinfo=UTC))
        fast, first = queries.collect(store, scope), reference_queries.collect(store, scope)
        assert {t: sorted(rows, key=repr) for t, rows in fast.tables.items()} == {
            t: sorted(rows, key=repr) for t, rows in first.tables.items()
        }
    finally:
        store.close()
