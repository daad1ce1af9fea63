"""API request limits: the daily allocation and the concurrent long-running request limit.

Every authenticated API response carries ``Sforce-Limit-Info: api-usage=<used>/<max>``. When
the allocation for the rolling 24 hours is used up, or more requests are in flight than the
concurrent limit allows, Salesforce answers 403 with ``REQUEST_LIMIT_EXCEEDED``. The
allocation is settable through ``PUT /__sandbox/salesforce/limits``; the shared fault setting
``concurrency_limit`` overrides the concurrent limit.

``GET /__sandbox/salesforce/limits`` also reports what the limits did since the last
``POST /__sandbox/salesforce/limits/reset``: requests refused for each limit, when the first
and last refusal happened (sandbox clock), and the peak of requests in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from accord.sandboxes.refusals import Refusals
from accord.sandboxes.salesforce.errors import ApiError, ErrorCode

DAILY_API_REQUESTS = 100_000
CONCURRENT_LONG_RUNNING = 25
WINDOW = timedelta(hours=24)


class LimitSettings(BaseModel):
    daily_api_requests: int = Field(default=DAILY_API_REQUESTS, ge=1)
    used: int | None = Field(default=None, ge=0, description="set the usage counter")
    concurrent_long_running: int = Field(default=CONCURRENT_LONG_RUNNING, ge=1)


class LimitsView(BaseModel):
    """``GET /__sandbox/salesforce/limits``."""

    used: int
    """API requests counted in the current 24-hour window."""
    daily_api_requests: int
    concurrent_long_running: int
    """The configured concurrent limit (``concurrent_limit`` is the one in force)."""
    concurrent_limit: int
    in_flight: int
    peak_concurrency: int
    """Most requests seen at once, counting ones refused for a limit."""
    peak_admitted: int
    refused: int
    refused_concurrent: int
    refused_daily: int
    first_refused_at: datetime | None
    last_refused_at: datetime | None
    refused_after_first: int
    """Refusals after the first one: a client that heeds the first 403 keeps this at 0."""


class ApiLimits:
    def __init__(self, now: Callable[[], datetime],
                 concurrency_override: Callable[[], int | None]) -> None:
        self._now = now
        self._override = concurrency_override
        self._lock = threading.Lock()
        self.daily_max = DAILY_API_REQUESTS
        self.concurrent_max = CONCURRENT_LONG_RUNNING
        self.used = 0
        self.in_flight = 0
        self._window_start = now()
        self.peak = self.peak_admitted = 0
        self.concurrent_refusals = Refusals()
        self.daily_refusals = Refusals()
        self.refusals = Refusals()

    def configure(self, settings: LimitSettings) -> None:
        with self._lock:
            self.daily_max = settings.daily_api_requests
            self.concurrent_max = settings.concurrent_long_running
            if settings.used is not None:
                self.used = settings.used

    def reset(self) -> None:
        with self._lock:
            self.daily_max = DAILY_API_REQUESTS
            self.concurrent_max = CONCURRENT_LONG_RUNNING
            self.used = 0
            self._window_start = self._now()
        self.reset_figures()

    def reset_figures(self) -> None:
        """Forget refusals and peaks (usage, limits and requests in flight are kept)."""
        with self._lock:
            self.peak = self.peak_admitted = self.in_flight
            self.concurrent_refusals = Refusals()
            self.daily_refusals = Refusals()
            self.refusals = Refusals()

    def _roll(self) -> None:
        now = self._now()
        if now - self._window_start >= WINDOW:
            self.used = 0
            self._window_start = now

    def admit(self) -> None:
        """Count one request, or raise the 403 Salesforce gives when over a limit."""
        with self._lock:
            self._roll()
            concurrent = self._override() or self.concurrent_max
            self.peak = max(self.peak, self.in_flight + 1)
            if self.used >= self.daily_max:
                self._refused(self.daily_refusals)
                raise ApiError.one(403, ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                   "TotalRequests Limit exceeded.")
            if self.in_flight >= concurrent:
                self._refused(self.concurrent_refusals)
                raise ApiError.one(403, ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                   "ConcurrentPerOrgLongTxn Limit exceeded.")
            self.used += 1
            self.in_flight += 1
            self.peak_admitted = max(self.peak_admitted, self.in_flight)

    def _refused(self, kind: Refusals) -> None:
        at = self._now()
        kind.add(at)
        self.refusals.add(at)

    def release(self) -> None:
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)

    def view(self) -> LimitsView:
        with self._lock:
            return LimitsView(
                used=self.used, daily_api_requests=self.daily_max,
                concurrent_long_running=self.concurrent_max,
                concurrent_limit=self._override() or self.concurrent_max,
                in_flight=self.in_flight, peak_concurrency=self.peak,
                peak_admitted=self.peak_admitted, refused=self.refusals.count,
                refused_concurrent=self.concurrent_refusals.count,
                refused_daily=self.daily_refusals.count,
                first_refused_at=self.refusals.first_at, last_refused_at=self.refusals.last_at,
                refused_after_first=max(0, self.refusals.count - 1))

    def header(self) -> str:
        with self._lock:
            return f"api-usage={self.used}/{self.daily_max}"

    def resource(self) -> dict[str, Any]:
        """The ``limits/`` resource."""
        with self._lock:
            concurrent = self._override() or self.concurrent_max
            return {
                "DailyApiRequests": {"Max": self.daily_max,
                                     "Remaining": max(0, self.daily_max - self.used)},
                "ConcurrentPerOrgLongTxn": {"Max": concurrent,
                                            "Remaining": max(0, concurrent - self.in_flight)},
                "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
                "DataStorageMB": {"Max": 5, "Remaining": 5},
            }


__all__ = ["CONCURRENT_LONG_RUNNING", "DAILY_API_REQUESTS", "ApiLimits", "LimitSettings",
           "LimitsView"]
