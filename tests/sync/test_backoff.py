"""Backoff between failed sync runs: full jitter, doubling, capped, reset by a success."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.sync.backoff import Backoff


def test_waits_are_drawn_up_to_a_doubling_ceiling_with_a_seeded_rng() -> None:
    backoff = Backoff(2.0, 900.0, random.Random(7))
    twin = random.Random(7)
    waits = [backoff.failed() for _ in range(12)]
    ceilings = [min(900.0, 2.0 * 2 ** (n - 1)) for n in range(1, 13)]
    assert waits == [twin.uniform(0, c) for c in ceilings]
    assert all(0 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert backoff.failures == 12
    assert backoff.ceiling() == 900.0


def test_a_success_starts_again_from_the_first_wait() -> None:
    backoff = Backoff(1.0, 60.0, random.Random(1))
    for _ in range(5):
        backoff.failed()
    assert backoff.ceiling() == 16.0
    backoff.succeeded()
    assert backoff.failures == 0
    assert backoff.ceiling() == 0.0
    assert backoff.failed() <= 1.0


def test_the_jitter_spreads_boxes_that_failed_together() -> None:
    waits = {round(Backoff(10.0, 900.0, random.Random(seed)).failed(), 6) for seed in range(20)}
    assert len(waits) == 20  # not everyone back at the same moment
    assert max(waits) <= 10.0


@given(st.integers(min_value=1, max_value=5000), st.floats(0.01, 600), st.floats(1, 86_400))
def test_a_wait_never_passes_the_cap_however_many_failures(
    failures: int, first_s: float, max_s: float
) -> None:
    backoff = Backoff(first_s, max_s, random.Random(failures))
    backoff.failures = failures - 1
    wait = backoff.failed()
    assert 0 <= wait <= max_s
    assert backoff.failures == failures


def test_waits_are_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Backoff(0, 10)
