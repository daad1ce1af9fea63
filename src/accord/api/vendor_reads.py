"""Guards on the routes that call the vendors on a reader's behalf (an invoice's status, a
system's probe): a short per-process cache of answers and a per-token rate limit.

A viewer's page view must not spend the vendors' API limits, nor let a script drive accord
into hammering a vendor. So:

- an invoice's status is kept for ``vendor_read_cache_seconds`` (settings; 30 s by default)
  in this process, keyed by the invoice number: the same question within that time is
  answered from memory, without a vendor call (each process of a scaled-out deployment has
  its own cache; an answer is at most that old);
- every request that would reach a vendor (a cache miss, a probe) takes one permit from its
  token's bucket, ``vendor_calls_per_minute`` per token (settings; 30 by default) refilled
  evenly; an empty bucket answers 429 with ``Retry-After`` (whole seconds until the next
  permit) and no vendor is called.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from fastapi import HTTPException, status

from accord.api.invoice_status import InvoiceStatus

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Answers kept for ``ttl`` seconds (0: nothing is kept), thread-safe, bounded."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bool, V | None]:
        """``(True, value)`` for a fresh entry, else ``(False, None)``."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return False, None
            if self.clock() - found[0] >= self.ttl:
                del self._entries[key]
                return False, None
            return True, found[1]

    def put(self, key: Hashable, value: V) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                now = self.clock()
                self._entries = {k: v for k, v in self._entries.items()
                                 if now - v[0] < self.ttl}
                while len(self._entries) >= self.max_entries:
                    self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (self.clock(), value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RateLimiter:
    """A token bucket per key: ``per_minute`` permits, refilled evenly, bursting up to all
    of them. :meth:`take` raises 429 with ``Retry-After`` when a key's bucket is empty."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute: at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, what: str) -> None:
        with self._lock:
            now = self.clock()
            level, at = self._buckets.get(key, (self.capacity, now))
            level = min(self.capacity, level + (now - at) * self.rate)
            if level < 1.0:
                self._buckets[key] = (level, now)
                wait = max(1, math.ceil((1.0 - level) / self.rate))
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    f"rate limit: {what} calls the vendors at most {int(self.capacity)} times "
                    f"a minute per token; retry in {wait} s",
                    headers={"Retry-After": str(wait)})
            self._buckets[key] = (level - 1.0, now)


class VendorReads:
    """The app's cache of invoice answers and its per-token limiter (``app.state``)."""

    def __init__(self, cache_seconds: float, calls_per_minute: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.invoices: TtlCache[InvoiceStatus | None] = TtlCache(cache_seconds, clock)
        self.limiter = RateLimiter(calls_per_minute, clock)

    def invoice(self, number: str, token_id: int,
                fetch: Callable[[], InvoiceStatus | None]) -> InvoiceStatus | None:
        """The fresh cached answer for invoice ``number`` (None: no system knows it), else
        ``fetch()`` (after taking a permit from ``token_id``'s bucket) kept for next time."""
        hit, value = self.invoices.get(number)
        if hit:
            return value
        self.limiter.take(token_id, "an invoice lookup")
        fresh = fetch()
        self.invoices.put(number, fresh)
        return fresh

    def probe(self, token_id: int) -> None:
        """A permit for one probe (429 when ``token_id``'s bucket is empty)."""
        self.limiter.take(token_id, "a probe")


__all__ = ["RateLimiter", "TtlCache", "VendorReads"]
