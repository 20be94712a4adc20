"""Per-practitioner outcome mix and re-referral rate, with small counts suppressed."""

from __future__ import annotations

from fieldkit import referrals as rf
from fieldkit.referrals.stats import practitioner_report


def stamped(store, practitioner, outcome, n, introducer=None):
    for _ in range(n):
        r = rf.issue_referral(
            store, channel="community" if introducer else "directory", introducer_id=introducer, practitioner_id=practitioner
        )
        rf.stamp_outcome(store, r.id, outcome)


def test_small_counts_are_suppressed_with_their_complements(clinic):
    intro = [rf.add_introducer(clinic, f"Introducer {i}") for i in range(23)]
    stamped(clinic, "amara-okafor", "goal_met", 12)
    stamped(clinic, "amara-okafor", "no_show", 3)
    stamped(clinic, "amara-okafor", "referred_on", 14)
    # Twelve introducers refer to Eleni twice each, eleven once.
    for i, who in enumerate(intro):
        for _ in range(2 if i < 12 else 1):
            rf.issue_referral(clinic, channel="community", introducer_id=who, practitioner_id="eleni-papadaki")

    report = practitioner_report(clinic)
    amara, eleni, olena, joao = report.rows
    assert amara.referrals == "29" and amara.stamps == "29"
    assert amara.outcomes["no_show"] == "<11"
    # 29 - 12 - 14 would reveal the 3 no-shows, so the smallest other count is hidden too.
    assert amara.outcomes["goal_met"] == "*" and amara.outcomes["referred_on"] == "14"
    assert amara.outcomes["attended_3_plus"] == "0"
    assert eleni.referrals == "35" and eleni.introducers == "23" and eleni.re_referring == "12"
    assert eleni.re_referral_rate == "52%"
    assert olena.referrals == "0" and olena.re_referral_rate == "-"
    assert report.outcome_totals["no_show"] == "<11"


def test_rate_is_withheld_when_its_counts_are_small(clinic):
    who = [rf.add_introducer(clinic, f"Introducer {i}") for i in range(14)]
    for i, introducer in enumerate(who):
        for _ in range(2 if i < 12 else 1):
            rf.issue_referral(clinic, channel="community", introducer_id=introducer, practitioner_id="olena-kovalenko")
    olena = practitioner_report(clinic).rows[2]
    # Two introducers referred once: hidden, and the twelve who came back with them.
    assert olena.referrals == "26" and olena.introducers == "14" and olena.re_referring == "*"
    assert olena.re_referral_rate == "suppressed"
