"""The report as one document: every figure, suppressed, ready for the terminal, JSON, CSV, PDF and the dashboard.

`build` takes the additive counts (one database's, or many aggregate files added up) and
returns plain data shaped as docs/report-schema.json describes: a count is a number, the
string "<11" (1 to 10), or None (withheld so that a small count cannot be worked out, or
derived from a hidden count).
"""

from __future__ import annotations

from fieldkit.metrics import cohorts as ch
from fieldkit.metrics import events as ev
from fieldkit.metrics.aggregates import Aggregates
from fieldkit.metrics.disclosure import DEFAULT_THRESHOLD

FORMAT = "fieldkit-report/1"
ELSEWHERE = "elsewhere"  # referrals not issued at an event: imported from a log kept elsewhere


def build(aggregates: Aggregates, threshold: int = DEFAULT_THRESHOLD) -> dict:
    events = sorted(aggregates.rows("events"), key=lambda e: (e[3], e[0]))
    event_ids = [e[0] for e in events]
    people = ev.people(aggregates, event_ids, threshold)
    intent = ev.intent(aggregates, event_ids, threshold)
    cohorts = ch.build(aggregates, threshold)
    doc = {
        "format": FORMAT,
        "report_dates": aggregates.report_dates,
        "threshold": threshold,
        "communities": sorted({e[1] for e in events} | {g[0] for g in cohorts.groups}),
        "events": [ev.event_section(aggregates, e, people, intent, cohorts, threshold) for e in events],
        "events_total": {name: people[("total", name)].published for name in ev.PEOPLE} if len(events) > 1 else None,
        "referrals": _referrals(cohorts, {e[0]: e[2] for e in events}),
    }
    return doc


def _referrals(cohorts: ch.Cohorts, names: dict[str, str]) -> dict:
    def by(dimension: str) -> dict:
        return {
            (value or ELSEWHERE if dimension == "event" else value): ch.cohort(cohorts, dimension, value)
            for value in ch.values_of(cohorts.groups, dimension)
        }

    by_event = by("event")
    for key, section in by_event.items():
        section["name"] = names.get(key, "not at an event (imported)" if key == ELSEWHERE else key)
    return {
        "total": ch.cohort(cohorts, "total", ""),
        "by_channel": by("channel"),
        "by_month": by("month"),
        "by_event": by_event,
        "by_community": by("community"),
        "community_vs_directory": ch.community_vs_directory(cohorts),
    }
