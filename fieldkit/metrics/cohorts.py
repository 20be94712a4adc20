"""Referral cohorts (by channel, month of issue, event and community) and community vs directory, suppressed.

Every count comes from the `referrals` aggregate table, suppressed as one problem (all
the breakdowns share their totals); every figure derived from a hidden count is None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fieldkit.metrics import stats
from fieldkit.metrics.aggregates import Aggregates
from fieldkit.metrics.disclosure import Shown, rectangle, suppress_report

STAGES = ("issued", "vetted", "booked", "first_session", "third_session")
CHANNELS = ("community", "directory", "walk_in", "practitioner")
# The atoms' columns: the furthest step a referral reached, and whether it ended.
COLUMNS = tuple((stage, ended) for stage in range(len(STAGES)) for ended in (0, 1))
COUNTS: dict[str, Callable[[int, int], bool]] = {
    "referrals": lambda stage, ended: True,
    "vetted": lambda stage, ended: stage >= 1,
    "booked": lambda stage, ended: stage >= 2,
    "first_session": lambda stage, ended: stage >= 3,
    "third_session": lambda stage, ended: stage >= 4,
    "ended": lambda stage, ended: ended == 1,
}
DIMENSIONS = {"channel": 3, "month": 2, "event": 1, "community": 0}  # -> position in a group key
INCIDENCE_DAYS = (7, 14, 30, 90)
NOT_REACHED = "not reached"


@dataclass(frozen=True)
class Cohorts:
    """Suppressed referral counts and the histograms the derived figures come from."""

    groups: tuple[tuple, ...]  # (community, event_id, month, channel)
    shown: dict[tuple, Shown]  # (dimension, value, count) -> how it is shown
    days: dict[tuple, dict[str, dict[int, int]]]  # group -> outcome -> day -> referrals
    windows: dict[tuple, dict[str, tuple[int, int]]]  # group -> window -> (eligible, reached)
    threshold: int


def members(groups: tuple[tuple, ...], dimension: str | None, value: str | None) -> list[int]:
    if dimension is None:
        return list(range(len(groups)))
    at = DIMENSIONS[dimension]
    return [i for i, g in enumerate(groups) if g[at] == value]


def values_of(groups: Iterable[tuple], dimension: str) -> list[str]:
    found = sorted({g[DIMENSIONS[dimension]] for g in groups})
    if dimension == "channel":
        found = list(CHANNELS) + [c for c in found if c not in CHANNELS]
    return found


def build(aggregates: Aggregates, threshold: int, fixed_total: bool = False) -> Cohorts:
    counts: dict[tuple, list[int]] = {}
    for community, event_id, month, channel, stage, ended, n in aggregates.rows("referrals"):
        row = counts.setdefault((community, event_id, month, channel), [0] * len(COLUMNS))
        row[COLUMNS.index((min(stage, len(STAGES) - 1), 1 if ended else 0))] += n
    groups = tuple(sorted(counts))
    atoms = [counts[g] for g in groups] or [[0] * len(COLUMNS)]
    figures = {}
    for dimension in (None, *DIMENSIONS):
        for value in ([None] if dimension is None else values_of(groups, dimension)):
            rows = members(groups, dimension, value)
            for name, test in COUNTS.items():
                columns = [c for c, (stage, ended) in enumerate(COLUMNS) if test(stage, ended)]
                figures[(dimension or "total", value or "", name)] = rectangle(rows, columns, len(COLUMNS))
    shown = suppress_report(atoms, figures, threshold=threshold)
    days: dict[tuple, dict[str, dict[int, int]]] = {}
    for community, event_id, month, channel, outcome, day, n in aggregates.rows("referral_days"):
        into = days.setdefault((community, event_id, month, channel), {}).setdefault(outcome, {})
        into[day] = into.get(day, 0) + n
    windows: dict[tuple, dict[str, tuple[int, int]]] = {}
    for community, event_id, month, channel, window, eligible, reached in aggregates.rows("referral_windows"):
        into = windows.setdefault((community, event_id, month, channel), {})
        before = into.get(window, (0, 0))
        into[window] = (before[0] + eligible, before[1] + reached)
    return Cohorts(groups, shown, days, windows, threshold)


def count(cohorts: Cohorts, dimension: str, value: str, name: str) -> int | str | None:
    """A count as the JSON shows it: a number, "<11", or None when withheld."""
    return cohorts.shown[(dimension, value, name)].published


def _visible(cohorts: Cohorts, dimension: str, value: str, *names: str) -> list[int] | None:
    found = [cohorts.shown[(dimension, value, n)] for n in names]
    return None if any(s.hidden for s in found) else [s.value for s in found]


def _big_or_zero(n: int, t: int) -> bool:
    return n == 0 or n >= t


def _histogram(cohorts: Cohorts, rows: list[int], outcome: str) -> dict[int, int]:
    total: dict[int, int] = {}
    for i in rows:
        for day, n in cohorts.days.get(cohorts.groups[i], {}).get(outcome, {}).items():
            total[day] = total.get(day, 0) + n
    return total


def quantiles(histogram: dict[int, int], shown_count: int | None, threshold: int) -> dict[str, float | None]:
    """Median and p90 of a histogram, withheld unless they come from a shown count of 11 or more."""
    if shown_count is None or shown_count < threshold:
        return {"median": None, "p90": None}
    return {"median": stats.quantile(histogram, 0.5), "p90": stats.quantile(histogram, 0.9)}


def _rate(k: int, n: int) -> dict:
    if n == 0:
        return {"rate": None, "ci95": None}
    ci = stats.wilson(k, n)
    return {"rate": k / n, "ci95": [ci.low, ci.high]}


def window_rate(cohorts: Cohorts, rows: list[int], window: str, shown: bool) -> float | None:
    eligible = sum(cohorts.windows.get(cohorts.groups[i], {}).get(window, (0, 0))[0] for i in rows)
    reached = sum(cohorts.windows.get(cohorts.groups[i], {}).get(window, (0, 0))[1] for i in rows)
    t = cohorts.threshold
    if not shown or eligible < t or not _big_or_zero(reached, t) or not _big_or_zero(eligible - reached, t):
        return None
    return reached / eligible


def cohort(cohorts: Cohorts, dimension: str, value: str) -> dict:
    """Every figure of one cohort (a channel, a month, an event, a community, or the total)."""
    rows = members(cohorts.groups, None if dimension == "total" else dimension, value)
    t = cohorts.threshold
    doc = {name: count(cohorts, dimension, value, name) for name in COUNTS}
    pair = _visible(cohorts, dimension, value, "first_session", "referrals")
    third = _visible(cohorts, dimension, value, "third_session", "referrals")
    doc["conversion"] = _rate(*pair) if pair else {"rate": None, "ci95": None}
    doc["third_session_conversion"] = _rate(*third) if third else {"rate": None, "ci95": None}
    first_days = _histogram(cohorts, rows, "first_session")
    doc["days_to_first_session"] = quantiles(first_days, pair[0] if pair else None, t)
    doc["cumulative_incidence"] = _incidence(cohorts, rows, pair, first_days)
    doc["retention"] = {f"{n}_days": window_rate(cohorts, rows, f"retention_{n}", pair is not None) for n in (30, 90)}
    return doc


def _incidence(cohorts: Cohorts, rows: list[int], pair: list[int] | None, first_days: dict[int, int]) -> dict:
    t = cohorts.threshold
    if pair is None or pair[1] == 0:
        return {str(d): None for d in INCIDENCE_DAYS}
    curve = stats.aalen_johansen(first_days, _histogram(cohorts, rows, "ended"), _histogram(cohorts, rows, "open"))
    found = {}
    for day in INCIDENCE_DAYS:
        by_then = sum(n for d, n in first_days.items() if d <= day)
        value = curve.at(day)
        if not (_big_or_zero(by_then, t) and _big_or_zero(pair[1] - by_then, t)):
            found[str(day)] = None  # it would tell how many (1 to 10) had, or had not, a first session
        else:
            found[str(day)] = NOT_REACHED if value is None else value
    return found


def community_vs_directory(cohorts: Cohorts) -> dict:
    """Conversion of community introductions against directory referrals, with its sentence."""
    community = _visible(cohorts, "channel", "community", "first_session", "referrals")
    directory = _visible(cohorts, "channel", "directory", "first_session", "referrals")
    doc = {key: None for key in ("rate_ratio", "rate_ratio_ci95", "difference", "difference_ci95", "p_value", "median_days_ratio")}
    if not community or not directory or not community[1] or not directory[1]:
        doc["sentence"] = (
            "Community introductions and directory referrals cannot be compared without showing small numbers "
            "(or one of them has none)."
        )
        return doc
    (k1, n1), (k2, n2) = community, directory
    ratio = stats.rate_ratio(k1, n1, k2, n2)
    diff = stats.difference(k1, n1, k2, n2)
    if ratio:
        doc["rate_ratio"], doc["rate_ratio_ci95"] = ratio.value, [ratio.ci95.low, ratio.ci95.high]
    doc["difference"], doc["difference_ci95"] = diff.value, [diff.ci95.low, diff.ci95.high]
    doc["p_value"] = stats.two_proportion_p(k1, n1, k2, n2)
    t = cohorts.threshold
    medians = [
        quantiles(_histogram(cohorts, members(cohorts.groups, "channel", c), "first_session"), k, t)["median"]
        for c, k in (("community", k1), ("directory", k2))
    ]
    if None not in medians and medians[1] > 0:
        doc["median_days_ratio"] = medians[0] / medians[1]
    doc["sentence"] = sentence(doc, medians)
    return doc


def sentence(doc: dict, medians: list[float | None]) -> str:
    """The comparison in one plain sentence, as a funder would read it."""
    ratio, ci = doc["rate_ratio"], doc["rate_ratio_ci95"]
    if ratio is None:
        diff, ci = doc["difference"], doc["difference_ci95"]
        how = f"{abs(diff) * 100:.0f} percentage points {'more' if diff >= 0 else 'less'} often"
        said = f"Community introductions reached a first session {how} than directory referrals (95% CI {ci[0] * 100:.0f} to {ci[1] * 100:.0f} points)"
    else:
        change = (ratio - 1) * 100
        how = "as often as" if round(change) == 0 else f"{abs(change):.0f}% {'more' if change > 0 else 'less'} often than"
        said = f"Community introductions reached a first session {how} directory referrals (95% CI {ci[0]:.2f} to {ci[1]:.2f} times as often)"
    if doc["median_days_ratio"] is not None:
        speed = (1 - doc["median_days_ratio"]) * 100
        when = "just as soon" if round(speed) == 0 else f"{abs(speed):.0f}% {'sooner' if speed > 0 else 'later'}"
        said += f" and {when} (median {medians[0]:g} days against {medians[1]:g})"
    return said + "."
