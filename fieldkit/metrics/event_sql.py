"""The SQL of the event's counts: who was counted (consent), who came and when, intake timers.

Each statement reads its facts once, in the order an index keeps them, and adds what it
finds into a small temporary tally; the tables of counts are read from the tallies. Nothing
is sorted per person and nothing is read per person in Python. Run by queries.py.
"""

from __future__ import annotations

from fieldkit.event.template import EventTemplate

REPORTING = "aggregate_reporting"
FOLLOWUP = "contact_for_followup"
WALK_IN_SOURCE = "walk-in"  # as check-in desks register walk-ins

TEMP_TABLES = {
    "metrics_unreported": "(person_id TEXT PRIMARY KEY) WITHOUT ROWID",
    "metrics_no_followup": "(person_id TEXT PRIMARY KEY) WITHOUT ROWID",
    "metrics_followup": "(person_id TEXT PRIMARY KEY) WITHOUT ROWID",
    "metrics_returning": "(person_id TEXT PRIMARY KEY) WITHOUT ROWID",
    "metrics_voided": "(checkin INTEGER PRIMARY KEY)",
    "metrics_people": "(event_id, kind, double, followup, returned, quarter, desk, people,"
    " UNIQUE (quarter, desk, kind, double, followup, returned, event_id))",  # what differs most first
}


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


# Fact f is its person's latest for the purpose: none later by (at, hlc) on or before the report
# date, and of facts with the same at and hlc the first by (action, decision, text version and
# hash, valid until, rowid), as GROUP BY with max() chose. Two index seeks (m060's index).
_LATEST = """
NOT EXISTS (SELECT 1 FROM consent_facts g WHERE g.purpose = f.purpose AND g.person_id = f.person_id
            AND g.at <= :as_of AND (g.at, g.hlc) > (f.at, f.hlc))
AND f.rowid = (SELECT g.rowid FROM consent_facts g
               WHERE g.purpose = f.purpose AND g.person_id = f.person_id AND g.at = f.at AND g.hlc = f.hlc
               ORDER BY g.action, g.decision, g.text_version, g.text_sha256, g.valid_until, g.rowid LIMIT 1)"""


def not_allowed(template: EventTemplate, purpose_id: str, prefix: str, *, unreadable: bool = True) -> tuple[str, dict]:
    """People whose latest fact for `purpose_id` at the report date does not allow it (a no, a
    withdrawal, a text no longer accepted, expired; with `unreadable`, also a fact the rule cannot
    read, such as one without an action). People with no fact at all are not in it. Most facts
    allow: only the others are looked at twice."""
    condition, params = consent_allowed(template, purpose_id, prefix)
    sql = (
        f"SELECT person_id FROM consent_facts f WHERE purpose = '{purpose_id}' AND at <= :as_of"
        f" AND person_id IS NOT NULL AND ({condition}) {'IS NOT 1' if unreadable else 'IS 0'} AND {_LATEST}"
    )
    return sql, params


def consent_sql(template: EventTemplate) -> tuple[list[str], dict]:
    """Who is left out of every count about people (their latest aggregate_reporting fact says no;
    a fact the rule cannot read leaves them in), and who may be contacted after the event: asked
    about follow-up (a fact by the report date) and not in the no_followup set. Both sets are
    made here, in index order, so PEOPLE looks each person up once in a small temporary table,
    not in the consent index."""
    unreported, p1 = not_allowed(template, REPORTING, "reporting", unreadable=False)
    no_followup, p2 = not_allowed(template, FOLLOWUP, "followup")
    return [
        f"INSERT INTO temp.metrics_unreported (person_id) {unreported}",
        f"INSERT INTO temp.metrics_no_followup (person_id) {no_followup}",
        "INSERT INTO temp.metrics_followup (person_id) SELECT DISTINCT person_id FROM consent_facts"
        f" WHERE purpose = '{FOLLOWUP}' AND at <= :as_of AND person_id IS NOT NULL",
        "DELETE FROM temp.metrics_followup WHERE person_id IN (SELECT person_id FROM temp.metrics_no_followup)",
    ], {**p1, **p2}


# A registration taken back at the desk by the report date (an undone walk-in): not a
# registration, and no check-in made with it is a visit (PEOPLE leaves it out, and with it
# its check-ins; one index seek per registration).
TAKEN_BACK = "EXISTS (SELECT 1 FROM registration_voids x WHERE x.registration_id = {id} AND x.voided_at <= :as_of)"

# Check-ins voided by the report date (few; some more than once), by rowid: every index of checkins carries it.
VOIDED = """
INSERT OR IGNORE INTO temp.metrics_voided (checkin)
SELECT c.rowid FROM checkin_voids v JOIN checkins c ON c.id = v.checkin_id WHERE v.voided_at <= :as_of
"""

# Every (event, person) with a registration not taken back, read in that order from an index
# (m066), with each registration's valid check-ins from another (m066): made before the day or
# not, how many, and the first (time and desk: min() is the query's only min or max, so SQLite takes
# the desk from the row it chose; of equal times, the first read, the smallest desk of its
# registration). Counted by what the report needs of them, and by the local quarter hour of the
# first check-in (its minute of the day in the event's zone, over 15; -1 where the time cannot be
# read, for which unixepoch() gives NULL). No-shows have neither (-1 and ''), so they add up in a
# few rows too. Left out: who said no to reporting. One grouped query, not a grouped query inside
# another: the outer one copied each person's ids and times out of the inner one (an allocation
# each), a fifth of the work.
_CHECKINS = "count(c.rowid)"
_PRE = f"sum(r.source IS NOT '{WALK_IN_SOURCE}') > 0"
PEOPLE = f"""
INSERT INTO temp.metrics_people (event_id, kind, double, followup, returned, quarter, desk, people)
SELECT r.event_id,
       CASE WHEN {_CHECKINS} = 0 THEN 'no_show' WHEN {_PRE} THEN 'came' ELSE 'walk_in' END,
       {_CHECKINS} > 1,
       {_CHECKINS} > 0 AND r.person_id IN (SELECT person_id FROM temp.metrics_followup),
       {_CHECKINS} > 0 AND r.person_id IN (SELECT person_id FROM temp.metrics_returning),
       coalesce(((unixepoch(substr(min(c.checked_in_at), 1, 16)) / 60 + :offset_minutes) % 1440 + 1440) % 1440 / 15, -1),
       coalesce(c.desk, ''), 1
FROM registrations r
LEFT JOIN checkins c ON c.registration_id = r.id AND +c.checked_in_at <= :as_of
                    AND c.rowid NOT IN (SELECT checkin FROM temp.metrics_voided)
WHERE NOT {TAKEN_BACK.format(id="r.id")}
  AND NOT EXISTS (SELECT 1 FROM temp.metrics_unreported u WHERE u.person_id = r.person_id)
GROUP BY r.event_id, r.person_id
HAVING {_CHECKINS} > 0 OR ({_PRE} AND r.event_id IN (SELECT id FROM events))
ON CONFLICT DO UPDATE SET people = people + 1
"""

ATTENDANCE = """
SELECT event_id, kind, double, followup, returned, sum(people) FROM temp.metrics_people
WHERE event_id IN (SELECT id FROM events) GROUP BY 1, 2, 3, 4, 5
"""

# Each local quarter hour of a first check-in as its time of day.
ARRIVALS = """
SELECT event_id, CASE WHEN quarter >= 0 THEN printf('%02d:%02d', quarter / 4, quarter % 4 * 15) END, desk, sum(people)
FROM temp.metrics_people WHERE kind <> 'no_show' GROUP BY 1, 2, 3
"""

# Intake timer runs: the running spans between started/resumed and the next fact (by hlc),
# when that is a pause or stop, summed per timer. Voided runs, runs still open, and runs
# past the event's end not yet reviewed are left out. The index (m060) hands each timer's
# facts over in order, so runs are grouped without a sort; the next fact is one index seek.
# A timer stopped by the event's end is one whose stops include one by then (a yes or no per
# stop, not the first stop's time kept as text). The durations are grouped seconds first: a
# whole number compares faster than the category's text.
_TIMER_FACTS = "FROM intent_timer_events f WHERE event_id = :event AND +at <= :as_of"

# Timers a review closed at the event's end (few): counted up to the end, as the review says.
_CLOSED_TIMERS = f"""
closed_timer AS (
  SELECT category, days FROM (
    SELECT max(kind = 'voided') AS voided,
           coalesce(max(CASE WHEN kind = 'closed_at_end' THEN category END),
                    max(CASE WHEN kind = 'stopped' THEN category END)) AS category,
           sum(CASE WHEN kind IN ('started', 'resumed') AND next_kind IN ('paused', 'stopped', 'closed_at_end') AND at < closed_at
                    THEN max(0, julianday(CASE WHEN next_at > closed_at OR next_kind = 'closed_at_end'
                                               THEN closed_at ELSE next_at END) - julianday(at)) END) AS days
    FROM (SELECT timer_id, kind, at, category,
                 lead(at) OVER run AS next_at, lead(kind) OVER run AS next_kind,
                 max(CASE WHEN kind = 'closed_at_end' THEN at END) OVER timer AS closed_at
          FROM intent_timer_events
          WHERE event_id = :event AND +at <= :as_of
            AND timer_id IN (SELECT timer_id {_TIMER_FACTS} AND kind = 'closed_at_end')
          WINDOW run AS (PARTITION BY timer_id ORDER BY hlc), timer AS (PARTITION BY timer_id))
    GROUP BY timer_id)
  WHERE NOT voided
)"""

INTENT = f"""
WITH {_CLOSED_TIMERS},
fact AS (
  SELECT timer_id, kind, at, category,
         CASE WHEN kind IN ('started', 'resumed') THEN
           (SELECT CASE WHEN n.kind IN ('paused', 'stopped', 'closed_at_end') THEN max(0, julianday(n.at) - julianday(f.at)) END
            FROM intent_timer_events n
            WHERE n.event_id = :event AND n.timer_id = f.timer_id AND n.hlc > f.hlc AND +n.at <= :as_of
            ORDER BY n.hlc LIMIT 1) END AS span
  {_TIMER_FACTS}
),
timer AS (
  SELECT max(kind = 'voided') AS voided, max(kind = 'closed_at_end') AS closed,
         max(at <= :ends) FILTER (WHERE kind = 'stopped') AS stopped_in_time,
         max(category) FILTER (WHERE kind = 'stopped') AS category,
         sum(span) AS days
  FROM fact GROUP BY timer_id
)
SELECT :event, category, CAST(round(coalesce(days, 0) * 86400) AS INTEGER), count(*)
FROM (SELECT category, days FROM timer WHERE NOT voided AND NOT closed AND stopped_in_time
      UNION ALL
      SELECT category, days FROM closed_timer)
GROUP BY 3, 2
"""
