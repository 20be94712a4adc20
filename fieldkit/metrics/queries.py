"""The SQL that turns an event database into the report's additive counts (see aggregates.py).

One query per table of counts. Facts are read as they stand at the report date: a step
recorded after it is not counted yet. Days are whole calendar days in the event's time
zone. People who said no to `aggregate_reporting` (or withdrew it) are left out of every
count about people; their anonymous signals (timers, referrals) cannot be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fieldkit import consent
from fieldkit.event import load_event
from fieldkit.intake.timers import STOPPED, all_timers
from fieldkit.metrics import pseudonyms
from fieldkit.metrics.aggregates import Aggregates
from fieldkit.store import Store

REPORTING = "aggregate_reporting"
FOLLOWUP = "contact_for_followup"
WALK_IN_SOURCE = "walk-in"  # as check-in desks register walk-ins
WINDOWS = {"rebook_7": 7, "retention_30": 30, "retention_90": 90}


@dataclass(frozen=True)
class Scope:
    """What a report covers: referrals issued and events held from `since` to `until`
    (local dates, both included), counted as they stood at `as_of`."""

    as_of: datetime
    since: date | None = None
    until: date | None = None


def _utc(day: date, zone: ZoneInfo) -> str:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).isoformat(timespec="seconds")


def _bounds(scope: Scope, zone: ZoneInfo) -> dict[str, str]:
    as_of = scope.as_of.astimezone(UTC).isoformat(timespec="milliseconds")
    return {
        "as_of": as_of,
        "since": _utc(scope.since, zone) if scope.since else "",
        "until": _utc(scope.until + timedelta(days=1), zone) if scope.until else "9999",
    }


def _offset(zone: ZoneInfo, at: datetime) -> str:
    """The event's UTC offset as an SQLite date modifier (taken at the event's start)."""
    minutes = int(at.astimezone(zone).utcoffset().total_seconds() // 60)
    return f"{minutes:+d} minutes"


def _people_excluded(store: Store, as_of: datetime) -> set[str]:
    """People who were asked about aggregate reporting and are not in it now."""
    try:
        allowed = consent.consenting_people(store, REPORTING, as_of)
    except consent.ConsentError:  # the event never asks: everyone is counted
        return set()
    asked = {r[0] for r in store.db.execute("SELECT DISTINCT person_id FROM consent_facts WHERE purpose = ?", [REPORTING])}
    return asked - allowed


def _followup(store: Store, as_of: datetime) -> set[str]:
    try:
        return consent.consenting_people(store, FOLLOWUP, as_of)
    except consent.ConsentError:
        return set()


def _temp_people(store: Store, name: str, people: set[str]) -> None:
    store.db.execute(f"DROP TABLE IF EXISTS temp.{name}")
    store.db.execute(f"CREATE TEMP TABLE {name} (person_id TEXT PRIMARY KEY) WITHOUT ROWID")
    store.db.conn.executemany(f"INSERT INTO temp.{name} VALUES (?)", [(p,) for p in people])


# Valid check-ins of people counted, with the event they were for.
_CHECKINS = """
checkin AS (
  SELECT r.event_id, r.person_id, c.desk, c.checked_in_at
  FROM checkins c JOIN registrations r ON r.id = c.registration_id
  WHERE c.checked_in_at <= :as_of
    AND NOT EXISTS (SELECT 1 FROM checkin_voids v WHERE v.checkin_id = c.id AND v.voided_at <= :as_of)
    AND r.person_id NOT IN (SELECT person_id FROM temp.metrics_excluded)
)"""

ATTENDANCE = f"""
WITH {_CHECKINS},
came AS (SELECT event_id, person_id, count(*) AS checkins FROM checkin GROUP BY event_id, person_id),
registered AS (
  SELECT event_id, person_id, max(coalesce(source, '') <> '{WALK_IN_SOURCE}') AS pre
  FROM registrations GROUP BY event_id, person_id
),
person AS (
  SELECT r.event_id, r.person_id, r.pre, coalesce(c.checkins, 0) AS checkins
  FROM registered r LEFT JOIN came c ON c.event_id = r.event_id AND c.person_id = r.person_id
  WHERE r.person_id NOT IN (SELECT person_id FROM temp.metrics_excluded)
)
SELECT event_id,
       CASE WHEN checkins > 0 AND pre THEN 'came' WHEN checkins > 0 THEN 'walk_in' ELSE 'no_show' END AS kind,
       checkins > 1 AS double_checkin,
       checkins > 0 AND person_id IN (SELECT person_id FROM temp.metrics_followup) AS followup,
       checkins > 0 AND person_id IN (SELECT person_id FROM temp.metrics_returning) AS returned,
       count(*)
FROM person
WHERE event_id IN (SELECT id FROM events) AND (checkins > 0 OR pre)
GROUP BY 1, 2, 3, 4, 5
"""

ARRIVALS = f"""
WITH {_CHECKINS},
first AS (
  SELECT event_id, desk, datetime(checked_in_at, :offset) AS local,
         row_number() OVER (PARTITION BY event_id, person_id ORDER BY checked_in_at) AS n
  FROM checkin
)
SELECT event_id, strftime('%H:', local) || printf('%02d', CAST(strftime('%M', local) AS INTEGER) / 15 * 15),
       coalesce(desk, ''), count(*)
FROM first WHERE n = 1 GROUP BY 1, 2, 3
"""

# Each referral's furthest step, whether it ended, and when each step happened (by the report date).
_REFERRAL_STEPS = """
step AS (
  SELECT referral_id,
    max(CASE status WHEN 'vetted' THEN 1 WHEN 'booked' THEN 2 WHEN 'first_session' THEN 3
                    WHEN 'third_session' THEN 4 ELSE 0 END) AS stage,
    max(status IN ('declined', 'expired')) AS ended,
    min(CASE WHEN status = 'booked' THEN at END) AS booked_at,
    min(CASE WHEN status = 'first_session' THEN at END) AS first_at,
    min(CASE WHEN status = 'third_session' THEN at END) AS third_at,
    min(CASE WHEN status IN ('declined', 'expired') THEN at END) AS ended_at
  FROM referral_status WHERE at <= :as_of GROUP BY referral_id
),
referral AS (
  SELECT :community AS community, coalesce(r.event_id, '') AS event_id,
         strftime('%Y-%m', datetime(r.issued_at, :offset)) AS month, r.channel,
         coalesce(s.stage, 0) AS stage, coalesce(s.ended, 0) AS ended,
         julianday(date(r.issued_at, :offset)) AS issued_day,
         julianday(date(coalesce(s.booked_at, s.first_at), :offset)) AS booked_day,
         julianday(date(s.first_at, :offset)) AS first_day,
         julianday(date(s.third_at, :offset)) AS third_day,
         julianday(date(s.ended_at, :offset)) AS ended_day,
         julianday(date(:as_of, :offset)) AS report_day
  FROM referrals r LEFT JOIN step s ON s.referral_id = r.id
  WHERE r.issued_at <= :as_of AND r.issued_at >= :since AND r.issued_at < :until
)"""

REFERRALS = f"""
WITH {_REFERRAL_STEPS}
SELECT community, event_id, month, channel, stage, ended, count(*) FROM referral GROUP BY 1, 2, 3, 4, 5, 6
"""

# Days from issue to: the first session (the event), an ending before it (the competing
# event), the report date for those still open (censored), and the booking (velocity).
REFERRAL_DAYS = f"""
WITH {_REFERRAL_STEPS},
outcome AS (
  SELECT community, event_id, month, channel,
         CASE WHEN first_day IS NOT NULL THEN 'first_session' WHEN ended_day IS NOT NULL THEN 'ended' ELSE 'open' END AS outcome,
         CAST(coalesce(first_day, ended_day, report_day) - issued_day AS INTEGER) AS day
  FROM referral
  UNION ALL
  SELECT community, event_id, month, channel, 'booked', CAST(booked_day - issued_day AS INTEGER)
  FROM referral WHERE booked_day IS NOT NULL
)
SELECT community, event_id, month, channel, outcome, day, count(*) FROM outcome GROUP BY 1, 2, 3, 4, 5, 6
"""

REFERRAL_WINDOWS = f"""
WITH {_REFERRAL_STEPS},
window AS (
  SELECT community, event_id, month, channel, 'rebook_7' AS window,
         report_day - issued_day >= 7 AS eligible,
         report_day - issued_day >= 7 AND booked_day - issued_day <= 7 AS reached
  FROM referral
  UNION ALL
  SELECT community, event_id, month, channel, 'retention_' || n,
         first_day IS NOT NULL AND report_day - first_day >= n,
         first_day IS NOT NULL AND report_day - first_day >= n AND third_day - first_day <= n
  FROM referral, (SELECT 30 AS n UNION ALL SELECT 90)
)
SELECT community, event_id, month, channel, window, sum(eligible), sum(coalesce(reached, 0))
FROM window GROUP BY 1, 2, 3, 4, 5
"""


def _intent(store: Store, scope: Scope, ends: datetime) -> list[tuple]:
    # Timer runs are a small state machine (pause, resume, review facts): the intake module
    # derives them; counted are runs stopped (or closed at the end) by the report date.
    counts: dict[tuple, int] = {}
    for run in all_timers(store):
        if run.state != STOPPED or run.stopped_at is None or run.stopped_at > scope.as_of:
            continue
        if run.review is None and run.stopped_at > ends:
            continue  # ran past the event's end and not reviewed yet
        key = (store.event_id, run.category or "", int(run.elapsed(scope.as_of).total_seconds()))
        counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in counts.items()]


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
        **_bounds(scope, zone),
        "offset": _offset(zone, ev.starts),
        "event": store.event_id,
        "community": ev.community,
    }
    held = (not scope.since or ev.starts.date() >= scope.since) and (not scope.until or ev.starts.date() <= scope.until)
    found = Aggregates(report_dates=[scope.as_of.astimezone(zone).date().isoformat()])
    found.tables["events"] = (
        [(store.event_id, ev.community, ev.name, ev.starts.date().isoformat(), earlier.events)] if held else []
    )
    _temp_people(store, "metrics_excluded", _people_excluded(store, scope.as_of))
    _temp_people(store, "metrics_followup", _followup(store, scope.as_of))
    _temp_people(store, "metrics_returning", pseudonyms.returning(store, earlier))
    try:
        if held:
            found.tables["attendance"] = _rows(store, ATTENDANCE, params)
            found.tables["arrivals"] = _rows(store, ARRIVALS, params)
            found.tables["intent"] = _intent(store, scope, ev.ends)
        found.tables["referrals"] = _rows(store, REFERRALS, params)
        found.tables["referral_days"] = _rows(store, REFERRAL_DAYS, params)
        found.tables["referral_windows"] = _rows(store, REFERRAL_WINDOWS, params)
    finally:
        for name in ("metrics_excluded", "metrics_followup", "metrics_returning"):
            store.db.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return found


def _rows(store: Store, sql: str, params: dict) -> list[tuple]:
    return [tuple(row) for row in store.db.execute(sql, params).fetchall()]
