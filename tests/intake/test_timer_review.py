"""Reviewing timers that ran past the event's end: review facts under a moved clock, and the CLI."""

from __future__ import annotations

import csv
from datetime import timedelta
from functools import partial

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.intake import timers as it
from fieldkit.intake.export import export_csv
from fieldkit.store import open_store, utc_text
from tests.conftest import PASSPHRASE
from tests.intake.conftest import EVENT_DAY_11AM

ENV = {"FIELDKIT_PASSPHRASE": PASSPHRASE}


def at(hour: int, minute: int = 0):
    return EVENT_DAY_11AM.replace(hour=hour, minute=minute)  # the event ends at 16:00


def timer_facts(store) -> list[tuple]:
    return store.db.execute("SELECT id, timer_id, kind, at, category FROM intent_timer_events ORDER BY hlc").fetchall()


@pytest.fixture
def late_day(timed_store, wall):
    """At 16:30: one timer stopped in time, and four that ran past the 16:00 end."""
    ids = {}
    wall.set(at(15, 30))
    ids["on_time"] = it.start_timer(timed_store).timer_id
    wall.set(at(15, 40))
    ids["running"] = it.start_timer(timed_store).timer_id
    it.stop_timer(timed_store, ids["on_time"], "book_session")
    wall.set(at(15, 45))
    ids["stopped_late"] = it.start_timer(timed_store).timer_id
    wall.set(at(15, 50))
    ids["paused"] = it.start_timer(timed_store).timer_id
    wall.set(at(15, 55))
    it.pause_timer(timed_store, ids["paused"])
    wall.set(at(16, 5))
    it.stop_timer(timed_store, ids["stopped_late"], "not_now")
    wall.set(at(16, 10))
    ids["started_late"] = it.start_timer(timed_store).timer_id
    wall.set(at(16, 30))
    return ids


def test_flagged_timers_are_listed_and_closed_at_the_end_with_a_category(timed_store, late_day):
    ids = late_day
    flagged = [r.timer_id for r in it.timers_for_review(timed_store)]
    assert flagged == [ids["running"], ids["stopped_late"], ids["paused"], ids["started_late"]]
    assert it.day_summary(timed_store).counts == {"book_session": 1}

    closed = it.close_at_end(timed_store, [ids["running"], ids["stopped_late"], ids["paused"]], "wants_information")
    ends = at(16)
    assert [r.stopped_at for r in closed] == [ends] * 3
    assert {r.review for r in closed} == {it.CLOSED_AT_END} and {r.category for r in closed} == {"wants_information"}
    # The time after the end is not counted: 15:40-16:00, 15:45-16:00 (not to 16:05), 15:50-15:55.
    now = timed_store.now()
    assert [r.elapsed(now) for r in closed] == [timedelta(minutes=m) for m in (20, 15, 5)]
    assert [r.timer_id for r in it.timers_for_review(timed_store)] == [ids["started_late"]]
    assert ids["running"] not in {r.timer_id for r in it.open_timers(timed_store)}

    summary = it.day_summary(timed_store)
    assert summary.counts == {"book_session": 1, "wants_information": 3}
    assert summary.for_review == 1 and summary.running == 0


def test_a_timer_started_after_the_end_can_only_be_voided(timed_store, late_day, tmp_path):
    ids = late_day
    before = timer_facts(timed_store)
    with pytest.raises(it.TimerError) as caught:
        it.close_at_end(timed_store, [ids["running"], ids["started_late"]], "not_now")
    assert caught.value.code == "started_after_end" and "void it instead" in caught.value.message
    assert timer_facts(timed_store) == before  # all or none: the running timer was not closed either

    [voided] = it.void_timers(timed_store, [ids["started_late"]])
    assert voided.state == it.VOID and voided.review == it.VOIDED and not voided.is_open
    summary = it.day_summary(timed_store)
    assert summary.voided == 1 and summary.for_review == 3 and summary.running == 0
    assert ids["started_late"] not in {r.timer_id for r in it.open_timers(timed_store)}
    for action, code in (
        (lambda: it.stop_timer(timed_store, ids["started_late"], "not_now"), "already_stopped"),
        (lambda: it.pause_timer(timed_store, ids["started_late"]), "not_running"),
    ):
        with pytest.raises(it.TimerError) as caught:
            action()
        assert caught.value.code == code

    it.void_timers(timed_store, [ids["stopped_late"]])
    timers, _ = export_csv(timed_store, tmp_path / "intake.csv")
    rows = list(csv.DictReader((tmp_path / "intake.csv").open(encoding="utf-8")))
    # Void runs are not exported; the two still flagged are, marked for review.
    assert timers == 3 and sorted(r["review"] for r in rows) == ["", "ran past the event's end", "ran past the event's end"]


def test_reviews_are_new_facts_and_never_edit_old_ones(timed_store, late_day):
    ids = late_day
    before = timer_facts(timed_store)
    it.close_at_end(timed_store, [ids["stopped_late"]], "book_session")
    it.void_timers(timed_store, [ids["running"]])
    after = timer_facts(timed_store)
    assert after[: len(before)] == before
    added = [(timer_id, kind, stamp, category) for _, timer_id, kind, stamp, category in after[len(before):]]
    assert added == [
        (ids["stopped_late"], it.CLOSED_AT_END, utc_text(at(16)), "book_session"),
        (ids["running"], it.VOIDED, utc_text(at(16, 30)), None),
    ]
    # A stop that reaches this laptop after the void (from a sync) does not bring it back.
    it._record(timed_store, ids["running"], it.STOPPED, "not_now")
    assert it.timer(timed_store, ids["running"]).state == it.VOID
    # The first review settles a timer: a later one in the log changes nothing.
    it._record(timed_store, ids["stopped_late"], it.VOIDED)
    assert it.timer(timed_store, ids["stopped_late"]).review == it.CLOSED_AT_END


def test_review_refusals_change_nothing(timed_store, wall, late_day):
    ids = late_day
    it.void_timers(timed_store, [ids["started_late"]])
    before = timer_facts(timed_store)
    cases = [
        (lambda: it.close_at_end(timed_store, [ids["running"]], "bogus"), "unknown_category"),
        (lambda: it.close_at_end(timed_store, [ids["on_time"]], "not_now"), "not_for_review"),
        (lambda: it.void_timers(timed_store, [ids["running"], ids["started_late"]]), "already_reviewed"),
        (lambda: it.void_timers(timed_store, ["NO-SUCH-TIMER"]), "unknown_timer"),
        (lambda: it.void_timers(timed_store, []), "nothing_to_review"),
    ]
    for action, code in cases:
        with pytest.raises(it.TimerError) as caught:
            action()
        assert caught.value.code == code and caught.value.message.endswith(".")
    assert timer_facts(timed_store) == before


def test_an_open_timer_is_flagged_only_once_the_clock_passes_the_end(timed_store, wall):
    wall.set(at(15, 50))
    started = it.start_timer(timed_store).timer_id
    with pytest.raises(it.TimerError) as caught:
        it.void_timers(timed_store, [started])
    assert caught.value.code == "not_for_review"
    wall.set(at(16))
    assert it.timers_for_review(timed_store) == []  # at the end exactly: not past it
    wall.advance(seconds=1)
    assert [r.timer_id for r in it.timers_for_review(timed_store)] == [started]
    words = it.review_words(it.timer(timed_store, started), it.load_event(timed_store).template, timed_store.now())
    assert words == "started 15:50, still running (10:01)"


# -- the command line ---------------------------------------------------------------
@pytest.fixture
def cli(monkeypatch, wall, db_path):
    """`fieldkit intake review ...` in-process, on the test's moved wall clock."""
    monkeypatch.setattr("fieldkit.cli.options.open_store", partial(open_store, wall=wall))

    def run(*args: str):
        return CliRunner().invoke(main, ["intake", "review", "--db", str(db_path), *args], env=ENV)

    return run


def test_cli_lists_flagged_timers_then_closes_them_at_the_end(timed_store, late_day, cli):
    ids = late_day
    listed = cli()
    assert listed.exit_code == 0, listed.output
    assert "4 timers ran past the event's end (16:00 Europe/London):" in listed.output
    assert f"{ids['running']}  started 15:40, still running (50:00); anonymous" in listed.output
    assert f"{ids['stopped_late']}  started 15:45, stopped at 16:05 as Not now; anonymous" in listed.output
    assert ids["on_time"] not in listed.output
    assert "--close-at-end CATEGORY (book_session, wants_information" in listed.output

    voided = cli("--void", "--timer", ids["started_late"])
    assert voided.exit_code == 0 and "Voided 1 timer: kept as facts, never counted." in voided.output
    closed = cli("--close-at-end", "wants_information")
    assert closed.exit_code == 0, closed.output
    assert "Closed 3 timers at the event's end (16:00) as wants_information: they now count." in closed.output
    assert it.timers_for_review(timed_store) == []
    assert it.day_summary(timed_store).counts == {"book_session": 1, "wants_information": 3}
    assert "nothing to review" in cli().output


def test_cli_refuses_bad_input_and_changes_nothing(timed_store, late_day, cli):
    ids = late_day
    before = timer_facts(timed_store)
    for args, words in [
        (("--close-at-end", "bogus"), "'bogus' is not an intent category of this event: use one of"),
        (("--close-at-end", "not_now", "--void"), "Choose one: --close-at-end CATEGORY or --void."),
        (("--timer", ids["running"]), "--timer picks timers to settle: add --close-at-end CATEGORY or --void."),
        (("--close-at-end", "not_now"), "started after the event's end, so it has no time to count: void it instead."),
        (("--void", "--timer", ids["on_time"]), "did not run past the event's end"),
        (("--void", "--timer", "NOPE"), "There is no such timer on this laptop"),
    ]:
        result = cli(*args)
        assert result.exit_code == 1 and words in result.output, (args, result.output)
    assert timer_facts(timed_store) == before


def test_cli_with_nothing_to_review_still_refuses_a_bad_category(timed_store, cli):
    assert "No timer ran past the event's end: nothing to review." in cli("--close-at-end", "not_now").output
    refused = cli("--close-at-end", "bogus")
    assert refused.exit_code == 1 and "'bogus' is not an intent category" in refused.output
