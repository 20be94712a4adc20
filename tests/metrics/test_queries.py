"""The report's SQL agrees with the domain it reads: the consent gate and the intake timers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from fieldkit.consent import ConsentError, consenting_people
from fieldkit.consent.records import record_consent
from fieldkit.consent.withdrawal import revoke
from fieldkit.event import create_event
from fieldkit.intake import timers as it
from fieldkit.metrics import queries
from fieldkit.people import add_person
from fieldkit.store import open_store
from fieldkit.store.times import utc_text
from tests.conftest import PASSPHRASE
from tests.metrics import clinic_day
from tests.referrals.conftest import Clock


@pytest.fixture
def event_day(db_path, template):
    create_event(db_path, template, PASSPHRASE).close()
    clock = Clock(clinic_day.EVENT_START)
    store = open_store(db_path, PASSPHRASE, wall=clock)
    yield store, clock
    store.close()


def sql_answers(store, purpose: str, at: datetime) -> set[str]:
    template = clinic_day_template(store)
    condition, params = queries.consent_allowed(template, purpose, "p")
    rows = store.db.execute(
        f"SELECT person_id, {condition} FROM (SELECT person_id, action, decision, text_version, text_sha256,"
        " valid_until, max(at || char(31) || hlc) FROM consent_facts WHERE purpose = :purpose AND at <= :as_of"
        " GROUP BY person_id)",
        {**params, "purpose": purpose, "as_of": utc_text(at)},
    ).fetchall()
    return {person for person, allowed in rows if allowed}


def clinic_day_template(store):
    from fieldkit.event import load_event

    return load_event(store).template


def test_the_reports_consent_rule_gives_the_gates_answers(event_day):
    store, clock = event_day
    rng = random.Random(3)
    people = [add_person(store, f"Person {n}") for n in range(40)]
    revoked = []
    for person in people:
        for _ in range(rng.randrange(1, 4)):
            clock.advance(minutes=rng.randrange(1, 30))
            choice = rng.random()
            if choice < 0.2:
                try:
                    revoke(store, person, "contact_for_followup", method="spoken")
                    revoked.append(person)
                except ConsentError:  # nothing in place to withdraw
                    pass
            else:
                valid = clock_time(clock) + timedelta(days=rng.choice([1, 30, 400]))
                record_consent(store, person, {"contact_for_followup": choice < 0.8, "aggregate_reporting": choice < 0.6},
                               method="spoken", valid_until=valid)
    assert revoked  # some withdrew, some said no, some let it expire
    for later in (0, 2, 60):
        at = clock_time(clock) + timedelta(days=later)
        for purpose in ("contact_for_followup", "aggregate_reporting"):
            assert sql_answers(store, purpose, at) == consenting_people(store, purpose, at)


def clock_time(clock) -> datetime:
    return datetime.fromtimestamp(clock() / 1000, tz=UTC)


def test_timer_durations_in_sql_match_the_intake_module(event_day, template):
    store, clock = event_day
    expected = {}
    for n in range(12):
        timer = it.start_timer(store).timer_id
        clock.advance(minutes=3)
        if n % 3 == 0:
            it.pause_timer(store, timer)
            clock.advance(minutes=5)  # paused time is not counted
            it.resume_timer(store, timer)
            clock.advance(minutes=2)
        if n == 7:
            continue  # left running: not counted
        run = it.stop_timer(store, timer, clinic_day.CATEGORIES[n % 4])
        expected[timer] = (run.category, int(run.elapsed(clock_time(clock)).total_seconds()))
    # One past the event's end, closed there by a review: counted up to the end only.
    clock.millis = int((template.event.ends - timedelta(minutes=10)).timestamp() * 1000)
    late = it.start_timer(store).timer_id
    clock.advance(minutes=30)
    it.stop_timer(store, late, "not_now")
    clock.millis = int((template.event.ends - timedelta(minutes=4)).timestamp() * 1000)
    flagged = it.start_timer(store).timer_id  # started before the end, still running after it
    clock.advance(minutes=40)
    it.close_at_end(store, [late, flagged], "wants_information")
    for timer in (late, flagged):
        run = it.timer(store, timer)
        expected[timer] = (run.category, int(run.elapsed(clock_time(clock)).total_seconds()))
    voided = it.start_timer(store).timer_id
    clock.advance(minutes=50)
    it.stop_timer(store, voided, "not_now")
    it.void_timers(store, [voided])

    aggregates = queries.collect(store, queries.Scope(clock_time(clock) + timedelta(days=1)))
    found = {}
    for _, category, seconds, n in aggregates.rows("intent"):
        found[(category, seconds)] = found.get((category, seconds), 0) + n
    wanted = {}
    for category, seconds in expected.values():
        wanted[(category, seconds)] = wanted.get((category, seconds), 0) + 1
    assert found == wanted
