"""Intake fixtures: a movable wall clock on the shared store, people, and the sharing consent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fieldkit import intake_privacy
from fieldkit.registry import add_person

EVENT_DAY_11AM = datetime(2026, 12, 5, 11, 0, tzinfo=timezone.utc)  # Europe/London = UTC in December


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


@pytest.fixture
def consenting(monkeypatch):
    """People for whom the sharing consent is in place (add ids to the returned set)."""
    allowed: set[str] = set()

    def fake_allows(store, person_id, purpose, at=None):
        assert purpose == intake_privacy.PURPOSE
        ok = person_id in allowed
        return intake_privacy.SharingDecision(ok, "Consent given." if ok else "No consent recorded.")

    monkeypatch.setattr(intake_privacy, "_allows", fake_allows)
    return allowed
