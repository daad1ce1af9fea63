"""Retry as a value: exponential backoff with full jitter, where the server's hint wins.

``call_with_retry`` runs a callable under a :class:`RetryPolicy` using tenacity. Only errors
whose outcome is ``retry`` (:class:`TransientError`, :class:`RateLimited`) are retried; when the
budget is spent the last error is wrapped in :class:`RetriesExhausted`, which the engine turns
into an exception owned by integration engineering. ``sleep`` and ``rng`` are injectable so
tests never wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from accord.errors import AccordError, Outcome, PermanentError, RateLimited

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` counts the first try. Delay before attempt n+1 is drawn uniformly
    from [0, min(max_delay, base_delay * multiplier**(n-1))] (full jitter); a RateLimited
    error's ``retry_after`` is a floor on that delay."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts: must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("base_delay: delays must not be negative")

    def cap(self, attempt: int) -> float:
        """Upper bound of the jittered delay after failed attempt ``attempt`` (1-based)."""
        return float(min(self.max_delay, self.base_delay * self.multiplier ** (attempt - 1)))

    def delay(self, attempt: int, error: BaseException | None, rng: random.Random) -> float:
        jittered = rng.uniform(0, self.cap(attempt))
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return max(float(error.retry_after), jittered)
        return jittered

    @staticmethod
    def is_retryable(error: BaseException) -> bool:
        return isinstance(error, AccordError) and error.outcome is Outcome.RETRY


class RetriesExhausted(PermanentError):
    """Every attempt failed with a retryable error; ``last`` is the final one."""

    code = "retries_exhausted"

    def __init__(self, last: AccordError, attempts: int) -> None:
        super().__init__(f"gave up after {attempts} attempts: {last.message}",
                         system=last.system, status=last.status, detail=last.detail)
        self.last = last
        self.attempts = attempts


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, AccordError, float], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, a non-retryable error escapes, or the budget is spent."""
    generator = rng or random.Random()

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return policy.delay(state.attempt_number, error, generator)

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if on_retry is not None and isinstance(error, AccordError):
            on_retry(state.attempt_number, error, state.upcoming_sleep)

    retrying = Retrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=retry_if_exception(policy.is_retryable),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    attempts = 0

    def attempt() -> T:
        nonlocal attempts
        attempts += 1
        return fn()

    try:
        return retrying(attempt)
    except AccordError as error:
        if policy.is_retryable(error) and attempts >= policy.max_attempts:
            raise RetriesExhausted(error, attempts) from error
        raise


def retry_after_seconds(value: Any) -> float | None:
    """Parse a ``Retry-After`` header given in seconds; HTTP dates and junk give None."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


__all__ = ["RetriesExhausted", "RetryPolicy", "call_with_retry", "retry_after_seconds"]
