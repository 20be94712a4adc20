"""Turning an event database into the report's additive counts (see aggregates.py).

The SQL lives in event_sql.py (people, arrivals, intake timers) and referral_sql.py (the
referral cohorts): each population is read once, in index order, into small temporary
tallies, and each table of counts is one query over them. Facts are read as they stand at
the report date: a step recorded after it is not counted yet. Days are whole calendar days
in the event's time zone. People who said no to `aggregate_reporting` (or withdrew it) are
left out of every count about people; their anonymous signals (timers, referrals) cannot be
told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fieldkit.event import load_event
from fieldkit.metrics import event_sql, pseudonyms, referral_sql
from fieldkit.metrics.aggregates import Aggregates
from fieldkit.store import Store
from fieldkit.store.times import utc_text

REPORT_CACHE_KIB = 65536  # the report reads every fact once: keep what it reads in memory
_TEMP = {**event_sql.TEMP_TABLES, **referral_sql.TEMP_TABLES}


@dataclass(frozen=True)
class Scope:
    """What a report covers: referrals issued and events held from `since` to `until`
    (local dates, both included), counted as they stood at `as_of`."""

    as_of: datetime
    since: date | None = None
    until: date | None = None


def _utc(day: date, zone: ZoneInfo) -> str:
    return utc_text(datetime.combine(day, time(0), tzinfo=zone))


def _offset_minutes(zone: ZoneInfo, at: datetime) -> int:
    """The event's UTC offset (taken at the event's start), in minutes."""
    return int(at.astimezone(zone).utcoffset().total_seconds() // 60)


def _create_temp_tables(store: Store) -> None:
    _drop_temp_tables(store)
    for name, definition in _TEMP.items():
        store.db.execute(f"CREATE TEMP TABLE {name} {definition}")


def _drop_temp_tables(store: Store) -> None:
    for name in _TEMP:
        store.db.execute(f"DROP TABLE IF EXISTS temp.{name}")


def collect(store: Store, scope: Scope, earlier: pseudonyms.Earlier | None = None) -> Aggregates:
    """The report's counts from one event database.

    `earlier` holds the pseudonyms of people who came to earlier events of the same
    community (see pseudonyms.py), for re-engagement; they never leave this process.
    """
    earlier = earlier or pseudonyms.Earlier()
    event = load_event(store)
    ev = event.template.event
    zone = event.zone
    params = {
        "as_of": utc_text(scope.as_of),
        "since": _utc(scope.since, zone) if scope.since else "",
        "until": _utc(scope.until + timedelta(days=1), zone) if scope.until else "9999",
        "offset": f"{_offset_minutes(zone, ev.starts):+d} minutes",  # an SQLite date modifier
        "offset_minutes": _offset_minutes(zone, ev.starts),
        "day_offset": _offset_minutes(zone, ev.starts) / 1440,
        "event": store.event_id,
        "community": ev.community,
        "ends": utc_text(ev.ends),
    }
    held = (not scope.since or ev.starts.date() >= scope.since) and (not scope.until or ev.starts.date() <= scope.until)
    found = Aggregates(report_dates=[scope.as_of.astimezone(zone).date().isoformat()])
    found.tables["events"] = (
        [(store.event_id, ev.community, ev.name, ev.starts.date().isoformat(), earlier.events)] if held else []
    )
    store.keep_in_memory(REPORT_CACHE_KIB)
    _create_temp_tables(store)
    try:
        if held:
            consent, consent_params = event_sql.consent_sql(event.template)
            for sql in consent:
                store.db.execute(sql, {**params, **consent_params})
            store.db.conn.executemany(
                "INSERT INTO temp.metrics_returning VALUES (?)", [(p,) for p in pseudonyms.returning(store, earlier)]
            )
            store.db.execute(event_sql.VOIDED, params)
            store.db.execute(event_sql.PEOPLE, params)
            found.tables["attendance"] = _rows(store, event_sql.ATTENDANCE, params)
            found.tables["arrivals"] = _rows(store, event_sql.ARRIVALS, params)
            found.tables["intent"] = [row for row in _rows(store, event_sql.INTENT, params) if row[1] is not None]
        for sql in referral_sql.STATEMENTS:
            store.db.execute(sql, params)
        for table, sql in (
            ("referrals", referral_sql.REFERRALS),
            ("referral_days", referral_sql.REFERRAL_DAYS),
            ("referral_windows", referral_sql.REFERRAL_WINDOWS),
        ):
            found.tables[table] = _rows(store, sql, params)
    finally:
        _drop_temp_tables(store)
    return found


def _rows(store: Store, sql: str, params: dict) -> list[tuple]:
    return [tuple(row) for row in store.db.execute(sql, params).fetchall()]
