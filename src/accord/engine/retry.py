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


STEP_RETRY = RetryPolicy(max_attempts=200, base_delay=0.5, max_delay=30.0)
"""The engine's default policy for a step: bounded by time (the budget), not by attempts, so
an outage of several minutes ends in a retry that succeeds, not in ``retries_exhausted``.
The engine is the one retry layer for a step: flows build their clients with ``retry=False``
where a client has its own loop (NetSuite), so retries do not multiply."""


@dataclass(frozen=True)
class RetryBudget:
    """A policy and the most seconds a step may spend waiting between attempts."""

    policy: RetryPolicy = field(default_factory=lambda: STEP_RETRY)
    max_total_wait: float | None = 900.0


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
    attempt that will be retried, before the wait.

    The first attempt runs without tenacity (most calls succeed at once, and steps are the
    engine's hot path); only a retryable failure enters the policy's retry loop.
    """
    policy = budget.policy
    generator = rng or random.Random()
    try:
        return fn()
    except AccordError as error:
        if not policy.is_retryable(error):
            raise
        first = error
    wait = policy.delay(1, first, generator)
    limit = budget.max_total_wait
    if policy.max_attempts == 1 or (limit is not None and wait > limit):
        raise RetriesExhausted(first, 1) from first
    if on_retry is not None:
        on_retry(1, first, wait)
    sleep(wait)
    spent = wait
    # attempts 2..max_attempts: the same schedule, shifted by the attempt already made
    rest = RetryPolicy(max_attempts=policy.max_attempts - 1,
                       base_delay=policy.base_delay * policy.multiplier,
                       max_delay=policy.max_delay, multiplier=policy.multiplier)
    last: list[AccordError] = [first]
    attempts = 1

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
        if limit is not None and spent + seconds > limit:
            raise _BudgetSpent
        spent += seconds
        sleep(seconds)

    def notify(attempt: int, error: AccordError, seconds: float) -> None:
        if on_retry is not None and (limit is None or spent + seconds <= limit):
            on_retry(attempt + 1, error, seconds)

    try:
        return call_with_retry(counted, rest, sleep=budgeted_sleep, rng=generator,
                               on_retry=notify)
    except _BudgetSpent:
        raise RetriesExhausted(last[0], attempts) from last[0]
    except RetriesExhausted as exhausted:
        raise RetriesExhausted(exhausted.last, attempts) from exhausted.last


__all__ = ["STEP_RETRY", "RetriesExhausted", "RetryBudget", "run_with_retry"]
