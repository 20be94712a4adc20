"""The SQL of the referral cohorts' counts: each referral's steps, then tallies by group.

Each referral is read once with its steps (sought in their index, m060) and becomes one row with
the day of each step, and those rows are added up into two small tallies: by group, step and
window, and by outcome and day. The three tables of counts are sums over the tallies. Run by queries.py.
"""

from __future__ import annotations

# A time's calendar day in the event's time zone, as a whole number (Julian days start at noon).
_DAY = "CAST(julianday({at}) + :day_offset + 0.5 AS INTEGER)"

# Whether a referral falls in each window (7-day rebook, 30- and 90-day retention) and met it;
# -1 where that is undecided (a missing date), so the tallies can merge rows.
_FLAGS = "rebook, rebooked, kept_30, kept_30_third, kept_90, kept_90_third"

TEMP_TABLES = {
    "metrics_referral": "(event_id, month, channel, stage, ended, booked, first, third, ended_on, followed)",
    # The tallies' keys start with what differs most from row to row (and end with the event,
    # the same long id for most rows), so adding a referral compares less of each key.
    "metrics_referral_counts": f"(event_id, month, channel, stage, ended, has_first, {_FLAGS}, referrals,"
    f" UNIQUE (stage, month, channel, ended, has_first, {_FLAGS}, event_id))",
    "metrics_referral_days": "(event_id, month, channel, outcome, day, referrals,"
    " UNIQUE (day, outcome, channel, month, event_id))",
}

# Each referral (read in table order) with the day of each step by the report date. The first
# date of each step and its Julian day are kept beside the steps (referral_steps, m067, one row
# per referral with a step): a first date after the report date means the step had not happened
# by then. `step` is MATERIALIZED so that SQLite does not merge it into the query below, which
# would work the day of issue out again at each of its six uses. The month is read from that
# day's number (no second reading of the text time).
_JULIAN_DAY = "CAST({jd} + :day_offset + 0.5 AS INTEGER)"  # _DAY, from a Julian day kept


def _step_day(name: str) -> str:
    return f"iif(t.{name}_at <= :as_of, {_JULIAN_DAY.format(jd=f't.{name}_day')}) AS {name}"


ROWS = f"""
INSERT INTO temp.metrics_referral
WITH step AS MATERIALIZED (
  SELECT coalesce(r.event_id, '') AS event_id, r.channel, {_DAY.format(at="r.issued_at")} AS issued,
         t.vetted_at <= :as_of AS vetted, {", ".join(_step_day(name) for name in ("booked", "first", "third", "ended"))}
  FROM referrals r LEFT JOIN referral_steps t ON t.referral_id = r.id
  WHERE +r.issued_at <= :as_of AND +r.issued_at >= :since AND +r.issued_at < :until
)
SELECT event_id, substr(date(issued), 1, 7), channel,
       CASE WHEN third IS NOT NULL THEN 4 WHEN first IS NOT NULL THEN 3 WHEN booked IS NOT NULL THEN 2
            WHEN vetted THEN 1 ELSE 0 END,
       ended IS NOT NULL,
       coalesce(booked, first) - issued, first - issued, third - issued, ended - issued, {_DAY.format(at=":as_of")} - issued
FROM step
"""

TALLY_COUNTS = f"""
INSERT INTO temp.metrics_referral_counts (event_id, month, channel, stage, ended, has_first, {_FLAGS}, referrals)
SELECT event_id, month, channel, stage, ended, first IS NOT NULL,
       coalesce(followed >= 7, -1), coalesce(followed >= 7 AND booked <= 7, -1),
       coalesce(followed - first >= 30, -1), coalesce(followed - first >= 30 AND third - first <= 30, -1),
       coalesce(followed - first >= 90, -1), coalesce(followed - first >= 90 AND third - first <= 90, -1), 1
FROM temp.metrics_referral WHERE true
ON CONFLICT DO UPDATE SET referrals = referrals + 1
"""

# Days from issue to: the first session (the event), an ending before it (the competing
# event), the report date for those still open (censored); and to the booking (velocity).
TALLY_DAYS = """
INSERT INTO temp.metrics_referral_days (event_id, month, channel, outcome, day, referrals)
SELECT event_id, month, channel,
       CASE WHEN first IS NOT NULL THEN 'first_session' WHEN ended_on IS NOT NULL THEN 'ended' ELSE 'open' END,
       coalesce(first, ended_on, followed), 1
FROM temp.metrics_referral WHERE true
ON CONFLICT DO UPDATE SET referrals = referrals + 1
"""
TALLY_BOOKED = """
INSERT INTO temp.metrics_referral_days (event_id, month, channel, outcome, day, referrals)
SELECT event_id, month, channel, 'booked', booked, 1 FROM temp.metrics_referral WHERE booked IS NOT NULL
ON CONFLICT DO UPDATE SET referrals = referrals + 1
"""

_GROUP = ":community, event_id, month, channel"
_COUNTS = "FROM temp.metrics_referral_counts"

REFERRALS = f"SELECT {_GROUP}, stage, ended, sum(referrals) {_COUNTS} GROUP BY 2, 3, 4, 5, 6"

REFERRAL_DAYS = f"SELECT {_GROUP}, outcome, day, sum(referrals) FROM temp.metrics_referral_days GROUP BY 2, 3, 4, 5, 6"


def _window(name: str, eligible: str, reached: str, where: str = "") -> str:
    # sum() of each referral's 1, 0 or NULL (undecided: not summed), as the referrals' own sum gives.
    return (
        f"SELECT {_GROUP}, '{name}', sum(nullif({eligible}, -1) * referrals),"
        f" coalesce(sum(nullif({reached}, -1) * referrals), 0) {_COUNTS} {where} GROUP BY 2, 3, 4"
    )


# Retention is measured from the first session: only referrals that had one are in it.
REFERRAL_WINDOWS = "\nUNION ALL\n".join(
    [
        _window("rebook_7", "rebook", "rebooked"),
        _window("retention_30", "kept_30", "kept_30_third", "WHERE has_first"),
        _window("retention_90", "kept_90", "kept_90_third", "WHERE has_first"),
    ]
)

STATEMENTS = (ROWS, TALLY_COUNTS, TALLY_DAYS, TALLY_BOOKED)
