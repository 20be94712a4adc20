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
from functools import partial
from sqlite3 import Connection
from zoneinfo import ZoneInfo

from fieldkit.event import load_event
from fieldkit.metrics import beside, event_sql, pseudonyms, referral_sql
from fieldkit.metrics.aggregates import Aggregates
from fieldkit.store import Store
from fieldkit.store.times import utc_text

# Per connection: the report reads every fact once; keep what it reads in memory. At 100k people the
# store's connection reads about 66 MB (consent and people): at 64 MiB its cache let pages go and
# read them again at each report. Only what is read takes memory.
REPORT_CACHE_KIB = 131072


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
    parts = [_referral_counts]
    if held:
        consent, consent_params = event_sql.consent_sql(event.template)
        params.update(consent_params)
        returning = [(p,) for p in pseudonyms.returning(store, earlier)]
        parts = [partial(_people_counts, consent, returning), *parts, _intent_counts]
    for tables in beside.run(store, parts, params, REPORT_CACHE_KIB):
        found.tables.update(tables)
    return found


# Each part reads with its own connection and its own temporary tallies, so two parts run at
# once on two cores (beside.py); what each returns are rows of the tables of counts.
def _people_counts(consent: list[str], returning: list[tuple], conn: Connection, params: dict) -> dict:
    with beside.temp_tables(conn, event_sql.TEMP_TABLES):
        for sql in consent:
            conn.execute(sql, params)
        conn.executemany("INSERT INTO temp.metrics_returning VALUES (?)", returning)
        conn.execute(event_sql.VOIDED, params)
        conn.execute(event_sql.PEOPLE, params)
        return {
            "attendance": _rows(conn, event_sql.ATTENDANCE, params),
            "arrivals": _rows(conn, event_sql.ARRIVALS, params),
        }


def _intent_counts(conn: Connection, params: dict) -> dict:
    return {"intent": [row for row in _rows(conn, event_sql.INTENT, params) if row[1] is not None]}


def _referral_counts(conn: Connection, params: dict) -> dict:
    with beside.temp_tables(conn, referral_sql.TEMP_TABLES):
        for sql in referral_sql.STATEMENTS:
            conn.execute(sql, params)
        return {
            table: _rows(conn, sql, params)
            for table, sql in (
                ("referrals", referral_sql.REFERRALS),
                ("referral_days", referral_sql.REFERRAL_DAYS),
                ("referral_windows", referral_sql.REFERRAL_WINDOWS),
            )
        }


def _rows(conn: Connection, sql: str, params: dict) -> list[tuple]:
    return [tuple(row) for row in conn.execute(sql, params).fetchall()]
