"""The report's SQL as first written (a temporary table per population, a GROUP BY per table of
counts): the oracle the faster SQL in fieldkit/metrics is held to, which must give the same
counts from any database (test_query_equivalence.py). Not used by the application."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fieldkit.event import load_event
from fieldkit.event.template import EventTemplate
from fieldkit.metrics import pseudonyms
from fieldkit.metrics.aggregates import Aggregates
from fieldkit.metrics.queries import Scope
from fieldkit.store import Store
from fieldkit.store.times import utc_text

REPORTING = "aggregate_reporting"
FOLLOWUP = "contact_for_followup"
WALK_IN_SOURCE = "walk-in"  # as check-in desks register walk-ins
REPORT_CACHE_KIB = 65536  # the report reads every fact once: keep what it reads in memory
_TEMP = ("metrics_consent", "metrics_came", "metrics_returning", "metrics_referral")


def _utc(day: date, zone: ZoneInfo) -> str:
    return utc_text(datetime.combine(day, time(0), tzinfo=zone))


def _offset_minutes(zone: ZoneInfo, at: datetime) -> int:
    """The event's UTC offset (taken at the event's start), in minutes."""
    return int(at.astimezone(zone).utcoffset().total_seconds() // 60)


def consent_allowed(template: EventTemplate, purpose_id: str, prefix: str) -> tuple[str, dict]:
    """The consent gate's rule (`fieldkit.consent.gate.decide`) as an SQL condition on a
    person's latest fact: a grant that permits, for a text version still accepted, not
    expired at the report date. A test holds it to the gate's own answers."""
    purpose = template.purpose(purpose_id)
    if purpose is None:
        return "0", {}
    accepted = {f"{prefix}_accepted_{i}": v for i, v in enumerate(purpose.accepted_versions)}
    listed = ", ".join(f":{name}" for name in accepted) or "NULL"
    condition = (
        f"(action = 'grant' AND decision = 'permit' AND (text_version IN ({listed})"
        f" OR (text_version = :{prefix}_version AND text_sha256 = :{prefix}_sha256))"
        f" AND (valid_until IS NULL OR valid_until > :as_of))"
    )
    return condition, {**accepted, f"{prefix}_version": purpose.version, f"{prefix}_sha256": purpose.text_sha256}


def _consent_sql(template: EventTemplate) -> tuple[str, dict]:
    reporting, p1 = consent_allowed(template, REPORTING, "reporting")
    followup, p2 = consent_allowed(template, FOLLOWUP, "followup")
    # The covering index (m060) hands each person's facts over in time order: no sort.
    sql = f"""
INSERT INTO temp.metrics_consent (purpose, person_id, allowed)
SELECT purpose, person_id, CASE purpose WHEN '{REPORTING}' THEN {reporting} ELSE {followup} END
FROM (SELECT purpose, person_id, action, decision, text_version, text_sha256, valid_until,
             max(at || char(31) || hlc)
      FROM consent_facts WHERE purpose IN ('{REPORTING}', '{FOLLOWUP}') AND at <= :as_of
      GROUP BY purpose, person_id)
"""
    return sql, {**p1, **p2}


# Registrations taken back at the desk by the report date (undone walk-ins) count for nothing.
_LIVE = "r.id NOT IN (SELECT registration_id FROM registration_voids WHERE voided_at <= :as_of)"

# Everyone with a valid check-in: how many, and their first (time and desk, in one text).
CAME = f"""
INSERT INTO temp.metrics_came (event_id, person_id, checkins, first)
SELECT r.event_id, r.person_id, count(*), min(c.checked_in_at || char(31) || coalesce(c.desk, ''))
FROM checkins c JOIN registrations r ON r.id = c.registration_id
WHERE +c.checked_in_at <= :as_of
  AND NOT EXISTS (SELECT 1 FROM checkin_voids v WHERE v.checkin_id = c.id AND v.voided_at <= :as_of)
  AND {_LIVE}
GROUP BY r.event_id, r.person_id
"""

_COUNTED = f"""
NOT EXISTS (SELECT 1 FROM temp.metrics_consent x
            WHERE x.purpose = '{REPORTING}' AND x.person_id = {{person}} AND NOT x.allowed)"""

ATTENDANCE = f"""
WITH registered AS (
  SELECT event_id, person_id, max(coalesce(source, '') <> '{WALK_IN_SOURCE}') AS pre
  FROM registrations r WHERE event_id IN (SELECT id FROM events) AND {_LIVE} GROUP BY event_id, person_id
)
SELECT r.event_id,
       CASE WHEN c.checkins IS NULL THEN 'no_show' WHEN r.pre THEN 'came' ELSE 'walk_in' END,
       coalesce(c.checkins > 1, 0),
       c.checkins IS NOT NULL AND EXISTS (SELECT 1 FROM temp.metrics_consent f
             WHERE f.purpose = '{FOLLOWUP}' AND f.person_id = r.person_id AND f.allowed),
       c.checkins IS NOT NULL AND r.person_id IN (SELECT person_id FROM temp.metrics_returning),
       count(*)
FROM registered r LEFT JOIN temp.metrics_came c ON c.event_id = r.event_id AND c.person_id = r.person_id
WHERE (c.checkins IS NOT NULL OR r.pre) AND {_COUNTED.format(person="r.person_id")}
GROUP BY 1, 2, 3, 4, 5
"""

# Counted by the minute first (few rows), then each minute put in its local quarter hour.
ARRIVALS = f"""
SELECT event_id, strftime('%H:', local) || printf('%02d', CAST(strftime('%M', local) AS INTEGER) / 15 * 15), desk, sum(n)
FROM (SELECT event_id, datetime(minute, :offset) AS local, desk, count(*) AS n
      FROM (SELECT event_id, substr(first, 1, 16) AS minute, substr(first, instr(first, char(31)) + 1) AS desk
            FROM temp.metrics_came c WHERE {_COUNTED.format(person="c.person_id")})
      GROUP BY 1, 2, 3)
GROUP BY 1, 2, 3
"""

# A time's calendar day in the event's time zone, as a whole number (Julian days start at noon).
_DAY = "CAST(julianday({at}) + :day_offset + 0.5 AS INTEGER)"

# Each referral's furthest step, whether it ended, and the day (since issue) of each step.
REFERRAL_STEPS = f"""
INSERT INTO temp.metrics_referral
WITH step AS (
  SELECT referral_id,
    max(CASE status WHEN 'vetted' THEN 1 WHEN 'booked' THEN 2 WHEN 'first_session' THEN 3
                    WHEN 'third_session' THEN 4 ELSE 0 END) AS stage,
    max(status IN ('declined', 'expired')) AS ended,
    min(CASE WHEN status = 'booked' THEN at END) AS booked_at,
    min(CASE WHEN status = 'first_session' THEN at END) AS first_at,
    min(CASE WHEN status = 'third_session' THEN at END) AS third_at,
    min(CASE WHEN status IN ('declined', 'expired') THEN at END) AS ended_at
  FROM referral_status WHERE +at <= :as_of GROUP BY referral_id
),
referral AS (
  SELECT coalesce(r.event_id, '') AS event_id, strftime('%Y-%m', datetime(r.issued_at, :offset)) AS month,
         r.channel, coalesce(s.stage, 0) AS stage, coalesce(s.ended, 0) AS ended,
         {_DAY.format(at="r.issued_at")} AS issued,
         {_DAY.format(at="coalesce(s.booked_at, s.first_at)")} AS booked,
         {_DAY.format(at="s.first_at")} AS first,
         {_DAY.format(at="s.third_at")} AS third,
         {_DAY.format(at="s.ended_at")} AS ended_on
  FROM referrals r LEFT JOIN step s ON s.referral_id = r.id
  WHERE +r.issued_at <= :as_of AND +r.issued_at >= :since AND +r.issued_at < :until
)
SELECT :community, event_id, month, channel, stage, ended,
       booked - issued, first - issued, third - issued, ended_on - issued, {_DAY.format(at=":as_of")} - issued
FROM referral
"""

_GROUP = "community, event_id, month, channel"

REFERRALS = f"SELECT {_GROUP}, stage, ended, count(*) FROM temp.metrics_referral GROUP BY 1, 2, 3, 4, 5, 6"

# Days from issue to: the first session (the event), an ending before it (the competing
# event), the report date for those still open (censored), and the booking (velocity).
REFERRAL_DAYS = f"""
SELECT {_GROUP}, outcome, day, count(*) FROM (
  SELECT {_GROUP},
         CASE WHEN first IS NOT NULL THEN 'first_session' WHEN ended_on IS NOT NULL THEN 'ended' ELSE 'open' END AS outcome,
         coalesce(first, ended_on, followed) AS day
  FROM temp.metrics_referral
  UNION ALL
  SELECT {_GROUP}, 'booked', booked FROM temp.metrics_referral WHERE booked IS NOT NULL
) GROUP BY 1, 2, 3, 4, 5, 6
"""

REFERRAL_WINDOWS = f"""
SELECT {_GROUP}, 'rebook_7', sum(followed >= 7), coalesce(sum(followed >= 7 AND booked <= 7), 0) FROM temp.metrics_referral GROUP BY 1, 2, 3, 4
UNION ALL
SELECT {_GROUP}, 'retention_' || n, sum(followed - first >= n), coalesce(sum(followed - first >= n AND third - first <= n), 0)
FROM temp.metrics_referral, (SELECT 30 AS n UNION ALL SELECT 90) WHERE first IS NOT NULL GROUP BY 1, 2, 3, 4, n
"""

# Intake timer runs: the running spans between started/resumed and the next pause or stop
# (cut at the event's end when a review closed the run there). Voided runs, runs still
# open, and runs past the event's end not yet reviewed are left out.
INTENT = """
WITH fact AS (
  SELECT timer_id, kind, at, category,
         lead(at) OVER run AS next_at, lead(kind) OVER run AS next_kind,
         max(CASE WHEN kind = 'closed_at_end' THEN at END) OVER timer AS closed_at
  FROM intent_timer_events WHERE event_id = :event AND +at <= :as_of
  WINDOW run AS (PARTITION BY timer_id ORDER BY hlc), timer AS (PARTITION BY timer_id)
),
timer AS (
  SELECT max(kind = 'voided') AS voided, closed_at,
         min(CASE WHEN kind = 'stopped' THEN at END) AS stopped_at,
         coalesce(max(CASE WHEN kind = 'closed_at_end' THEN category END),
                  max(CASE WHEN kind = 'stopped' THEN category END)) AS category,
         sum(CASE WHEN kind IN ('started', 'resumed') AND next_kind IN ('paused', 'stopped', 'closed_at_end')
                       AND (closed_at IS NULL OR at < closed_at)
                  THEN max(0, julianday(CASE WHEN closed_at IS NOT NULL AND (next_at > closed_at OR next_kind = 'closed_at_end')
                                             THEN closed_at ELSE next_at END) - julianday(at)) END) AS days
  FROM fact GROUP BY timer_id
)
SELECT :event, category, CAST(round(coalesce(days, 0) * 86400) AS INTEGER), count(*)
FROM timer
WHERE NOT voided AND (closed_at IS NOT NULL OR (stopped_at IS NOT NULL AND stopped_at <= :ends))
GROUP BY 2, 3
"""


def _create_temp_tables(store: Store) -> None:
    _drop_temp_tables(store)
    store.db.execute(
        "CREATE TEMP TABLE metrics_consent (purpose TEXT, person_id TEXT, allowed INTEGER,"
        " PRIMARY KEY (purpose, person_id)) WITHOUT ROWID"
    )
    store.db.execute(
        "CREATE TEMP TABLE metrics_came (event_id TEXT, person_id TEXT, checkins INTEGER, first TEXT,"
        " PRIMARY KEY (event_id, person_id)) WITHOUT ROWID"
    )
    store.db.execute("CREATE TEMP TABLE metrics_returning (person_id TEXT PRIMARY KEY) WITHOUT ROWID")
    store.db.execute(
        "CREATE TEMP TABLE metrics_referral (community, event_id, month, channel, stage, ended,"
        " booked, first, third, ended_on, followed)"
    )


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
            consent_sql, consent_params = _consent_sql(event.template)
            store.db.execute(consent_sql, {**params, **consent_params})
            store.db.execute(CAME, params)
            store.db.conn.executemany(
                "INSERT INTO temp.metrics_returning VALUES (?)", [(p,) for p in pseudonyms.returning(store, earlier)]
            )
            found.tables["attendance"] = _rows(store, ATTENDANCE, params)
            found.tables["arrivals"] = _rows(store, ARRIVALS, params)
            found.tables["intent"] = [row for row in _rows(store, INTENT, params) if row[1] is not None]
        store.db.execute(REFERRAL_STEPS, params)
        for table, sql in (
            ("referrals", REFERRALS),
            ("referral_days", REFERRAL_DAYS),
            ("referral_windows", REFERRAL_WINDOWS),
        ):
            found.tables[table] = _rows(store, sql, params)
    finally:
        _drop_temp_tables(store)
    return found


def _rows(store: Store, sql: str, params: dict) -> list[tuple]:
    return [tuple(row) for row in store.db.execute(sql, params).fetchall()]
