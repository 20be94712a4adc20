"""The sample events as the tests meet them: as far ahead of today as when the tests were written.

The tests were written on 2026-11-30 against sample events a few days ahead (passes valid,
nothing started). Run later, every date in the sample files (the event's start and end,
the registrations' order dates) moves by the days since, into a copy made once per run;
run on or before that day, the files are used as they are. A test that pins its own clock
to the event day takes it from `sample_time` (the moved day, at a time in London), never a
date written in the test.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

WRITTEN_ON = date(2026, 11, 30)
SAMPLE_DAY_AS_WRITTEN = date(2026, 12, 5)  # the wellbeing pop-up's day in its file
SAMPLE_ZONE = ZoneInfo("Europe/London")
SAMPLE_EVENTS_AS_WRITTEN = Path(__file__).resolve().parent.parent / "sample_events"
_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def moved(text: str, days: int) -> str:
    """`text` with every YYYY-MM-DD in it `days` later."""

    def later(match: re.Match) -> str:
        return (date(*map(int, match.groups())) + timedelta(days=days)).isoformat()

    return _DATE.sub(later, text)


def days_moved(today: date | None = None) -> int:
    """How many days later the tests hold the sample events than their files say."""
    return max(0, ((today or datetime.now(timezone.utc).date()) - WRITTEN_ON).days)


DAYS_MOVED = days_moved()  # once per run, so every test and file agrees even across midnight


def sample_time(hour: int, minute: int = 0, *, days: int = 0) -> datetime:
    """`hour`:`minute` in London on the wellbeing pop-up's day as the tests hold it (plus `days`), in UTC."""
    day = SAMPLE_DAY_AS_WRITTEN + timedelta(days=DAYS_MOVED + days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SAMPLE_ZONE).astimezone(timezone.utc)


def sample_day(days: int = 0) -> str:
    """The wellbeing pop-up's day as the tests hold it (plus `days`), YYYY-MM-DD."""
    return (SAMPLE_DAY_AS_WRITTEN + timedelta(days=DAYS_MOVED + days)).isoformat()


def sample_events(days: int = DAYS_MOVED) -> Path:
    """The folder of sample events the tests use: the files moved `days` later."""
    if days <= 0:
        return SAMPLE_EVENTS_AS_WRITTEN
    folder = Path(tempfile.mkdtemp(prefix="fieldkit-samples-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for source in SAMPLE_EVENTS_AS_WRITTEN.iterdir():
        if source.suffix in (".toml", ".csv"):
            (folder / source.name).write_text(moved(source.read_text(encoding="utf-8"), days), encoding="utf-8")
    return folder
