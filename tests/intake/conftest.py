"""Intake fixtures: a movable wall clock on the shared store, people, and the sharing consent."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke
from fieldkit.intake import privacy as intake_privacy
from fieldkit.people.registry import add_person
from tests.sample_dates import sample_time

EVENT_DAY_11AM = sample_time(11)  # Europe/London = UTC in December


class Wall:
    """A wall clock tests move by hand (milliseconds, like the store's)."""

    def __init__(self, start: datetime):
        self.millis = int(start.timestamp() * 1000)

    def __call__(self) -> int:
        return self.millis

    def advance(self, **kwargs) -> None:
        self.millis += int(timedelta(**kwargs).total_seconds() * 1000)

    def set(self, moment: datetime) -> None:
        self.millis = int(moment.timestamp() * 1000)


def use_wall(store, wall: Wall):
    store.wall = wall
    store.clock.now = wall
    return store


@pytest.fixture
def wall():
    return Wall(EVENT_DAY_11AM)


@pytest.fixture
def timed_store(store, wall):
    """The shared store with its wall clock frozen at 11:00 on the event day."""
    return use_wall(store, wall)


@pytest.fixture
def people(store):
    return {name: add_person(store, name) for name in ("Ada Lovelace", "Grace Hopper", "Kofi Annan")}


class SharingConsent:
    """Records (and withdraws) the real sharing consent through the consent module."""

    def __init__(self, store):
        self.store = store

    def add(self, person_id: str) -> None:
        record_consent(self.store, person_id, {intake_privacy.PURPOSE: True}, method="spoken")

    def revoke(self, person_id: str):
        return revoke(self.store, person_id, intake_privacy.PURPOSE)


@pytest.fixture
def consenting(store):
    """`consenting.add(person_id)` gives the sharing consent; without it, nothing is shared."""
    return SharingConsent(store)
