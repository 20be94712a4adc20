"""The report in words and tables for the terminal: plain sentences first, the numbers under them."""

from __future__ import annotations

from datetime import date

from fieldkit.metrics.cohorts import INCIDENCE_DAYS, NOT_REACHED

WITHHELD = "*"
LEGEND = "Counts from 1 to 10 show as <11; * is withheld so that no small count can be worked out; - cannot be said."


def count(value: int | str | None) -> str:
    """A count as shown: 1,234, <11 or *."""
    if value is None:
        return WITHHELD
    return f"{value:,}" if isinstance(value, int) else value


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def interval(ci: list[float] | None) -> str:
    return "-" if ci is None else f"{ci[0] * 100:.0f}-{ci[1] * 100:.0f}%"


def days(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def long_date(text: str) -> str:
    d = date.fromisoformat(text)
    return f"{d.day} {d:%B %Y}"


def _some(value: int | str | None, one: str, many: str | None = None) -> str:
    """'412 people', '<11 people' (fewer than 11), '1 person'."""
    many = many or one + "s"
    if value is None:
        return f"a withheld number of {many}"
    if isinstance(value, str):
        return f"fewer than {value[1:]} {many}"
    return f"{value:,} {one if value == 1 else many}"


def event_sentences(event: dict) -> list[str]:
    came = f"{_some(event['attended'], 'person', 'people').capitalize()} came ({_some(event['walk_ins'], 'walk-in')})"
    stayed_away = _some(event["no_shows"], "registered person", "registered people")
    said = [f"{came} of {_some(event['registered'], 'person', 'people')} registered; {stayed_away} did not come."]
    if event["double_checkins"]:
        said.append(f"{_some(event['double_checkins'], 'person was', 'people were')} checked in more than once (the desks saw the flag).")
    followup = event["followup"]
    said.append(f"{_some(followup['people'], 'person', 'people').capitalize()} agreed to be contacted afterwards ({percent(followup['rate'])} of those who came).")
    returning = event["returning"]
    if returning["earlier_events"]:
        said.append(
            f"{_some(returning['people'], 'person', 'people').capitalize()} had come to one of the community's "
            f"{returning['earlier_events']} earlier events ({percent(returning['rate'])})."
        )
    arrivals = event["arrivals"]
    busiest = [(q, n) for q, n in (arrivals or {}).get("by_quarter_hour", {}).items() if isinstance(n, int)]
    if busiest:
        quarter, n = max(busiest, key=lambda item: item[1])
        said.append(f"Arrivals peaked at {quarter} ({n:,} people in that quarter hour).")
    intent = event["intent"]
    shares = [(c, v["share"]) for c, v in intent["by_category"].items() if v["share"] is not None]
    if shares:
        top, share = max(shares, key=lambda item: item[1])
        minutes = intent["duration_minutes"]
        said.append(
            f"Of {_some(intent['timers'], 'conversation')} timed, the most were '{top.replace('_', ' ')}' ({percent(share)})"
            + (f"; the median lasted {minutes['median']:.1f} minutes (p90 {minutes['p90']:.1f})." if minutes["median"] is not None else ".")
        )
    refs = event["referrals"]
    if refs["issued"]:
        line = f"{_some(refs['issued'], 'referral').capitalize()} were made at the event"
        if refs["per_100_attendees"] is not None:
            line += f": {refs['per_100_attendees']:.0f} per 100 people who came"
        if refs["velocity_days"]["median"] is not None:
            line += f"; half of those booked were booked within {days(refs['velocity_days']['median'])} days"
        if refs["rebook_7_days"] is not None:
            line += f"; {percent(refs['rebook_7_days'])} were booked within 7 days"
        said.append(line + ".")
    return said


def _number(value: int | str | None) -> str:
    """'412', 'fewer than 11', 'a withheld number of'."""
    if value is None:
        return "a withheld number"
    return f"fewer than {value[1:]}" if isinstance(value, str) else f"{value:,}"


def cohort_sentence(name: str, cohort: dict) -> str:
    conversion = cohort["conversion"]
    line = f"{name}: {_some(cohort['referrals'], 'referral')}; {_number(cohort['first_session'])} reached a first session"
    if conversion["rate"] is not None:
        line += f" ({percent(conversion['rate'])}, 95% CI {interval(conversion['ci95'])})"
    line += f" and {_number(cohort['third_session'])} a third."
    median = cohort["days_to_first_session"]["median"]
    if median is not None:
        p90 = days(cohort["days_to_first_session"]["p90"])
        line += f" Half of those who got there did within {days(median)} days (nine in ten within {p90})."
    return line


def table(headings: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headings)]
    lines = ["  " + "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headings, widths)))]
    for row in rows:
        lines.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return lines


def incidence(value: float | str | None) -> str:
    if value == NOT_REACHED:
        return "n/r"
    return percent(value) if not isinstance(value, str) else value


def cohort_table(title: str, cohorts: dict[str, dict], label=lambda key, c: key) -> list[str]:
    headings = [title, "referrals", "first", "%", "95% CI", "third", "ended", "median d", "p90 d"] + [
        f"by {d}d" for d in INCIDENCE_DAYS
    ]
    rows = []
    for key, c in cohorts.items():
        rows.append(
            [label(key, c), count(c["referrals"]), count(c["first_session"]), percent(c["conversion"]["rate"]),
             interval(c["conversion"]["ci95"]), count(c["third_session"]), count(c["ended"]),
             days(c["days_to_first_session"]["median"]), days(c["days_to_first_session"]["p90"])]
            + [incidence(c["cumulative_incidence"][str(d)]) for d in INCIDENCE_DAYS]
        )
    return table(headings, rows)


def render(doc: dict) -> str:
    """The whole report as terminal text."""
    dates = " to ".join(long_date(d) for d in doc["report_dates"][:1] + doc["report_dates"][1:][-1:])
    out = [f"Field Kit report, as of {dates}", LEGEND, ""]
    for event in doc["events"]:
        out.append(f"{event['name']}, {long_date(event['starts'])} ({event['community']})")
        out += ["  " + s for s in event_sentences(event)]
        arrivals = event["arrivals"]
        if arrivals and arrivals["by_quarter_hour"]:
            out += table(["arrivals", "people"], [[q, count(n)] for q, n in arrivals["by_quarter_hour"].items()])
            out += table(["desk", "people"], [[d or "(none)", count(n)] for d, n in arrivals["by_desk"].items()])
        if event["intent"]["by_category"]:
            out += table(
                ["intent", "timers", "share", "median min", "p90 min"],
                [[c.replace("_", " "), count(v["timers"]), percent(v["share"]),
                  days(None if v["duration_minutes"]["median"] is None else round(v["duration_minutes"]["median"], 1)),
                  days(None if v["duration_minutes"]["p90"] is None else round(v["duration_minutes"]["p90"], 1))]
                 for c, v in event["intent"]["by_category"].items()],
            )
        out.append("")
    refs = doc["referrals"]
    out.append(cohort_sentence("Referrals", refs["total"]))
    out.append(refs["community_vs_directory"]["sentence"])
    comparison = refs["community_vs_directory"]
    if comparison["p_value"] is not None:
        out.append(
            f"  Difference {comparison['difference'] * 100:+.0f} points (95% CI {comparison['difference_ci95'][0] * 100:+.0f} "
            f"to {comparison['difference_ci95'][1] * 100:+.0f}); two-proportion test p = {comparison['p_value']:.3g}."
        )
    out.append("")
    out += cohort_table("channel", refs["by_channel"], lambda key, c: key.replace("_", " "))
    out.append("")
    out += cohort_table("month issued", refs["by_month"])
    out.append("")
    out += cohort_table("event", refs["by_event"], lambda key, c: c["name"][:28])
    if len(refs["by_community"]) > 1:
        out.append("")
        out += cohort_table("community", refs["by_community"], lambda key, c: key[:28])
    out.append("")
    out.append("n/r: not reached (no referral was followed that long). Definitions: docs/metrics.md.")
    return "\n".join(out)
