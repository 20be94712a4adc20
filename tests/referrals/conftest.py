"""Fixtures for the referral tests: a clock the test can move, and a few referrals."""

from __future__ import annotations

from datetime import datetime

import pytest

from fieldkit.event import create_event
from fieldkit.store import open_store
from tests.conftest import PASSPHRASE
from tests.sample_dates import sample_time


class Clock:
    """A wall clock in milliseconds that tests move by hand."""

    def __init__(self, start: datetime):
        self.millis = int(start.timestamp() * 1000)

    def __call__(self) -> int:
        return self.millis

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        self.millis += int(((days * 24 + hours) * 60 + minutes) * 60_000)


@pytest.fixture
def clock():
    # A Saturday, the event day of the wellbeing template (10:00 London).
    return Clock(sample_time(10))


@pytest.fixture
def clinic(db_path, template, clock):
    """The wellbeing event's database, opened with the test's clock."""
    create_event(db_path, template, PASSPHRASE, device_name="intake-1").close()
    store = open_store(db_path, PASSPHRASE, wall=clock)
    yield store
    store.close()
