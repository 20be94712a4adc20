"""What practitioners report back after the event (code, status, at), imported from CSV.

A status (booked, first session, third session, declined, expired) becomes a status fact
dated when it happened; an outcome (goal met, referred on...) becomes an outcome stamp.
Steps may be skipped (a first session reported without its booking), but never taken
backwards. Same rules as the referral log: see referral_log.py and docs/metrics.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fieldkit import referrals as rf
from fieldkit.event import load_event
from fieldkit.metrics.csv_rows import BadRow, cells, parse_moment, read_rows, too_wide
from fieldkit.metrics.referral_log import (
    ImportReport,
    StatusFact,
    append_status,
    check_lifecycle,
    external_code_id,
    recorded_statuses,
    step_rank,
)
from fieldkit.store import Store
from fieldkit.store.times import utc_text

OUTCOME_FIELDS = ("code", "status", "at")


def _referral(store: Store, code: str) -> rf.Referral:
    try:
        return rf.resolve(store, code)
    except rf.ReferralRefused as refused:
        found = rf.get_referral(store, external_code_id(store.event_id, code))
        if found is None:
            raise ValueError(refused.message.rstrip(".")) from None
        return found


def _status(cell: str) -> tuple[str, str | None]:
    word, _, text = cell.partition(":")
    word = "_".join(word.strip().lower().replace("-", " ").split())
    if word in rf.STATUSES and word != rf.ISSUED:
        return word, (" ".join(text.split()) or word) if word in rf.ENDINGS else None
    if word in rf.OUTCOMES:
        return word, None
    choices = ", ".join([s for s in rf.STATUSES if s != rf.ISSUED] + [o for o in rf.OUTCOMES if o not in rf.STATUSES])
    raise ValueError(f"status {cell!r} is none of {choices}")


def import_outcomes(store: Store, path: str | Path, *, check: bool = False, skip_bad: bool = False) -> ImportReport:
    """Import outcomes reported back: each row moves a referral on or stamps an outcome."""
    path = Path(path)
    table = read_rows(path, OUTCOME_FIELDS, OUTCOME_FIELDS, "outcomes")
    template = load_event(store).template
    zone, now = ZoneInfo(template.event.timezone), store.now()
    report = ImportReport(ignored_columns=table.ignored)
    parsed: list[tuple[int, rf.Referral, str, str | None, datetime]] = []
    for line, values in table.rows:
        try:
            if reason := too_wide(values, table.width):
                raise ValueError(reason)
            row = cells(values, table.columns)
            if not row["code"]:
                raise ValueError("no code")
            referral = _referral(store, row["code"])
            status, text = _status(row["status"])
            at = parse_moment(row["at"], zone, "at")
            if at > now:
                raise ValueError(f"{status} on {at:%Y-%m-%d} is in the future")
        except ValueError as exc:
            report.bad.append(BadRow(line, str(exc)))
            continue
        parsed.append((line, referral, status, text, at))

    # Each referral's rows in the order they happened, after what is already recorded.
    parsed.sort(key=lambda p: (p[1].id, p[4], step_rank(p[2]), p[0]))
    todo: list[tuple[rf.Referral, StatusFact, bool]] = []
    history: dict[str, list[tuple[str, str]]] = {}
    stamped: dict[str, set[str]] = {}
    for line, referral, status, text, at in parsed:
        facts = history.setdefault(referral.id, recorded_statuses(store, referral.id))
        outcomes = stamped.setdefault(referral.id, set(rf.outcomes_of(store, referral.id)))
        try:
            if status in rf.OUTCOMES and status not in rf.STATUSES:
                if status in outcomes:
                    report.already_had += 1
                    continue
                if status == "attended_3_plus" and rf.THIRD_SESSION not in {s for s, _ in facts}:
                    raise ValueError(f"attended_3_plus for {referral.display_code}, whose third session is not recorded")
                outcomes.add(status)
                todo.append((referral, StatusFact(status, at), True))
            else:
                if status in {s for s, _ in facts}:
                    report.already_had += 1
                    continue
                current = facts[-1][0] if facts else rf.ISSUED
                if step_rank(status) <= step_rank(current):
                    raise ValueError(f"{status} after {current}: a referral's steps only go forward")
                issued = datetime.fromisoformat(referral.issued_at)
                earlier = [StatusFact(s, datetime.fromisoformat(a)) for s, a in facts if s != rf.ISSUED]
                check_lifecycle(issued, [*earlier, StatusFact(status, at, text)])
                facts.append((status, utc_text(at)))
                todo.append((referral, StatusFact(status, at, text), False))
        except ValueError as exc:
            report.bad.append(BadRow(line, str(exc)))
            continue
        report.new.append(line)
    report.bad.sort(key=lambda b: b.line)
    report.new.sort()
    if check or (report.bad and not skip_bad):
        return report
    milestone = rf.credit_milestone(template)
    with store.transaction():
        for referral, fact, is_outcome in todo:
            if is_outcome:
                store.append_fact(
                    "referral_outcomes",
                    {"referral_id": referral.id, "practitioner_id": referral.practitioner_id,
                     "outcome": fact.status, "at": utc_text(fact.at)},
                )
            else:
                append_status(store, referral.id, fact, milestone)
    report.applied = True
    return report
