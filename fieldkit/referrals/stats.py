"""Per practitioner: outcome mix and re-referral rate, every count small-cell suppressed.

Outcome stamps replace star ratings. The re-referral rate is the community's vote of
trust: of the introducers who referred someone to a practitioner, the share who
referred someone to them again. See docs/referrals.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.event import load_event
from fieldkit.metrics.suppression import DEFAULT_THRESHOLD, suppress
from fieldkit.referrals import OUTCOMES
from fieldkit.store import Store


@dataclass(frozen=True)
class PractitionerStats:
    practitioner_id: str
    name: str
    referrals: str
    outcomes: dict[str, str]  # outcome -> shown count
    stamps: str  # outcome stamps in all
    introducers: str  # introducers who referred someone to them
    re_referring: str  # of those, how many did so more than once
    re_referral_rate: str  # "40%", or "suppressed" when either count is hidden


@dataclass(frozen=True)
class OutcomeReport:
    rows: tuple[PractitionerStats, ...]
    outcome_totals: dict[str, str]
    stamps_total: str
    threshold: int


def _rate(numerator: str, denominator: str) -> str:
    if not (numerator.isdigit() and denominator.isdigit()):
        return "suppressed"
    if int(denominator) == 0:
        return "-"
    return f"{round(100 * int(numerator) / int(denominator))}%"


def practitioner_report(store: Store, *, threshold: int = DEFAULT_THRESHOLD) -> OutcomeReport:
    practitioners = load_event(store).template.practitioners
    ids = [p.id for p in practitioners]
    referrals = dict(
        store.db.execute("SELECT practitioner_id, count(*) FROM referrals GROUP BY practitioner_id").fetchall()
    )
    stamps: dict[tuple[str, str], int] = {
        (p, o): n
        for p, o, n in store.db.execute(
            "SELECT practitioner_id, outcome, count(DISTINCT referral_id) FROM referral_outcomes"
            " GROUP BY practitioner_id, outcome"
        )
    }
    per_introducer = store.db.execute(
        "SELECT practitioner_id, introducer_id, count(*) FROM referrals"
        " WHERE introducer_id IS NOT NULL AND practitioner_id IS NOT NULL GROUP BY practitioner_id, introducer_id"
    ).fetchall()
    once = {p: 0 for p in ids}
    again = {p: 0 for p in ids}
    for practitioner_id, _introducer, count in per_introducer:
        if practitioner_id in once:
            (again if count > 1 else once)[practitioner_id] += 1

    counts = suppress([[referrals.get(p, 0)] for p in ids], threshold=threshold)
    mix = suppress([[stamps.get((p, o), 0) for o in OUTCOMES] for p in ids], threshold=threshold)
    trust = suppress([[once[p], again[p]] for p in ids], threshold=threshold)
    rows = []
    for i, p in enumerate(practitioners):
        rows.append(
            PractitionerStats(
                practitioner_id=p.id,
                name=p.name,
                referrals=counts.cells[i][0],
                outcomes=dict(zip(OUTCOMES, mix.cells[i])),
                stamps=mix.row_totals[i],
                introducers=trust.row_totals[i],
                re_referring=trust.cells[i][1],
                re_referral_rate=_rate(trust.cells[i][1], trust.row_totals[i]),
            )
        )
    return OutcomeReport(tuple(rows), dict(zip(OUTCOMES, mix.column_totals)), mix.total, threshold)
