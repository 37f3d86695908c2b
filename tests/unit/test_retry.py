"""Retry policy: backoff doubles from the base, stops growing at the cap, jitters by ±50 %;
the circuit breaker goes closed -> open -> half-open -> closed (or open again)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.retry import CircuitBreaker, backoff_seconds

# attempt -> the un-jittered delay with base 30 s and the default 3600 s cap:
# 30, 60, 120, 240, 480, 960, 1920, then 3840 is capped to 3600.
CENTRES = [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1920), (8, 3600),
           (20, 3600)]


@pytest.mark.parametrize(("attempt", "centre"), CENTRES)
def test_backoff_stays_within_half_and_one_and_a_half_of_the_doubled_base(attempt, centre):
    rand = random.Random(attempt)
    for _ in range(50):
        delay = backoff_seconds(attempt, 30.0, rand=rand)
        assert 0.5 * centre <= delay <= 1.5 * centre


def test_backoff_is_reproducible_with_a_seeded_random():
    first = [backoff_seconds(n, 30.0, rand=random.Random(42)) for n in range(1, 9)]
    second = [backoff_seconds(n, 30.0, rand=random.Random(42)) for n in range(1, 9)]
    assert first == second


def test_jitter_actually_spreads_the_delays():
    rand = random.Random(7)
    delays = [backoff_seconds(3, 30.0, rand=rand) for _ in range(400)]
    # the centre is 120 s: with 400 draws both tails of [60, 180] are visited
    assert min(delays) < 66 and max(delays) > 174
    assert len(set(delays)) > 390


def test_a_smaller_cap_limits_the_centre():
    rand = random.Random(3)
    for attempt in range(1, 30):
        assert 5.0 <= backoff_seconds(attempt, 10.0, cap=10.0, rand=rand) <= 15.0


@pytest.mark.parametrize("attempt", [0, -3])
def test_attempt_below_one_counts_as_the_first(attempt):
    rand = random.Random(1)
    for _ in range(20):
        assert 15.0 <= backoff_seconds(attempt, 30.0, rand=rand) <= 45.0


@given(attempt=st.integers(1, 64), base=st.floats(0.1, 1000.0), cap=st.floats(1.0, 86400.0),
       seed=st.integers(0, 2**32))
def test_backoff_bounds_property(attempt, base, cap, seed):
    centre = min(cap, base * 2 ** (attempt - 1))
    delay = backoff_seconds(attempt, base, cap=cap, rand=random.Random(seed))
    assert centre * 0.5 <= delay <= centre * 1.5


def test_backoff_after_very_many_attempts_is_still_capped():
    # jobs.max_attempts has no upper bound in edihub.toml; 1100 attempts must still give
    # the capped delay, not fail on 30 * 2**1099 being too large for a float.
    delay = backoff_seconds(1100, 30.0, cap=3600.0, rand=random.Random(5))
    assert 1800.0 <= delay <= 5400.0


# -- circuit breaker ------------------------------------------------------------------------

def test_breaker_starts_closed_and_stays_closed_below_the_threshold():
    b = CircuitBreaker(threshold=3, reset_seconds=60.0)
    assert b.state == "closed" and b.allow(0.0)
    b.failed(1.0)
    b.failed(2.0)
    assert b.state == "closed"
    assert b.allow(2.5)


def test_breaker_full_cycle_closed_open_half_open_closed():
    b = CircuitBreaker(threshold=3, reset_seconds=60.0)
    for t in (1.0, 2.0, 3.0):
        b.failed(t)
    assert b.state == "open"
    assert not b.allow(3.0)
    assert not b.allow(62.9)               # 59.9 s after opening
    assert b.allow(63.0)                   # 60 s after opening: one probe
    assert b.state == "half-open"
    assert not b.allow(63.5)               # only one probe at a time
    assert not b.allow(500.0)
    b.succeeded()
    assert b.state == "closed"
    assert b.failures == 0
    assert b.allow(500.0)


def test_a_failed_probe_opens_the_circuit_again_from_its_own_time():
    b = CircuitBreaker(threshold=2, reset_seconds=30.0)
    b.failed(0.0)
    b.failed(10.0)                          # open at 10
    assert b.allow(40.0)                    # probe
    b.failed(41.0)                          # probe failed: open again at 41
    assert b.state == "open"
    assert not b.allow(70.9)
    assert b.allow(71.0)
    assert b.state == "half-open"


def test_a_success_resets_the_count_of_consecutive_failures():
    b = CircuitBreaker(threshold=3, reset_seconds=60.0)
    b.failed(1.0)
    b.failed(2.0)
    b.succeeded()
    b.failed(3.0)
    b.failed(4.0)
    assert b.state == "closed"
    b.failed(5.0)
    assert b.state == "open"


def test_threshold_one_opens_at_the_first_failure():
    b = CircuitBreaker(threshold=1, reset_seconds=5.0)
    b.failed(100.0)
    assert b.state == "open"
    assert not b.allow(104.0)
    assert b.allow(105.0)
