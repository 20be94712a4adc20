"""Outcome stamps that practitioners record for a referral (instead of a star rating)."""

from __future__ import annotations

from fieldkit.referrals.records import (
    OUTCOMES,
    STATUS_WORDS,
    THIRD_SESSION,
    ReferralRefused,
    event_template,
    existing,
    now_text,
    practitioner_of,
)
from fieldkit.store import Store


def stamp_outcome(store: Store, referral_id: str, outcome: str, *, practitioner_id: str | None = None) -> str:
    """Record an outcome stamp (instead of a star rating) for a referral."""
    referral = existing(store, referral_id)
    if outcome not in OUTCOMES:
        raise ReferralRefused("unknown_outcome", f"{outcome!r} is not an outcome: use one of {', '.join(OUTCOMES)}.")
    if outcome == "attended_3_plus" and referral.status != THIRD_SESSION:
        raise ReferralRefused(
            "outcome_not_reached",
            f"Referral {referral.display_code} is {STATUS_WORDS[referral.status]}: record its third session first.",
        )
    practitioner_id = practitioner_id or referral.practitioner_id
    if practitioner_id:
        practitioner_of(event_template(store), practitioner_id)
    stamped = store.db.execute(
        "SELECT 1 FROM referral_outcomes WHERE referral_id = ? AND outcome = ?", [referral.id, outcome]
    ).fetchone()
    if stamped:
        raise ReferralRefused("already_stamped", f"Referral {referral.display_code} already has the outcome {outcome}.")
    return store.append_fact(
        "referral_outcomes",
        {"referral_id": referral.id, "practitioner_id": practitioner_id, "outcome": outcome, "at": now_text(store)},
    )


def outcomes_of(store: Store, referral_id: str) -> list[str]:
    return [r[0] for r in store.db.execute(
        "SELECT outcome FROM referral_outcomes WHERE referral_id = ? ORDER BY hlc", [referral_id]
    )]
