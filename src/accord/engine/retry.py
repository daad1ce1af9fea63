"""Transient retry inside a step: the foundation :class:`RetryPolicy` plus a time budget.

Errors whose outcome is ``retry`` (:class:`TransientError`, :class:`RateLimited`) are retried
with full-jitter exponential backoff, a ``Retry-After`` being a floor on the wait. The budget
caps the total time spent waiting: a wait that would overrun it ends the retries at once
with :class:`RetriesExhausted`. Data-quality and other non-retryable errors pass straight
through (the flow sends them to the exception queue). ``sleep`` and ``rng`` are injectable.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from accord.errors import AccordError
from accord.resilience import RetriesExhausted, RetryPolicy, call_with_retry

T = TypeVar("T")


@dataclass(frozen=True)
class RetryBudget:
    """A policy and the most seconds a step may spend waiting between attempts."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    max_total_wait: float | None = 300.0


class _BudgetSpent(Exception):
    pass


def run_with_retry(
    fn: Callable[[], T],
    budget: RetryBudget,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, AccordError, float], None] | None = None,
) -> T:
    """Call ``fn`` under ``budget``; ``on_retry(attempt, error, wait)`` sees each failed
    attempt that will be retried, before the wait."""
    spent = 0.0
    last: list[AccordError] = []
    attempts = 0

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        try:
            return fn()
        except AccordError as error:
            last[:] = [error]
            raise

    def budgeted_sleep(seconds: float) -> None:
        nonlocal spent
        limit = budget.max_total_wait
        if limit is not None and spent + seconds > limit:
            raise _BudgetSpent
        spent += seconds
        sleep(seconds)

    def notify(attempt: int, error: AccordError, wait: float) -> None:
        limit = budget.max_total_wait
        if on_retry is not None and (limit is None or spent + wait <= limit):
            on_retry(attempt, error, wait)

    try:
        return call_with_retry(counted, budget.policy, sleep=budgeted_sleep, rng=rng,
                               on_retry=notify)
    except _BudgetSpent:
        raise RetriesExhausted(last[0], attempts) from last[0] if last else None


__all__ = ["RetriesExhausted", "RetryBudget", "run_with_retry"]
