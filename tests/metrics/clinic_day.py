"""A clinic day played through the domain (desk, consent, intake timers, referrals), and what it should count."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fieldkit import referrals as rf
from fieldkit.checkin import Desk
from fieldkit.consent.records import record_consent
from fieldkit.intake.timers import start_timer, stop_timer
from fieldkit.people.registry import add_person, add_registration
from fieldkit.store import Store

EVENT_START = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # the wellbeing template: 10:00 London
CATEGORIES = ("book_session", "wants_information", "referred_elsewhere", "not_now")


@dataclass
class Expected:
    registered: int = 0
    attended: int = 0
    walk_ins: int = 0
    no_shows: int = 0
    double_checkins: int = 0
    followup: int = 0
    timers: dict[str, list[int]] = field(default_factory=dict)  # category -> durations in seconds
    arrivals: dict[str, int] = field(default_factory=dict)  # quarter hour -> first check-ins counted
    referrals: dict[str, int] = field(default_factory=dict)  # channel -> issued at the event
    booked_within_7: int = 0


def _quarter(clock) -> str:
    minutes = clock() // 60000  # London is UTC in December
    return f"{minutes // 60 % 24:02d}:{minutes % 60 // 15 * 15:02d}"


def play(store: Store, clock, *, registered: int = 60, came: int = 44, walk_ins: int = 14, doubles: int = 14,
         mistakes: int = 3, said_no: int = 2, followups: int = 20, seed: int = 5) -> Expected:
    """Registrations, arrivals (some twice, some voided), consent, timers and referrals, on the event day."""
    rng = random.Random(seed)
    expected = Expected()
    registrations = []
    for n in range(registered):
        person = add_person(store, f"Guest {n}", email=f"guest{n}@example.org")
        registrations.append((person, add_registration(store, person, source="csv", external_id=f"G{n}")))
    desk = Desk(store)
    attendees: list[str] = []
    for person, registration in registrations[:came]:
        clock.advance(minutes=rng.choice([1, 1, 1, 2]))
        desk.check_in_registration(registration)
        attendees.append(person)
        if len(attendees) > said_no:
            expected.arrivals[_quarter(clock)] = expected.arrivals.get(_quarter(clock), 0) + 1
    for _, registration in registrations[came:came + mistakes]:
        clock.advance(minutes=1)
        desk.check_in_registration(registration)  # the wrong person picked ...
        desk.undo_last()  # ... and voided: they did not come
    for n in range(walk_ins):
        clock.advance(minutes=2)
        result = desk.walk_in(f"Walk-in {n}")
        attendees.append(result.person_id)
        expected.arrivals[_quarter(clock)] = expected.arrivals.get(_quarter(clock), 0) + 1
    for person in attendees[:doubles]:
        clock.advance(minutes=1)
        desk.check_in_person(person)  # a second desk, later: recorded and flagged
    counted = attendees[said_no:]
    for person in attendees[:said_no]:
        record_consent(store, person, {"aggregate_reporting": False}, method="spoken")
    for person in counted[:followups]:
        record_consent(store, person, {"contact_for_followup": True}, method="spoken")
    # The first `said_no` attendees are left out of every count about people.
    expected.registered = registered - sum(1 for p in attendees[:said_no] if p in {r[0] for r in registrations})
    expected.attended = len(counted)
    expected.walk_ins = walk_ins - max(0, said_no - came)
    expected.no_shows = registered - came
    expected.double_checkins = doubles - said_no
    expected.followup = followups
    for n in range(36):
        timer = start_timer(store)
        seconds = rng.randrange(60, 600)  # all stopped before the event ends at 16:00
        clock.advance(minutes=seconds / 60)
        category = CATEGORIES[n % 4]
        stop_timer(store, timer.timer_id, category)
        expected.timers.setdefault(category, []).append(seconds)
    amina = rf.add_introducer(store, "Amina Yusuf")
    issued = []
    for n in range(30):
        channel = "community" if n % 3 else "walk_in"
        referral = rf.issue_referral(store, channel=channel, introducer_id=amina if channel == "community" else None,
                                     need="anxiety")
        expected.referrals[channel] = expected.referrals.get(channel, 0) + 1
        issued.append(referral)
    for referral in issued:
        rf.vet(store, referral.id, "amara-okafor")
    clock.advance(days=3)
    for referral in issued[:14]:
        rf.set_status(store, referral.id, rf.BOOKED)
    expected.booked_within_7 = 14
    clock.advance(days=10)
    for referral in issued[14:19]:
        rf.set_status(store, referral.id, rf.BOOKED)
    return expected
