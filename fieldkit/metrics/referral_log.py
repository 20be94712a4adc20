"""Referral logs kept elsewhere (a directory listing, a web form, paper) and outcomes reported back, from CSV.

Both imports follow the registrations import: all or nothing unless bad rows are to be
skipped, `check` writes nothing, and importing the same file again changes nothing. A
row whose dates contradict a referral's lifecycle (a first session before it was
issued, a third without a first, an ending after the third session...) is refused with
its line. Every write goes through the store's write path. See docs/metrics.md.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ulid import ULID

from fieldkit import referrals as rf
from fieldkit.event import load_event
from fieldkit.event.template import CHANNELS, EventTemplate
from fieldkit.metrics.csv_rows import BadRow, cells, parse_moment, read_rows, too_wide
from fieldkit.people.registry import search_key
from fieldkit.referrals import codes as referral_codes
from fieldkit.referrals.credits import credit_once
from fieldkit.store import Store
from fieldkit.store.times import utc_text

LOG_FIELDS = (
    "code", "issued", "channel", "introducer", "practitioner", "need",
    "booked", "first_session", "third_session", "ended", "ended_reason",
)
MILESTONES = (("booked", rf.BOOKED), ("first_session", rf.FIRST_SESSION), ("third_session", rf.THIRD_SESSION))
RANK = {rf.ISSUED: 0, rf.VETTED: 1, rf.BOOKED: 2, rf.FIRST_SESSION: 3, rf.THIRD_SESSION: 4}
VIA_IMPORT = "import"


@dataclass
class ImportReport:
    new: list[int] = field(default_factory=list)  # lines that add a referral (or, for outcomes, a fact)
    updated: list[int] = field(default_factory=list)  # lines that add facts to a referral already here
    already_had: int = 0
    bad: list[BadRow] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    applied: bool = False


@dataclass(frozen=True)
class StatusFact:
    """A step or an ending of a referral, dated when it happened."""

    status: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class _LogRow:
    line: int
    referral_id: str
    short_code: str | None  # a Field Kit card code, when the row gives one
    card_id: str | None  # the card on this laptop with that code, when there is one
    channel: str
    issued_at: datetime
    introducer: str | None
    practitioner_id: str | None
    need: str | None


def derived_id(event_id: str, key: str, moment: datetime | None = None) -> str:
    """An id from what identifies a row: the same row always gives the same id. The
    moment, when known, lends the id its time (so ids sort by it), as check-in ids do."""
    digest = hashlib.sha256(f"imported referral\0{event_id}\0{key}".encode()).digest()
    millis = int(moment.timestamp() * 1000).to_bytes(6, "big") if moment else digest[10:16]
    return str(ULID.from_bytes(millis + digest[:10]))


def external_code_id(event_id: str, code: str) -> str:
    """The id of a referral known by another system's code (`WEB-0042`), found again by that code alone."""
    return derived_id(event_id, f"code\0{' '.join(code.split()).upper()}")


def _channel(text: str) -> str:
    channel = text.strip().lower().replace("-", "_").replace(" ", "_")
    if channel not in CHANNELS:
        raise ValueError(f"channel {text!r} is not one of {', '.join(CHANNELS)} (walk-in is walk_in)")
    return channel


def _practitioner(template: EventTemplate, text: str) -> str:
    for p in template.practitioners:
        if text == p.id or search_key(text) == search_key(p.name):
            return p.id
    raise ValueError(f"no practitioner {text!r} in this event's directory (give an id or a name from `fieldkit directory list`)")


def _ending(reason_cell: str) -> tuple[str, str]:
    word, _, text = reason_cell.partition(":")
    word = word.strip().lower()
    if word not in rf.ENDINGS:
        raise ValueError(f"ended_reason {reason_cell!r} starts with neither declined nor expired")
    return word, " ".join(text.split()) or word


def check_lifecycle(issued: datetime, facts: list[StatusFact]) -> None:
    """Refuse (ValueError with the reason) dates that no referral could have had."""
    previous, previous_at = rf.ISSUED, issued
    for fact in facts:
        if fact.at < previous_at:
            raise ValueError(f"{fact.status} on {fact.at:%Y-%m-%d} is before {previous} on {previous_at:%Y-%m-%d}")
        if fact.status in rf.ENDINGS:
            if previous == rf.THIRD_SESSION:
                raise ValueError(f"{fact.status} after the third session, which is final")
            if previous == rf.FIRST_SESSION and fact.status == rf.EXPIRED:
                raise ValueError("expired after a first session: a referral that started can only be declined")
        elif previous in rf.ENDINGS:
            raise ValueError(f"{fact.status} after the referral was {previous}")
        previous, previous_at = fact.status, fact.at


def _parse_log_row(row: dict[str, str], zone: ZoneInfo, template: EventTemplate, now: datetime) -> dict:
    if not row.get("issued"):
        raise ValueError("no issued date")
    issued = parse_moment(row["issued"], zone, "issued_at")
    channel = _channel(row.get("channel", ""))
    introducer = row.get("introducer") or None
    if channel == "community" and not introducer:
        raise ValueError("a community introduction needs its introducer")
    practitioner = _practitioner(template, row["practitioner"]) if row.get("practitioner") else None
    facts = [StatusFact(status, parse_moment(row[name], zone, f"{name}_at")) for name, status in MILESTONES if row.get(name)]
    if row.get("third_session") and not row.get("first_session"):
        raise ValueError("a third session without a first session")
    if row.get("ended") or row.get("ended_reason"):
        if not (row.get("ended") and row.get("ended_reason")):
            raise ValueError("ended_at and ended_reason go together: give both, or neither")
        status, reason = _ending(row["ended_reason"])
        facts.append(StatusFact(status, parse_moment(row["ended"], zone, "ended_at"), reason))
    check_lifecycle(issued, facts)
    future = [f"{f.status} {f.at:%Y-%m-%d}" for f in facts if f.at > now] + ([f"issued {issued:%Y-%m-%d}"] if issued > now else [])
    if future:
        raise ValueError(f"{future[0]} is in the future")
    return {
        "issued_at": issued, "channel": channel, "introducer": introducer,
        "practitioner_id": practitioner, "need": row.get("need") or None, "facts": tuple(facts),
    }


def recorded_statuses(store: Store, referral_id: str) -> list[tuple[str, str]]:
    """(status, at) of a referral's status facts, in the order they were written."""
    return store.db.execute(
        "SELECT status, at FROM referral_status WHERE referral_id = ? ORDER BY hlc, origin", [referral_id]
    ).fetchall()


def step_rank(status: str) -> int:
    return RANK.get(status, len(RANK))  # an ending comes after every step


def _fresh(recorded: list[tuple[str, str]], facts: tuple[StatusFact, ...], issued: datetime) -> list[StatusFact]:
    """The facts of a row that are not recorded yet and move the referral on from where it is.

    A date for a step the referral is already past (a booking date for a referral whose
    first session is recorded) would move its status back: it is left out, not refused.
    """
    if not recorded:
        return list(facts)
    statuses = {status for status, _ in recorded}
    current = recorded[-1][0]
    fresh = [f for f in facts if f.status not in statuses and step_rank(f.status) > step_rank(current)]
    if fresh:
        history = [StatusFact(s, datetime.fromisoformat(at)) for s, at in recorded if s != rf.ISSUED]
        started = next((datetime.fromisoformat(at) for s, at in recorded if s == rf.ISSUED), issued)
        check_lifecycle(started, history + fresh)
    return fresh


def _identify(store: Store, row: dict[str, str], parsed: dict, seen: Counter) -> tuple[str, str | None, str | None]:
    """The referral a row is about (its id), its Field Kit card code if it has one, and
    the card already on this laptop with that code, if any."""
    code = row.get("code") or ""
    if code:
        try:
            short = referral_codes.normalise(code)
        except referral_codes.BadShortCode:  # a code of the other system's own: it only identifies the row
            return external_code_id(store.event_id, code), None, None
        card = None
        for (card_id,) in store.db.execute("SELECT id FROM referral_cards WHERE short_code = ?", [short]).fetchall():
            existing = rf.referral_for_card(store, card_id)
            if existing is not None:
                if existing.channel != parsed["channel"]:
                    raise ValueError(f"code {code} is a {existing.channel} referral here, not {parsed['channel']}")
                return existing.id, short, card_id
            card = card_id  # a blank card handed out, its referral written down elsewhere
        return derived_id(store.event_id, f"code\0{short}", parsed["issued_at"]), short, card
    # No code: identical rows (two directory referrals on one day) are told apart by their order.
    identity = "\0".join(str(parsed[k]) for k in ("issued_at", "channel", "introducer", "practitioner_id", "need"))
    seen[identity] += 1
    return derived_id(store.event_id, f"row\0{identity}\0{seen[identity]}", parsed["issued_at"]), None, None


def import_referrals(store: Store, path: str | Path, *, check: bool = False, skip_bad: bool = False) -> ImportReport:
    """Import a referral log: one referral per row with the dates it reached each step."""
    path = Path(path)
    table = read_rows(path, LOG_FIELDS, ("issued", "channel"), "referrals")
    template = load_event(store).template
    zone, now = ZoneInfo(template.event.timezone), store.now()
    report = ImportReport(ignored_columns=table.ignored)
    todo: list[tuple[_LogRow, list[StatusFact], bool]] = []
    seen: Counter = Counter()
    claimed: dict[str, int] = {}
    for line, values in table.rows:
        try:
            if reason := too_wide(values, table.width):
                raise ValueError(reason)
            row = cells(values, table.columns)
            parsed = _parse_log_row(row, zone, template, now)
            referral_id, short, card_id = _identify(store, row, parsed, seen)
            if referral_id in claimed:
                raise ValueError(f"the same referral as line {claimed[referral_id]}")
            claimed[referral_id] = line
            recorded = recorded_statuses(store, referral_id)
            fresh = _fresh(recorded, parsed["facts"], parsed["issued_at"])
        except ValueError as exc:
            report.bad.append(BadRow(line, str(exc)))
            continue
        entry = _LogRow(line, referral_id, short, card_id, parsed["channel"], parsed["issued_at"],
                        parsed["introducer"], parsed["practitioner_id"], parsed["need"])
        if not recorded:
            report.new.append(line)
        elif fresh:
            report.updated.append(line)
        else:
            report.already_had += 1
        if not recorded or fresh:
            todo.append((entry, fresh, not recorded))
    if check or (report.bad and not skip_bad):
        return report
    milestone = rf.credit_milestone(template)
    with store.transaction():
        introducers = {search_key(i.name): i.id for i in rf.introducers(store, include_inactive=True)}
        for entry, fresh, is_new in todo:
            if is_new:
                _write_referral(store, entry, introducers)
            for fact in fresh:
                append_status(store, entry.referral_id, fact, milestone)
    report.applied = True
    return report


def _write_referral(store: Store, entry: _LogRow, introducers: dict[str, str]) -> None:
    introducer_id = None
    if entry.introducer:
        key = search_key(entry.introducer)
        if key not in introducers:
            introducers[key] = rf.add_introducer(store, entry.introducer)
        introducer_id = introducers[key]
    card_id = entry.card_id
    if card_id is None:
        code = entry.short_code or rf.new_cards(store, 1, blank=False)[0].short_code
        card_id = derived_id(store.event_id, f"card\0{entry.referral_id}", entry.issued_at)
        rf.record_cards(store, [rf.Card(card_id, code, False, utc_text(entry.issued_at))])
    store.set_record(
        "referrals",
        entry.referral_id,
        {
            "card_id": card_id,
            "event_id": None,  # not issued at an event: it came from a log kept elsewhere
            "channel": entry.channel,
            "introducer_id": introducer_id,
            "suggested_practitioner_id": None,
            "practitioner_id": entry.practitioner_id,
            "issued_at": utc_text(entry.issued_at),
        },
    )
    if entry.need:
        store.set_record("referral_details", entry.referral_id, {"person_id": None, "need": entry.need, "language": None})
    append_status(store, entry.referral_id, StatusFact(rf.ISSUED, entry.issued_at), None)


def append_status(store: Store, referral_id: str, fact: StatusFact, milestone: str | None) -> None:
    """A status fact dated when it happened, and the introducer's credit at the milestone."""
    store.append_fact(
        "referral_status",
        {"referral_id": referral_id, "status": fact.status, "reason": fact.reason, "practitioner_id": None,
         "via": VIA_IMPORT, "at": utc_text(fact.at)},
    )
    if fact.status == milestone:
        referral = rf.get_referral(store, referral_id)
        if referral.introducer_id:
            credit_once(store, referral, fact.status)  # the same once-only credit issuing at the event gives
