"""Event metrics: who registered and came, arrivals, intent mix and timer durations, follow-up, re-engagement.

Counts about people are suppressed together (every event's counts and their totals);
arrivals per quarter hour and per desk are suppressed against the number who came,
and withheld when that number is itself hidden; the intent mix is its own table.
"""

from __future__ import annotations

from collections.abc import Callable

from fieldkit.metrics.aggregates import Aggregates
from fieldkit.metrics.cohorts import Cohorts, count, members, quantiles, window_rate
from fieldkit.metrics.disclosure import Shown, rectangle, suppress_report

KINDS = ("came", "walk_in", "no_show")
# Someone who did not come was neither checked in twice, asked about follow-up, nor came back.
COLUMNS = tuple(
    (k, d, f, r) for k in KINDS for d in (0, 1) for f in (0, 1) for r in (0, 1) if k != "no_show" or d == f == r == 0
)
PEOPLE: dict[str, Callable[[str, int, int, int], bool]] = {
    "registered": lambda k, d, f, r: k in ("came", "no_show"),
    "attended": lambda k, d, f, r: k in ("came", "walk_in"),
    "walk_ins": lambda k, d, f, r: k == "walk_in",
    "no_shows": lambda k, d, f, r: k == "no_show",
    "double_checkins": lambda k, d, f, r: d == 1,
    "followup": lambda k, d, f, r: f == 1,
    "returning": lambda k, d, f, r: r == 1,
}


def people(aggregates: Aggregates, event_ids: list[str], threshold: int) -> dict[tuple, Shown]:
    """(event id or "total", count name) -> how it is shown."""
    counts = {e: [0] * len(COLUMNS) for e in event_ids}
    for event_id, kind, double, followup, returned, n in aggregates.rows("attendance"):
        if event_id in counts:
            counts[event_id][COLUMNS.index((kind, int(double), int(followup), int(returned)))] += n
    atoms = [counts[e] for e in event_ids] or [[0] * len(COLUMNS)]
    figures = {}
    for name, test in PEOPLE.items():
        columns = [c for c, key in enumerate(COLUMNS) if test(*key)]
        for g, e in enumerate(event_ids):
            figures[(e, name)] = rectangle([g], columns, len(COLUMNS))
        figures[("total", name)] = rectangle(range(len(event_ids)), columns, len(COLUMNS))
    return suppress_report(atoms, figures, threshold=threshold)


def arrivals(aggregates: Aggregates, event_id: str, attended: Shown, threshold: int) -> dict | None:
    """Arrivals per quarter hour and per desk, or None when the number who came is hidden."""
    if attended.hidden:
        return None
    counts: dict[tuple[str, str], int] = {}
    for e, quarter, desk, n in aggregates.rows("arrivals"):
        if e == event_id:
            counts[(quarter, desk)] = counts.get((quarter, desk), 0) + n
    cells = sorted(counts)
    if not cells:
        return {"by_quarter_hour": {}, "by_desk": {}}
    atoms = [[counts[c]] for c in cells]
    quarters = sorted({q for q, _ in cells})
    desks = sorted({d for _, d in cells})
    figures = {("quarter_hour", q): rectangle([i for i, c in enumerate(cells) if c[0] == q], [0], 1) for q in quarters}
    figures |= {("desk", d): rectangle([i for i, c in enumerate(cells) if c[1] == d], [0], 1) for d in desks}
    figures[("total",)] = rectangle(range(len(cells)), [0], 1)
    shown = suppress_report(atoms, figures, fixed=[("total",)], threshold=threshold)
    return {
        "by_quarter_hour": {q: shown[("quarter_hour", q)].published for q in quarters},
        "by_desk": {d: shown[("desk", d)].published for d in desks},
    }


def intent(aggregates: Aggregates, event_ids: list[str], threshold: int) -> dict[str, dict]:
    """Per event (and "total"): timers, and per intent category its count, share and durations."""
    runs: dict[tuple[str, str], dict[int, int]] = {}
    for event_id, category, seconds, n in aggregates.rows("intent"):
        if event_id in event_ids:
            histogram = runs.setdefault((event_id, category), {})
            histogram[seconds] = histogram.get(seconds, 0) + n
    categories = sorted({c for _, c in runs})
    atoms = [[sum(runs.get((e, c), {}).values()) for c in categories] for e in event_ids] or [[0]]
    width = max(1, len(categories))
    figures = {}
    for g, e in enumerate([*event_ids, "total"]):
        rows = [g] if e != "total" else range(len(event_ids))
        figures[(e, "all")] = rectangle(rows, range(len(categories)), width)
        for c, category in enumerate(categories):
            figures[(e, category)] = rectangle(rows, [c], width)
    shown = suppress_report(atoms, figures, threshold=threshold)
    found = {}
    for e in [*event_ids, "total"]:
        events = event_ids if e == "total" else [e]
        every = _merged(runs, events, categories)
        total = shown[(e, "all")]
        by_category = {}
        for category in categories:
            cell = shown[(e, category)]
            share = None if cell.hidden or total.hidden or not total.value else cell.value / total.value
            minutes = _minutes(_merged(runs, events, [category]), None if cell.hidden else cell.value, threshold)
            by_category[category] = {"timers": cell.published, "share": share, "duration_minutes": minutes}
        found[e] = {
            "timers": total.published,
            "duration_minutes": _minutes(every, None if total.hidden else total.value, threshold),
            "by_category": by_category,
        }
    return found


def _merged(runs: dict[tuple[str, str], dict[int, int]], events: list[str], categories: list[str]) -> dict[int, int]:
    total: dict[int, int] = {}
    for e in events:
        for c in categories:
            for seconds, n in runs.get((e, c), {}).items():
                total[seconds] = total.get(seconds, 0) + n
    return total


def _minutes(histogram: dict[int, int], shown_count: int | None, threshold: int) -> dict:
    found = quantiles(histogram, shown_count, threshold)
    return {k: None if v is None else v / 60 for k, v in found.items()}


def event_referrals(cohorts: Cohorts, event_id: str, attended: Shown) -> dict:
    """Referrals issued at the event: per 100 people who came, how fast they were booked, 7-day rebook."""
    issued = count(cohorts, "event", event_id, "referrals") if ("event", event_id, "referrals") in cohorts.shown else 0
    rows = members(cohorts.groups, "event", event_id)
    booked = count(cohorts, "event", event_id, "booked") if rows else 0
    histogram: dict[int, int] = {}
    for i in rows:
        for day, n in cohorts.days.get(cohorts.groups[i], {}).get("booked", {}).items():
            histogram[day] = histogram.get(day, 0) + n
    per_100 = None
    if isinstance(issued, int) and not attended.hidden and attended.value:
        per_100 = 100 * issued / attended.value
    return {
        "issued": issued,
        "per_100_attendees": per_100,
        "velocity_days": quantiles(histogram, booked if isinstance(booked, int) else None, cohorts.threshold),
        "rebook_7_days": window_rate(cohorts, rows, "rebook_7", isinstance(issued, int)) if rows else None,
    }


def event_section(aggregates: Aggregates, event: tuple, shown: dict[tuple, Shown], intent_of: dict, cohorts: Cohorts, threshold: int) -> dict:
    """Everything the report says about one event."""
    event_id, community, name, starts, earlier_events = event
    counts = {n: shown[(event_id, n)].published for n in PEOPLE}
    attended = shown[(event_id, "attended")]

    def rate(name: str) -> float | None:
        part = shown[(event_id, name)]
        return None if part.hidden or attended.hidden or not attended.value else part.value / attended.value

    return {
        "id": event_id,
        "name": name,
        "community": community,
        "starts": starts,
        **{n: counts[n] for n in ("registered", "attended", "walk_ins", "no_shows", "double_checkins")},
        "followup": {"people": counts["followup"], "rate": rate("followup")},
        "returning": {"people": counts["returning"], "rate": rate("returning"), "earlier_events": earlier_events},
        "arrivals": arrivals(aggregates, event_id, attended, threshold),
        "intent": intent_of[event_id],
        "referrals": event_referrals(cohorts, event_id, attended),
    }
