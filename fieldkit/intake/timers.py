"""Intent timers: one per conversation, kept as facts so they survive restarts and crashes.

A timer is the facts `started`, `paused`, `resumed`, `stopped` (with an intent category
from the template) sharing a `timer_id`. Its state and elapsed time are derived from
those facts, read in clock-stamp order (the order they were written, even if the wall
clock was set back in between). A timer whose run reaches past the event's end is
flagged for review and left out of counts until a review fact settles it: `closed_at_end`
(stopped at the event's end with a category) or `voided` (never counted).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fieldkit.errors import Refused
from fieldkit.event import load_event
from fieldkit.event.template import EventTemplate
from fieldkit.intake import privacy as intake_privacy
from fieldkit.people.registry import registration_for
from fieldkit.store import Store, new_id, utc_text
from fieldkit.tokens import PASS, KeyRing, TokenRefused, parse_token

STARTED, PAUSED, RESUMED, STOPPED = "started", "paused", "resumed", "stopped"
# Review facts: they settle a timer that ran past the event's end, and never edit a fact.
CLOSED_AT_END, VOIDED = "closed_at_end", "voided"
ENDING_KINDS = (STOPPED, CLOSED_AT_END, VOIDED)
RUNNING = "running"
VOID = "void"  # the state of a voided timer
NOTE_MAX_LENGTH = 200


class TimerError(Refused):
    """A timer action that was refused and wrote nothing; `code` is stable for tests."""


@dataclass(frozen=True)
class TimerRun:
    """A timer's state as derived from its facts."""

    timer_id: str
    started_at: datetime
    state: str  # running, paused, stopped or void
    spans: tuple[tuple[datetime, datetime | None], ...]  # running spans; the last may be open
    stopped_at: datetime | None = None
    category: str | None = None
    person_id: str | None = None  # only when linked under the sharing consent
    review: str | None = None  # closed_at_end or voided, once a review settled it

    @property
    def is_open(self) -> bool:
        return self.state in (RUNNING, PAUSED)

    def elapsed(self, now: datetime) -> timedelta:
        """Sum of running spans; an open span runs to `now`. Never negative, even if
        the wall clock was set back while it ran."""
        total = timedelta()
        for start, end in self.spans:
            total += max(timedelta(), (end or now) - start)
        return total

    def needs_review(self, ends: datetime, now: datetime) -> bool:
        """Ran past the event's end (still open after it, or stopped after it) and no
        review has settled it yet."""
        if self.review is not None:
            return False
        last = self.stopped_at if self.stopped_at is not None else now
        return last > ends


@dataclass(frozen=True)
class StartedTimer:
    timer_id: str
    linked: bool
    message: str  # why it is or is not linked to the person, to show


@dataclass(frozen=True)
class DaySummary:
    day: date
    counts: dict[str, int] = field(default_factory=dict)  # category id -> stopped timers
    median: timedelta | None = None
    running: int = 0
    for_review: int = 0
    voided: int = 0


def _event(store: Store) -> tuple[str, EventTemplate]:
    event = load_event(store)
    return event.id, event.template


def _record(
    store: Store, timer_id: str, kind: str, category: str | None = None, at: datetime | None = None
) -> datetime:
    at = at or store.now()
    store.append_fact(
        "intent_timer_events",
        {"timer_id": timer_id, "event_id": store.event_id, "kind": kind, "at": utc_text(at), "category": category},
    )
    return at


def start_timer(store: Store, person_id: str | None = None) -> StartedTimer:
    """Start a timer, linked to `person_id` only if the sharing consent allows it."""
    decision = intake_privacy.sharing(store, person_id)
    timer_id = new_id()
    with store.transaction():
        at = _record(store, timer_id, STARTED)
        if decision:
            intake_privacy.link(store, intake_privacy.TIMER, timer_id, person_id, at)
    return StartedTimer(timer_id, decision.allowed, decision.message)


def link_timer(store: Store, timer_id: str, person_id: str) -> intake_privacy.SharingDecision:
    """Link an open, anonymous timer to its person once the sharing consent allows it
    (consent given during the conversation covers that conversation); says why not otherwise."""
    run = timer(store, timer_id)
    if run.person_id is not None or not run.is_open:
        raise TimerError("not_linkable", "Only an open timer that is not linked yet can be linked to a person.")
    decision = intake_privacy.sharing(store, person_id)
    if decision:
        intake_privacy.link(store, intake_privacy.TIMER, timer_id, person_id, store.now())
    return decision


def timer(store: Store, timer_id: str) -> TimerRun:
    runs = _runs(store, "WHERE timer_id = ?", [timer_id])
    if not runs:
        raise TimerError("unknown_timer", "There is no such timer on this laptop: pick one from the list.")
    return runs[0]


def pause_timer(store: Store, timer_id: str) -> None:
    if timer(store, timer_id).state != RUNNING:
        raise TimerError("not_running", "Only a running timer can be paused.")
    _record(store, timer_id, PAUSED)


def resume_timer(store: Store, timer_id: str) -> None:
    if timer(store, timer_id).state != PAUSED:
        raise TimerError("not_paused", "Only a paused timer can be resumed.")
    _record(store, timer_id, RESUMED)


def check_category(template: EventTemplate, category: str) -> None:
    """Refuse a category the template does not have, naming the ones it has."""
    known = [c.id for c in template.intent_categories]
    if category not in known:
        raise TimerError("unknown_category", f"{category!r} is not an intent category of this event: use one of {', '.join(known)}.")


def needs_note(template: EventTemplate, category: str) -> bool:
    found = next((c for c in template.intent_categories if c.id == category), None)
    return bool(found and found.needs_note)


def stop_timer(store: Store, timer_id: str, category: str, note: str | None = None) -> TimerRun:
    """Stop a timer with an intent category of the template.

    A note is kept only on a timer linked to a person (free text is never kept
    de-identified); there, a category that needs a note refuses an empty one.
    """
    _, template = _event(store)
    run = timer(store, timer_id)
    if not run.is_open:
        raise TimerError("already_stopped", "This timer is already stopped.")
    check_category(template, category)
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX_LENGTH:
        raise TimerError("note_too_long", f"The note is longer than {NOTE_MAX_LENGTH} characters: shorten it.")
    linked = run.person_id is not None
    if linked and needs_note(template, category) and not note:
        raise TimerError("note_needed", "This category needs a short note: type one, then press Enter.")
    with store.transaction():
        _record(store, timer_id, STOPPED, category)
        if linked and note:
            intake_privacy.keep_text(store, intake_privacy.TIMER, timer_id, run.person_id, "note", note)
    return timer(store, timer_id)


def _runs(store: Store, where: str, params: list) -> list[TimerRun]:
    rows = store.db.execute(
        f"SELECT timer_id, kind, at, category, hlc FROM intent_timer_events {where} ORDER BY hlc",
        params,
    ).fetchall()
    grouped: dict[str, list[tuple]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    people = {}
    if grouped:
        marks = ", ".join("?" for _ in grouped)
        people = dict(
            store.db.execute(
                f"SELECT subject_id, person_id FROM intake_links WHERE subject = 'timer' AND subject_id IN ({marks})",
                list(grouped),
            ).fetchall()
        )
    # Grouped in clock-stamp order, so timers come in the order they were started here.
    return [_derive(timer_id, facts, people.get(timer_id)) for timer_id, facts in grouped.items()]


def _derive(timer_id: str, facts: list[tuple], person_id: str | None) -> TimerRun:
    started_at = None
    spans: list[tuple[datetime, datetime | None]] = []
    state, stopped_at, category = RUNNING, None, None
    review = None
    for _, kind, at_text, cat, _stamp in facts:
        at = datetime.fromisoformat(at_text)
        if kind == STARTED and started_at is None:
            started_at = at
            spans.append((at, None))
        elif kind == PAUSED and state == RUNNING:
            spans[-1] = (spans[-1][0], at)
            state = PAUSED
        elif kind == RESUMED and state == PAUSED:
            spans.append((at, None))
            state = RUNNING
        elif kind == STOPPED and state in (RUNNING, PAUSED):
            if state == RUNNING:
                spans[-1] = (spans[-1][0], at)
            state, stopped_at, category = STOPPED, at, cat
        elif kind == CLOSED_AT_END and review is None:
            # `at` is the event's end: the run is cut there, whatever came after it.
            spans = _cut_at(spans, at)
            state, stopped_at, category, review = STOPPED, at, cat, CLOSED_AT_END
        elif kind == VOIDED and review is None:
            state, review = VOID, VOIDED
    return TimerRun(timer_id, started_at, state, tuple(spans), stopped_at, category, person_id, review)


def _cut_at(spans: list[tuple[datetime, datetime | None]], end: datetime) -> list[tuple[datetime, datetime]]:
    return [(start, min(stop or end, end)) for start, stop in spans if start < end]


def open_timers(store: Store) -> list[TimerRun]:
    """Running and paused timers of this event, oldest first."""
    ending = ", ".join(f"'{kind}'" for kind in ENDING_KINDS)
    return [
        run
        for run in _runs(store, "WHERE timer_id IN (SELECT timer_id FROM intent_timer_events WHERE event_id = ?"
                        f" GROUP BY timer_id HAVING sum(kind IN ({ending})) = 0)", [store.event_id])
        if run.started_at is not None
    ]


def timers_of_person(store: Store, person_id: str) -> list[TimerRun]:
    """The timers linked to a person (links exist only under the sharing consent), oldest first."""
    return [
        r
        for r in _runs(store, "WHERE timer_id IN (SELECT subject_id FROM intake_links WHERE subject = 'timer'"
                       " AND person_id = ?)", [person_id])
        if r.started_at is not None
    ]


def all_timers(store: Store) -> list[TimerRun]:
    return [r for r in _runs(store, "WHERE event_id = ?", [store.event_id]) if r.started_at is not None]


def day_summary(store: Store, day: date | None = None) -> DaySummary:
    """Stopped timers started on `day` (event time zone; default today): count per
    category and median duration. Runs past the event's end are counted for review only."""
    _, template = _event(store)
    zone = ZoneInfo(template.event.timezone)
    now = store.now()
    day = day or now.astimezone(zone).date()
    counts: Counter[str] = Counter()
    durations, running, for_review, voided = [], 0, 0, 0
    for run in all_timers(store):
        if run.started_at.astimezone(zone).date() != day:
            continue
        if run.state == VOID:
            voided += 1
        elif run.needs_review(template.event.ends, now):
            for_review += 1
        elif run.is_open:
            running += 1
        else:
            counts[run.category] += 1
            durations.append(run.elapsed(now))
    median = statistics.median(durations) if durations else None
    counts = {c.id: counts[c.id] for c in template.intent_categories if counts[c.id]}
    return DaySummary(day, counts, median, running, for_review, voided)


# -- review: settling the timers that ran past the event's end -------------------------
def timers_for_review(store: Store) -> list[TimerRun]:
    """This event's timers flagged for review (ran past its end, not settled yet), oldest first."""
    _, template = _event(store)
    now = store.now()
    return [run for run in all_timers(store) if run.needs_review(template.event.ends, now)]


def review_words(run: TimerRun, template: EventTemplate, now: datetime) -> str:
    """What a flagged timer did, in the event's time zone: "started 15:40, still running (1:05:00)"."""
    zone = ZoneInfo(template.event.timezone)
    started = f"started {run.started_at.astimezone(zone):%H:%M}"
    if run.stopped_at is None:
        return f"{started}, still {run.state} ({format_duration(run.elapsed(now))})"
    label = next((c.label for c in template.intent_categories if c.id == run.category), run.category)
    return f"{started}, stopped at {run.stopped_at.astimezone(zone):%H:%M} as {label}"


def _flagged(store: Store, timer_ids: Iterable[str]) -> list[TimerRun]:
    """The named timers, each of them flagged for review; refuses (naming it) one that is not."""
    _, template = _event(store)
    now = store.now()
    runs = []
    for timer_id in dict.fromkeys(timer_ids):
        run = timer(store, timer_id)
        if run.review is not None:
            raise TimerError("already_reviewed", f"Timer {timer_id} was already reviewed ({run.review.replace('_', ' ')}): leave it as it is.")
        if not run.needs_review(template.event.ends, now):
            raise TimerError("not_for_review", f"Timer {timer_id} did not run past the event's end: stop it as usual.")
        runs.append(run)
    if not runs:
        raise TimerError("nothing_to_review", "No timer was named: pick one flagged for review.")
    return runs


def close_at_end(store: Store, timer_ids: Iterable[str], category: str) -> list[TimerRun]:
    """Settle flagged timers as stopped at the event's end with `category` (one review
    fact each, all or none); the time after the end is not counted."""
    _, template = _event(store)
    check_category(template, category)
    runs = _flagged(store, timer_ids)
    ends = template.event.ends
    late = next((run for run in runs if run.started_at >= ends), None)
    if late is not None:
        raise TimerError("started_after_end", f"Timer {late.timer_id} started after the event's end, so it has no time to count: void it instead.")
    with store.transaction():
        for run in runs:
            _record(store, run.timer_id, CLOSED_AT_END, category, at=ends)
    return [timer(store, run.timer_id) for run in runs]


def void_timers(store: Store, timer_ids: Iterable[str]) -> list[TimerRun]:
    """Settle flagged timers as void: kept as facts, never counted nor exported."""
    runs = _flagged(store, timer_ids)
    with store.transaction():
        for run in runs:
            _record(store, run.timer_id, VOIDED)
    return [timer(store, run.timer_id) for run in runs]


def format_duration(value: timedelta | None) -> str:
    """H:MM:SS or M:SS, for the screen."""
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_minutes(value: timedelta | None) -> str:
    """Whole minutes, for a list of timers: "0 min", "59 min", "1 h 05"."""
    if value is None:
        return "-"
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


@dataclass(frozen=True)
class PassHolder:
    person_id: str
    display_name: str


def person_from_pass(store: Store, code: str) -> PassHolder:
    """The person a scanned attendee pass names; TimerError with the scan's reason if none."""
    try:
        token = parse_token(code.strip(), KeyRing.from_store(store), store.now())
    except TokenRefused as refused:
        raise TimerError(f"scan_{refused.code}", refused.message) from None
    if token.kind != PASS:
        raise TimerError("scan_not_a_pass", "This code is not an attendee pass: scan the person's pass or type their name.")
    registration = registration_for(store, token.id)
    if registration is None:
        raise TimerError("scan_unknown_registration", "This pass is genuine but its registration is not on this laptop yet: type the person's name.")
    return PassHolder(registration.person_id, registration.display_name)
