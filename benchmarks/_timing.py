"""Timing helpers the benchmark scripts share (not a benchmark itself)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable


def time_each(action: Callable, items: Iterable) -> list[float]:
    """Seconds `action(item)` took, for each item."""
    times = []
    for item in items:
        start = time.perf_counter()
        action(item)
        times.append(time.perf_counter() - start)
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
