"""run_with_retry on its own: attempt numbering, schedule, budget, exhaustion."""

from __future__ import annotations

import random

import pytest

from accord.engine.retry import RetriesExhausted, RetryBudget, run_with_retry
from accord.errors import DataQualityError, RateLimited, TransientError
from accord.resilience import RetryPolicy

POLICY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0, multiplier=2.0)


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_waits_follow_the_capped_exponential_schedule() -> None:
    waits: list[float] = []
    seen: list[tuple[int, float]] = []
    fn = Flaky(*[TransientError("boom")] * 3)
    result = run_with_retry(fn, RetryBudget(POLICY, None), sleep=waits.append,
                            rng=random.Random(1), on_retry=lambda n, e, w: seen.append((n, w)))
    assert result == "ok"
    assert fn.calls == 4
    assert [n for n, _ in seen] == [1, 2, 3]
    assert [w for _, w in seen] == waits
    for attempt, wait in enumerate(waits, start=1):
        assert 0 <= wait <= min(3.0, 2.0 ** (attempt - 1))


def test_exhaustion_reports_every_attempt() -> None:
    fn = Flaky(*[TransientError("down", system="erp")] * 9)
    with pytest.raises(RetriesExhausted) as raised:
        run_with_retry(fn, RetryBudget(POLICY, None), sleep=lambda _: None)
    assert raised.value.attempts == 4
    assert fn.calls == 4
    assert raised.value.last.message == "down"
    assert raised.value.system == "erp"


def test_retry_after_counts_against_the_budget() -> None:
    waits: list[float] = []
    fn = Flaky(RateLimited("slow", retry_after=2), RateLimited("slow", retry_after=2))
    with pytest.raises(RetriesExhausted) as raised:
        run_with_retry(fn, RetryBudget(POLICY, 3.0), sleep=waits.append)
    assert waits == [2.0]  # the second 2 s wait would pass the 3 s budget
    assert raised.value.attempts == 2


def test_non_retryable_errors_pass_straight_through() -> None:
    fn = Flaky(DataQualityError("email", "missing"))
    with pytest.raises(DataQualityError):
        run_with_retry(fn, RetryBudget(POLICY, None), sleep=lambda _: pytest.fail("slept"))
    assert fn.calls == 1


def test_a_single_attempt_policy_never_waits() -> None:
    fn = Flaky(TransientError("x"))
    with pytest.raises(RetriesExhausted) as raised:
        run_with_retry(fn, RetryBudget(RetryPolicy(max_attempts=1), None),
                       sleep=lambda _: pytest.fail("slept"))
    assert raised.value.attempts == 1
