"""Intent timers: facts in, state out, under a frozen and a moved clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldkit.intake import timers as it
from fieldkit.intake.privacy import texts_of
from tests.intake.conftest import EVENT_DAY_11AM, use_wall


def test_elapsed_is_the_sum_of_running_spans(timed_store, wall):
    started = it.start_timer(timed_store)
    wall.advance(minutes=3)
    it.pause_timer(timed_store, started.timer_id)
    wall.advance(minutes=10)  # paused: does not count
    run = it.timer(timed_store, started.timer_id)
    assert run.state == it.PAUSED and run.elapsed(timed_store.now()) == timedelta(minutes=3)
    it.resume_timer(timed_store, started.timer_id)
    wall.advance(seconds=90)
    assert it.timer(timed_store, started.timer_id).elapsed(timed_store.now()) == timedelta(minutes=4, seconds=30)
    stopped = it.stop_timer(timed_store, started.timer_id, "book_session")
    wall.advance(hours=1)  # a stopped timer no longer grows
    assert stopped.elapsed(timed_store.now()) == timedelta(minutes=4, seconds=30)
    assert stopped.category == "book_session" and not stopped.is_open


def test_several_timers_at_once_and_open_timers(timed_store, wall):
    ids = []
    for _ in range(3):
        ids.append(it.start_timer(timed_store).timer_id)
        wall.advance(minutes=1)
    it.stop_timer(timed_store, ids[1], "not_now")
    it.pause_timer(timed_store, ids[2])
    open_now = it.open_timers(timed_store)
    assert [r.timer_id for r in open_now] == [ids[0], ids[2]]
    assert [r.state for r in open_now] == [it.RUNNING, it.PAUSED]
    assert [r.elapsed(timed_store.now()) for r in open_now] == [timedelta(minutes=3), timedelta(minutes=1)]


def test_clock_set_back_never_makes_time_negative(timed_store, wall):
    started = it.start_timer(timed_store)
    wall.advance(minutes=5)
    it.pause_timer(timed_store, started.timer_id)
    wall.advance(minutes=-30)  # someone fixes the laptop's clock
    it.resume_timer(timed_store, started.timer_id)  # facts still apply in written order
    wall.advance(minutes=2)
    run = it.timer(timed_store, started.timer_id)
    assert run.state == it.RUNNING
    assert run.elapsed(timed_store.now()) == timedelta(minutes=7)
    wall.advance(minutes=-60)
    assert it.timer(timed_store, started.timer_id).elapsed(timed_store.now()) == timedelta(minutes=5)


def test_clock_jumping_forward_counts_the_wall_time(timed_store, wall):
    started = it.start_timer(timed_store)
    wall.advance(hours=2)
    assert it.timer(timed_store, started.timer_id).elapsed(timed_store.now()) == timedelta(hours=2)


def test_refusals_change_nothing(timed_store, wall):
    started = it.start_timer(timed_store)
    before = timed_store.counts()["intent_timer_events"]
    cases = [
        (lambda: it.resume_timer(timed_store, started.timer_id), "not_paused"),
        (lambda: it.stop_timer(timed_store, started.timer_id, "bogus"), "unknown_category"),
        (lambda: it.stop_timer(timed_store, started.timer_id, "other", "x" * 201), "note_too_long"),
        (lambda: it.pause_timer(timed_store, "NOPE"), "unknown_timer"),
    ]
    for action, code in cases:
        with pytest.raises(it.TimerError) as caught:
            action()
        assert caught.value.code == code and str(caught.value).endswith(".")
    it.stop_timer(timed_store, started.timer_id, "not_now")
    with pytest.raises(it.TimerError) as caught:
        it.pause_timer(timed_store, started.timer_id)
    assert caught.value.code == "not_running"
    with pytest.raises(it.TimerError) as caught:
        it.stop_timer(timed_store, started.timer_id, "not_now")
    assert caught.value.code == "already_stopped"
    assert timed_store.counts()["intent_timer_events"] == before + 1


def test_a_timer_running_past_the_event_end_is_flagged_not_counted(timed_store, wall):
    done = it.start_timer(timed_store).timer_id
    late = it.start_timer(timed_store).timer_id
    overran = it.start_timer(timed_store).timer_id
    wall.advance(minutes=4)
    it.stop_timer(timed_store, done, "book_session")
    wall.set(EVENT_DAY_11AM.replace(hour=16, minute=5))  # the event ended at 16:00
    it.stop_timer(timed_store, overran, "wants_information")
    summary = it.day_summary(timed_store)
    assert summary.counts == {"book_session": 1}
    assert summary.median == timedelta(minutes=4)
    assert summary.for_review == 2 and summary.running == 0
    ends = it.load_event(timed_store).template.event.ends
    assert it.timer(timed_store, late).needs_review(ends, timed_store.now())


def test_day_summary_counts_and_median(timed_store, wall):
    for minutes, category in [(2, "book_session"), (6, "book_session"), (10, "not_now")]:
        timer_id = it.start_timer(timed_store).timer_id
        wall.advance(minutes=minutes)
        it.stop_timer(timed_store, timer_id, category)
    it.start_timer(timed_store)
    summary = it.day_summary(timed_store)
    assert summary.counts == {"book_session": 2, "not_now": 1}
    assert summary.median == timedelta(minutes=6) and summary.running == 1
    assert it.day_summary(timed_store, EVENT_DAY_11AM.date() + timedelta(days=1)).counts == {}
    assert it.format_duration(timedelta(minutes=6, seconds=5)) == "6:05"
    assert it.format_duration(timedelta(hours=1, seconds=5)) == "1:00:05"
    # The list's minutes: whole ones, never rounded up.
    assert [it.format_minutes(timedelta(seconds=s)) for s in (59, 60, 3599, 3900)] == ["0 min", "1 min", "59 min", "1 h 05"]
    assert it.format_minutes(None) == "-"


def test_note_kept_only_for_a_linked_timer(timed_store, people, consenting):
    consenting.add(people["Ada Lovelace"])
    linked = it.start_timer(timed_store, people["Ada Lovelace"])
    unlinked = it.start_timer(timed_store, people["Grace Hopper"])
    assert linked.linked and not unlinked.linked
    with pytest.raises(it.TimerError) as caught:
        it.stop_timer(timed_store, linked.timer_id, "other", "  ")
    assert caught.value.code == "note_needed"
    it.stop_timer(timed_store, linked.timer_id, "other", "wants  a  leaflet in Polish")
    it.stop_timer(timed_store, unlinked.timer_id, "other", "lives at 3 Mill Lane")
    assert texts_of(timed_store, linked.timer_id) == {"note": "wants a leaflet in Polish"}
    assert texts_of(timed_store, unlinked.timer_id) == {}
    assert it.timer(timed_store, linked.timer_id).person_id == people["Ada Lovelace"]
    assert it.timer(timed_store, unlinked.timer_id).person_id is None


def test_timers_survive_reopening_the_store(timed_store, wall, reopen):
    ids = [it.start_timer(timed_store).timer_id for _ in range(3)]
    it.pause_timer(timed_store, ids[0])
    timed_store.close()
    wall.advance(minutes=7)
    again = use_wall(reopen(), wall)
    runs = {r.timer_id: r for r in it.open_timers(again)}
    assert set(runs) == set(ids)
    assert runs[ids[0]].elapsed(again.now()) == timedelta(0)
    assert runs[ids[1]].elapsed(again.now()) == timedelta(minutes=7)


def test_a_scanned_pass_names_its_person_and_a_bad_scan_is_refused(timed_store):
    from fieldkit.people.registry import add_person, add_registration
    from fieldkit.tokens import PASS, REFERRAL, sign_token

    person = add_person(timed_store, "Ada Lovelace")
    registration = add_registration(timed_store, person, source="walk-in")
    holder = it.person_from_pass(timed_store, sign_token(timed_store, PASS, registration))
    assert holder == it.PassHolder(person, "Ada Lovelace")
    for code, expected in [
        ("FK1:NOTATOKEN", "scan_malformed"),
        (sign_token(timed_store, REFERRAL, registration), "scan_not_a_pass"),
        (sign_token(timed_store, PASS, it.new_id()), "scan_unknown_registration"),
    ]:
        with pytest.raises(it.TimerError) as caught:
            it.person_from_pass(timed_store, code)
        assert caught.value.code == expected


def test_an_anonymous_timer_is_linked_only_once_the_sharing_consent_allows_it(timed_store, people, consenting):
    ada = people["Ada Lovelace"]
    started = it.start_timer(timed_store, ada)
    assert not started.linked
    refused = it.link_timer(timed_store, started.timer_id, ada)
    assert not refused and "No consent" in refused.message
    assert it.timer(timed_store, started.timer_id).person_id is None
    consenting.add(ada)  # given during the conversation
    assert it.link_timer(timed_store, started.timer_id, ada)
    assert it.timer(timed_store, started.timer_id).person_id == ada
    links = timed_store.db.execute("SELECT count(*) FROM intake_links").fetchone()[0]
    for code, timer_id in (("not_linkable", started.timer_id), ("unknown_timer", "NO-SUCH-TIMER")):
        with pytest.raises(it.TimerError) as caught:
            it.link_timer(timed_store, timer_id, ada)
        assert caught.value.code == code
    stopped = it.start_timer(timed_store)
    it.stop_timer(timed_store, stopped.timer_id, "not_now")
    with pytest.raises(it.TimerError):
        it.link_timer(timed_store, stopped.timer_id, ada)
    assert timed_store.db.execute("SELECT count(*) FROM intake_links").fetchone()[0] == links
