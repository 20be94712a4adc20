"""The report's statistics against scipy, statsmodels and published worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency
from statsmodels.duration.survfunc import CumIncidenceRight
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from fieldkit.metrics import stats

counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


# Newcombe RG (1998a). Two-sided confidence intervals for the single proportion:
# comparison of seven methods. Statistics in Medicine 17:857-872, Table I (Wilson score, method 3).
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombe_1998_table_1(k, n, low, high):
    interval = stats.wilson(k, n)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


# Newcombe RG (1998b). Interval estimation for the difference between independent
# proportions: comparison of eleven methods. Statistics in Medicine 17:873-890, Table II (method 10).
@pytest.mark.parametrize(
    ("a", "low", "high"),
    [((56, 70, 48, 80), 0.0524, 0.3339), ((9, 10, 3, 10), 0.1705, 0.8090), ((5, 56, 0, 29), -0.0381, 0.1926)],
)
def test_difference_matches_newcombe_1998_table_2(a, low, high):
    ci = stats.difference(*a).ci95
    assert (round(ci.low, 4), round(ci.high, 4)) == (low, high)


@settings(max_examples=200, deadline=None)
@given(counts)
def test_wilson_agrees_with_statsmodels(kn):
    k, n = kn
    interval = stats.wilson(k, n)
    assert (interval.low, interval.high) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(counts, counts)
def test_difference_ratio_and_p_value_agree_with_statsmodels_and_scipy(a, b):
    (k1, n1), (k2, n2) = a, b
    diff = stats.difference(k1, n1, k2, n2)
    expected = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    assert (diff.ci95.low, diff.ci95.high) == pytest.approx(expected, abs=1e-9)

    ratio = stats.rate_ratio(k1, n1, k2, n2)
    if k1 == 0 or k2 == 0:
        assert ratio is None  # the log method has no interval for a zero count
    else:
        expected = confint_proportions_2indep(k1, n1, k2, n2, method="log", compare="ratio")
        assert ratio.value == pytest.approx((k1 / n1) / (k2 / n2))
        assert (ratio.ci95.low, ratio.ci95.high) == pytest.approx(expected, rel=1e-9)

    p = stats.two_proportion_p(k1, n1, k2, n2)
    if k1 + k2 in (0, n1 + n2):
        assert p is None  # everyone or no one: the test is undefined
    else:
        assert p == pytest.approx(proportions_ztest([k1, k2], [n1, n2])[1], abs=1e-9)
        table = [[k1, n1 - k1], [k2, n2 - k2]]
        assert p == pytest.approx(chi2_contingency(table, correction=False)[1], abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 120), min_size=1, max_size=60), st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
def test_quantiles_from_a_histogram_match_numpy(values, q):
    assert stats.quantile(stats.histogram(values), q) == pytest.approx(np.percentile(values, 100 * q))


def test_empty_histogram_has_no_quantile():
    assert stats.quantile({}, 0.5) is None


def test_aalen_johansen_worked_by_hand():
    # Ten referrals. Day 2: two first sessions. Day 3: one declined. Day 4: one censored
    # (still open at the report date). Day 5: one first session and one expired. Day 8: one
    # first session; the other three stay open past day 8 (censored on day 9).
    # S before day 2 = 1: CIF(2) = 2/10 = 0.2, S = 0.8.
    # Day 3: 8 at risk, competing: S = 0.8 * 7/8 = 0.7.   Day 4: censoring, 6 at risk after.
    # Day 5: 6 at risk: CIF += 0.7 * 1/6 -> 0.31667; S = 0.7 * 4/6 = 0.46667.
    # Day 8: 4 at risk: CIF += 0.46667 * 1/4 -> 0.43333.
    curve = stats.aalen_johansen({2: 2, 5: 1, 8: 1}, {3: 1, 5: 1}, {4: 1, 9: 3})
    assert curve.at(1) == 0
    assert curve.at(2) == pytest.approx(0.2)
    assert curve.at(7) == pytest.approx(0.2 + 0.7 / 6)
    assert curve.at(9) == pytest.approx(0.2 + 0.7 / 6 + (0.7 * 4 / 6) / 4)
    assert curve.at(10) is None  # no one followed beyond day 9: not reached
    assert curve.reaches(0.5) is None


def test_a_curve_whose_outcomes_are_all_known_stays_flat_after_its_last_day():
    curve = stats.aalen_johansen({3: 2}, {5: 2}, {})
    assert curve.at(90) == pytest.approx(0.5) and curve.reaches(0.5) == 3


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from([0, 1, 2])), min_size=1, max_size=80))
def test_aalen_johansen_agrees_with_statsmodels(observations):
    events, competing, censored = {}, {}, {}
    for day, status in observations:
        target = (censored, events, competing)[status]
        target[day] = target.get(day, 0) + 1
    curve = stats.aalen_johansen(events, competing, censored)
    if not events and not competing:
        return  # statsmodels needs at least one event
    times = np.array([d for d, _ in observations], dtype=float)
    status = np.array([s for _, s in observations])
    with np.errstate(all="ignore"):  # its standard errors divide by zero at the last time; the estimate is fine
        reference = CumIncidenceRight(times, status)
    for day in range(41):
        expected_steps = reference.times <= day
        expected = reference.cinc[0][expected_steps][-1] if expected_steps.any() else 0.0
        got = curve.at(day)
        if got is not None:
            assert got == pytest.approx(expected, abs=1e-9)
