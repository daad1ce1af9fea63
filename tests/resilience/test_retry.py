"""Retry policy: exponential backoff with full jitter, Retry-After as a floor, exhaustion.
No test sleeps: ``sleep`` is injected and records what would have been waited."""

from __future__ import annotations

import random

import pytest

from accord.errors import DataQualityError, RateLimited, Team, TransientError
from accord.resilience import RateLimiter, RetriesExhausted, RetryPolicy, call_with_retry


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_backoff_grows_exponentially_within_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=10.0)
    waits: list[float] = []
    flaky = Flaky([TransientError("503", system="netsuite") for _ in range(5)])
    assert call_with_retry(flaky, policy, sleep=waits.append, rng=random.Random(7)) == "ok"
    assert flaky.calls == 6
    caps = [1.0, 2.0, 4.0, 8.0, 10.0]
    assert [policy.cap(n) for n in range(1, 6)] == caps
    assert all(0 <= wait <= cap for wait, cap in zip(waits, caps, strict=True))
    # full jitter: the draws are spread, not pinned at the cap
    many = [policy.delay(4, None, random.Random(i)) for i in range(200)]
    assert min(many) < 2.0 < 6.0 < max(many) <= 8.0


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
    waits: list[float] = []
    flaky = Flaky([RateLimited("slow down", retry_after=7.5, system="stripe")])
    call_with_retry(flaky, policy, sleep=waits.append, rng=random.Random(1))
    assert waits == [7.5]


def test_exhaustion_wraps_the_last_error() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.0)
    flaky = Flaky([TransientError(f"boom {i}", system="netsuite", status=503) for i in range(5)])
    seen: list[int] = []
    with pytest.raises(RetriesExhausted) as caught:
        call_with_retry(flaky, policy, sleep=lambda _s: None,
                        on_retry=lambda attempt, _e, _w: seen.append(attempt))
    assert flaky.calls == 3
    assert seen == [1, 2]
    assert caught.value.attempts == 3
    assert caught.value.last.message == "boom 2"
    assert caught.value.system == "netsuite"


def test_data_quality_errors_are_never_retried() -> None:
    flaky = Flaky([DataQualityError("tax_id", "missing", owner=Team.MASTER_DATA)])
    with pytest.raises(DataQualityError):
        call_with_retry(flaky, RetryPolicy(), sleep=lambda _s: pytest.fail("slept"))
    assert flaky.calls == 1


def test_rate_limiter_paces_with_an_injected_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(rate=10, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(12):
        limiter.acquire()
    # two from the burst, then one every 0.1 s: ten more take one second
    assert sum(slept) == pytest.approx(1.0)
