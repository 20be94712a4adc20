"""The hybrid logical clock."""

from hypothesis import given
from hypothesis import strategies as st

from fieldkit.store.hlc import HybridClock, format_stamp, parse_stamp


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=50))
def test_stamps_strictly_increase_whatever_the_wall_clock_does(walls):
    it = iter(walls)
    clock = HybridClock(now=lambda: next(it))
    stamps = [clock.tick() for _ in walls]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_observe_moves_past_a_received_stamp():
    clock = HybridClock(now=lambda: 1000)
    assert clock.observe(format_stamp(5000, 3), max_drift_ms=10_000)
    assert clock.tick() > format_stamp(5000, 3)


def test_a_far_ahead_peer_does_not_drag_the_clock():
    clock = HybridClock(now=lambda: 1000)
    assert not clock.observe(format_stamp(10**9, 0), max_drift_ms=300_000)
    assert clock.tick() == format_stamp(1000, 0)


@given(st.integers(0, 10**13 - 1), st.integers(0, 999_999))
def test_stamp_round_trip(ms, counter):
    assert parse_stamp(format_stamp(ms, counter)) == (ms, counter)
