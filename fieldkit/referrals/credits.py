"""Introducer credits: one per referral at the template's milestone, adjustments, and balances."""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.event.template import EventTemplate
from fieldkit.referrals.introducers import introducer, introducers
from fieldkit.referrals.records import CHAIN, Introducer, Referral, ReferralRefused, now_text
from fieldkit.store import Store


def credit_milestone(template: EventTemplate) -> str:
    milestone = template.referrals.credit_milestone
    if milestone not in CHAIN[1:]:
        raise ReferralRefused(
            "bad_milestone",
            f"referral_card.credit_milestone {milestone!r} is not a step of a referral: "
            f"set it to one of {', '.join(CHAIN[1:])} in the event template.",
        )
    return milestone


def credit_once(store: Store, referral: Referral, status: str) -> None:
    # A referral earns its introducer one credit, however often it is synced or re-scanned.
    already = store.db.execute(
        "SELECT 1 FROM referral_credits WHERE referral_id = ? AND points > 0", [referral.id]
    ).fetchone()
    if already:
        return
    store.append_fact(
        "referral_credits",
        {
            "introducer_id": referral.introducer_id,
            "referral_id": referral.id,
            "points": 1,
            "reason": f"referral {referral.display_code} reached {status}",
            "at": now_text(store),
        },
    )


def adjust_credit(store: Store, introducer_id: str, points: int, reason: str) -> str:
    """A correction to an introducer's credits (positive or negative), with its reason."""
    if introducer(store, introducer_id) is None:
        raise ReferralRefused("unknown_introducer", "No such introducer on this laptop.")
    reason = " ".join(reason.split())
    if not reason or points == 0:
        raise ReferralRefused("reason_required", "A credit adjustment needs a non-zero amount and a reason.")
    return store.append_fact(
        "referral_credits",
        {"introducer_id": introducer_id, "referral_id": None, "points": points, "reason": reason, "at": now_text(store)},
    )


@dataclass(frozen=True)
class CreditEntry:
    introducer_id: str
    referral_id: str | None
    points: int
    reason: str
    at: str


def credit_ledger(store: Store, introducer_id: str | None = None) -> list[CreditEntry]:
    sql = "SELECT introducer_id, referral_id, points, reason, at FROM referral_credits"
    args: list = []
    if introducer_id:
        sql += " WHERE introducer_id = ?"
        args.append(introducer_id)
    return [CreditEntry(*r) for r in store.db.execute(sql + " ORDER BY at, hlc", args)]


def credit_balances(store: Store) -> list[tuple[Introducer, int]]:
    """Every introducer with their balance, highest first."""
    # A milestone credit counts once per referral, even if two laptops both granted it
    # before they synced; adjustments (no referral) all count.
    sums = dict(
        store.db.execute(
            "SELECT introducer_id, sum(points) FROM ("
            " SELECT introducer_id, max(points) AS points FROM referral_credits"
            "  WHERE referral_id IS NOT NULL GROUP BY introducer_id, referral_id"
            " UNION ALL SELECT introducer_id, points FROM referral_credits WHERE referral_id IS NULL"
            ") GROUP BY introducer_id"
        )
    )
    found = [(i, int(sums.get(i.id, 0) or 0)) for i in introducers(store, include_inactive=True)]
    return sorted(found, key=lambda pair: (-pair[1], pair[0].name))
