"""What the report's charts show (arrivals, intent mix, the funnel, time to a first session), as plain data.

The PDF and the dashboard draw the same things from the same suppressed document: a
hidden count is a bar with no value and its label ("<11" or "*"), and the time-to-first-
session curve has only the days the report gives (7, 14, 30, 90), so no chart shows more
than the tables do.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.metrics import text
from fieldkit.metrics.cohorts import INCIDENCE_DAYS

FUNNEL = (("referrals", "issued"), ("vetted", "vetted"), ("booked", "booked"),
          ("first_session", "first session"), ("third_session", "third session"))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: withheld
    text: str  # as the tables show it: "412", "<11", "*", "41%"


@dataclass(frozen=True)
class Curve:
    name: str
    points: tuple[tuple[int, float], ...]  # (day, share); withheld and unreached days left out


def _count_bar(label: str, value: int | str | None) -> Bar:
    return Bar(label, value if isinstance(value, int) else None, text.count(value))


def arrivals_event(doc: dict) -> dict | None:
    """The event whose arrivals are charted: the only one with arrivals, else None."""
    found = [e for e in doc["events"] if e["arrivals"] and e["arrivals"]["by_quarter_hour"]]
    return found[0] if len(found) == 1 else None


def arrivals(doc: dict) -> tuple[Bar, ...]:
    event = arrivals_event(doc)
    if event is None:
        return ()
    return tuple(_count_bar(q, n) for q, n in event["arrivals"]["by_quarter_hour"].items())


def arrivals_words(doc: dict) -> str:
    event = arrivals_event(doc)
    if event is None:
        return "No arrivals to show (none recorded, or several events: see each event's table)."
    shown = [(q, n) for q, n in event["arrivals"]["by_quarter_hour"].items() if isinstance(n, int)]
    busiest = f" Busiest: {max(shown, key=lambda s: s[1])[0]}." if shown else ""
    return f"{text.count(event['attended'])} came, {text.count(event['walk_ins'])} walk-ins.{busiest}"


def intent_mix(doc: dict) -> tuple[Bar, ...]:
    """The intent mix of the (first) event: each category's share of conversations."""
    if not doc["events"]:
        return ()
    by_category = doc["events"][0]["intent"]["by_category"]
    return tuple(
        Bar(c.replace("_", " "), v["share"], text.percent(v["share"]) if v["share"] is not None else text.count(v["timers"]))
        for c, v in by_category.items()
    )


def intent_words(doc: dict) -> str:
    if not doc["events"]:
        return "No event in this report."
    intent = doc["events"][0]["intent"]
    median = intent["duration_minutes"]["median"]
    said = f"{text.count(intent['timers'])} conversations timed"
    return said + (f"; median {median:.1f} min." if median is not None else ".")


def funnel(doc: dict) -> tuple[Bar, ...]:
    total = doc["referrals"]["total"]
    return tuple(_count_bar(label, total[key]) for key, label in FUNNEL)


def funnel_words(doc: dict) -> str:
    total = doc["referrals"]["total"]
    rate = total["conversion"]["rate"]
    if rate is None:
        return f"{text.count(total['referrals'])} referrals; conversion withheld (small numbers)."
    low, high = total["conversion"]["ci95"]
    return f"{text.percent(rate)} reached a first session (95% CI {text.percent(low)}-{text.percent(high)})."


def _curve(name: str, cohort: dict) -> Curve:
    points = [(d, cohort["cumulative_incidence"][str(d)]) for d in INCIDENCE_DAYS]
    return Curve(name, tuple((d, v) for d, v in points if isinstance(v, float)))


def curves(doc: dict) -> tuple[Curve, ...]:
    refs = doc["referrals"]
    return (_curve("all", refs["total"]), _curve("community", refs["by_channel"]["community"]),
            _curve("directory", refs["by_channel"]["directory"]))


def curve_words(doc: dict) -> str:
    return doc["referrals"]["community_vs_directory"]["sentence"]


def comparison_words(doc: dict) -> str:
    """Community vs directory in a few words, for a small panel (the sentence is in the report)."""
    refs, c = doc["referrals"], doc["referrals"]["community_vs_directory"]
    by_30 = [(mark, cohort["cumulative_incidence"]["30"]) for mark, cohort in
             (("c", refs["by_channel"]["community"]), ("d", refs["by_channel"]["directory"]), ("●", refs["total"]))]
    shares = " ".join(f"{mark} {text.percent(v) if isinstance(v, float) else '-'}" for mark, v in by_30)
    if c["rate_ratio"] is None:
        return f"By day 30: {shares} (c community, d directory, ● all). Not compared: small numbers."
    said = f"By day 30: {shares} (c community, d directory, ● all). Community {c['rate_ratio']:.2f}x as often"
    said += f" ({c['rate_ratio_ci95'][0]:.2f}-{c['rate_ratio_ci95'][1]:.2f})"
    if c["median_days_ratio"] is not None:
        said += f", in {c['median_days_ratio']:.2f}x the days"
    return said + "."
