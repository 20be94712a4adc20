"""The report's statistics, standard library only: intervals, tests, quantiles and cumulative incidence.

Every function takes counts (or a histogram of whole-day values with their counts), so
the same figures come out of one database and out of many aggregate files added up.
Formulas and the references the tests check them against are in docs/metrics.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% confidence interval."""

    value: float
    ci95: Interval


def wilson(successes: int, trials: int, z: float = Z95) -> Interval:
    """Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3)."""
    if trials <= 0:
        raise ValueError("A proportion needs at least one trial.")
    if not 0 <= successes <= trials:
        raise ValueError("Successes must be between 0 and the number of trials.")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    low = 0.0 if successes == 0 else centre - half  # exactly 0 (and 1 below), not a rounding error
    high = 1.0 if successes == trials else centre + half
    return Interval(low, high)


def rate_ratio(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> Estimate | None:
    """(k1/n1) / (k2/n2) with the log-method interval (Katz et al. 1978); None when either count is 0."""
    if min(k1, k2) <= 0 or min(n1, n2) <= 0:
        return None
    ratio = (k1 / n1) / (k2 / n2)
    se = math.sqrt(1 / k1 - 1 / n1 + 1 / k2 - 1 / n2)
    return Estimate(ratio, Interval(ratio * math.exp(-z * se), ratio * math.exp(z * se)))


def difference(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> Estimate:
    """k1/n1 - k2/n2 with Newcombe's hybrid score interval (Newcombe 1998b, method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    a, b = wilson(k1, n1, z), wilson(k2, n2, z)
    low = (p1 - p2) - math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2)
    high = (p1 - p2) + math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2)
    return Estimate(p1 - p2, Interval(low, high))


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when it is undefined."""
    if min(n1, n2) <= 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        return None
    z = (k1 / n1 - k2 / n2) / math.sqrt(variance)
    return 2 * (1 - NormalDist().cdf(abs(z)))


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile of the values a histogram (value -> count) holds, interpolated
    linearly between order statistics (Hyndman and Fan type 7, numpy's default)."""
    items = sorted((v, c) for v, c in histogram.items() if c > 0)
    total = sum(c for _, c in items)
    if total == 0:
        return None
    position = q * (total - 1)  # 0-based rank in the sorted values
    below = math.floor(position)

    def value_at(rank: int) -> int:
        seen = 0
        for value, count in items:
            seen += count
            if rank < seen:
                return value
        return items[-1][0]

    low, high = value_at(below), value_at(min(below + 1, total - 1))
    return low + (position - below) * (high - low)


@dataclass(frozen=True)
class Incidence:
    """A cumulative incidence curve: its value just after each day where it changed."""

    steps: tuple[tuple[int, float], ...]
    # The last day the curve is known: after the last censoring it says nothing more;
    # None when everyone's outcome is known, so the curve is flat from its last step on.
    known_until: int | None

    def at(self, day: int) -> float | None:
        """The cumulative incidence by `day`, or None when no one was followed that long."""
        if self.known_until is not None and day > self.known_until:
            return None
        value = 0.0
        for step_day, step_value in self.steps:
            if step_day > day:
                break
            value = step_value
        return value

    def reaches(self, level: float) -> int | None:
        """The first day the curve reaches `level` (e.g. 0.5), or None ("not reached")."""
        for day, value in self.steps:
            if value >= level - 1e-12:
                return day
        return None


def aalen_johansen(
    events: Mapping[int, int], competing: Mapping[int, int], censored: Mapping[int, int]
) -> Incidence:
    """Cumulative incidence of an event with one competing event and right censoring.

    Each argument maps a day to how many were seen to have that outcome on that day. On a
    day with both, events and competing events happen before censoring (those censored
    that day were still at risk). Aalen and Johansen (1978); with no competing events
    this is one minus Kaplan-Meier.
    """
    days = sorted({d for h in (events, competing, censored) for d, c in h.items() if c > 0})
    at_risk = sum(events.values()) + sum(competing.values()) + sum(censored.values())
    survival, incidence = 1.0, 0.0
    steps: list[tuple[int, float]] = []
    for day in days:
        e, c, x = events.get(day, 0), competing.get(day, 0), censored.get(day, 0)
        if at_risk > 0 and e:
            incidence += survival * e / at_risk
            steps.append((day, incidence))
        if at_risk > 0:
            survival *= 1 - (e + c) / at_risk
        at_risk -= e + c + x
    if not days:
        return Incidence((), -1)
    last = days[-1]
    return Incidence(tuple(steps), last if censored.get(last, 0) or at_risk > 0 else None)


def histogram(values: Iterable[int]) -> dict[int, int]:
    """Value -> count, for tests and small callers."""
    found: dict[int, int] = {}
    for v in values:
        found[v] = found.get(v, 0) + 1
    return found
