"""Referrals to practitioners: cards and their codes, issuing, status facts, introducers, credits, outcomes, scanning.

Modules: `records` (statuses, values, reading), `lifecycle` (issue, status), `stock`
(card codes), `cards` (what to print), `introducers`, `credits`, `outcomes`, `scanning`,
`links` (the person link under consent), `caseload`, `directory`, `hsds`, `stats`.
"""

from fieldkit.referrals.caseload import open_this_week, suggest_practitioners
from fieldkit.referrals.credits import CreditEntry, adjust_credit, credit_balances, credit_ledger, credit_milestone
from fieldkit.referrals.introducers import add_introducer, introducer, introducers
from fieldkit.referrals.lifecycle import check_transition, choose_practitioner, issue_referral, set_status, vet
from fieldkit.referrals.outcomes import outcomes_of, stamp_outcome
from fieldkit.referrals.records import (
    BOOKED,
    CHAIN,
    DECLINED,
    ENDINGS,
    EXPIRED,
    FIRST_SESSION,
    ISSUED,
    OUTCOMES,
    STATUS_WORDS,
    STATUSES,
    THIRD_SESSION,
    VETTED,
    VIA,
    Card,
    Introducer,
    Referral,
    ReferralRefused,
    get_referral,
    list_referrals,
    referral_for_card,
    referrals_of_person,
)
from fieldkit.referrals.scanning import DeskScan, ScanResult, advance_by_scan, resolve, scan_at_desk
from fieldkit.referrals.stock import card, find_card, issue_cards, new_cards, record_cards, signed_code

__all__ = [
    "BOOKED", "CHAIN", "DECLINED", "ENDINGS", "EXPIRED", "FIRST_SESSION", "ISSUED", "OUTCOMES",
    "STATUS_WORDS", "STATUSES", "THIRD_SESSION", "VETTED", "VIA",
    "Card", "CreditEntry", "DeskScan", "Introducer", "Referral", "ReferralRefused", "ScanResult",
    "add_introducer", "adjust_credit", "advance_by_scan", "card", "check_transition", "choose_practitioner",
    "credit_balances", "credit_ledger", "credit_milestone", "find_card", "get_referral", "introducer",
    "introducers", "issue_cards", "issue_referral", "list_referrals", "new_cards", "open_this_week",
    "outcomes_of", "record_cards", "referral_for_card", "referrals_of_person", "resolve", "scan_at_desk", "set_status",
    "signed_code", "stamp_outcome", "suggest_practitioners", "vet",
]
