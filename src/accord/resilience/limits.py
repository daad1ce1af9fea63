"""Declared limits of a system and in-process gates that enforce them.

A connector declares a :class:`LimitsProfile` (the vendor's published limits). Inside one
process :class:`LocalGate` caps concurrency and :class:`RateLimiter` paces requests. Across
processes the engine supplies a :class:`SlotGate` backed by the shared database; connectors
accept any ``SlotGate`` and do not care which.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LimitsProfile:
    """Published limits of one kind of system. ``None`` means no such limit."""

    max_concurrency: int | None = None
    requests_per_second: float | None = None
    daily_requests: int | None = None
    page_size: int = 100
    notes: str = ""


class SlotGate(Protocol):
    """Hands out at most N concurrent slots; ``slot()`` blocks until one is free."""

    def slot(self) -> AbstractContextManager[None]: ...


class LocalGate:
    """A process-local concurrency gate (a bounded semaphore)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit) if limit else None

    @contextmanager
    def slot(self) -> Iterator[None]:
        if self._semaphore is None:
            yield
            return
        with self._semaphore:
            yield


class RateLimiter:
    """A thread-safe token bucket: ``rate`` tokens per second, ``burst`` at most."""

    def __init__(self, rate: float | None, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else (rate or 0.0)
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping if needed; return the seconds waited."""
        if not self.rate:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait:
            self._sleep(wait)
        return wait


__all__ = ["LimitsProfile", "LocalGate", "RateLimiter", "SlotGate"]
