"""Hybrid logical clock: wall time in milliseconds plus a counter, as sortable text."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

# Stamps compare as strings: 13 digits of milliseconds, a dash, 6 digits of counter.
_WIDTH_MS = 13
_WIDTH_COUNTER = 6
# A received stamp further ahead of this laptop's wall clock than this is held back, not
# applied (and not observed), so one laptop with a wrong clock cannot drag the others along.
MAX_AHEAD_MS = 5 * 60 * 1000


def format_stamp(millis: int, counter: int) -> str:
    return f"{millis:0{_WIDTH_MS}d}-{counter:0{_WIDTH_COUNTER}d}"


def parse_stamp(stamp: str) -> tuple[int, int]:
    """Split a stamp into (milliseconds, counter); ValueError if it is not one."""
    millis, sep, counter = stamp.partition("-")
    if (
        not sep
        or len(millis) != _WIDTH_MS
        or len(counter) != _WIDTH_COUNTER
        or not millis.isdigit()
        or not counter.isdigit()
    ):
        raise ValueError(f"not a clock stamp: {stamp!r}")
    return int(millis), int(counter)


STAMP = re.compile(r"[0-9]{%d}-[0-9]{%d}" % (_WIDTH_MS, _WIDTH_COUNTER))


def is_stamp(value: object) -> bool:
    """Whether `value` is a well-formed stamp (checked for every change received: one regex)."""
    return isinstance(value, str) and STAMP.fullmatch(value) is not None


def ahead_ms(stamp: str, now_ms: int) -> int:
    """How far a (well-formed) stamp is ahead of the wall clock reading `now_ms`."""
    return parse_stamp(stamp)[0] - now_ms


def wall_millis() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class HybridClock:
    """Issues strictly increasing stamps that stay close to wall time.

    `now` is injectable so tests can freeze or move time.
    """

    millis: int = 0
    counter: int = 0
    now: Callable[[], int] = wall_millis

    @classmethod
    def resume(cls, last_stamp: str | None, now: Callable[[], int] = wall_millis) -> HybridClock:
        """A clock that continues after `last_stamp` (persisted across restarts)."""
        if not last_stamp:
            return cls(now=now)
        millis, counter = parse_stamp(last_stamp)
        return cls(millis=millis, counter=counter, now=now)

    def tick(self) -> str:
        """A new stamp for a local event."""
        physical = self.now()
        if physical > self.millis:
            self.millis, self.counter = physical, 0
        else:
            self.counter += 1
        return format_stamp(self.millis, self.counter)

    def observe(self, stamp: str, max_drift_ms: int | None = None) -> bool:
        """Move past a received stamp; returns False (and ignores it) when it is
        more than `max_drift_ms` ahead of this laptop's wall clock."""
        if max_drift_ms is not None and ahead_ms(stamp, self.now()) > max_drift_ms:
            return False
        millis, counter = parse_stamp(stamp)
        if millis > self.millis or (millis == self.millis and counter > self.counter):
            self.millis, self.counter = millis, counter
        return True

    @property
    def last(self) -> str:
        return format_stamp(self.millis, self.counter)
