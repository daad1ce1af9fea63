"""API request limits: the daily allocation and the concurrent long-running request limit.

Every authenticated API response carries ``Sforce-Limit-Info: api-usage=<used>/<max>``. When
the allocation for the rolling 24 hours is used up, or more requests are in flight than the
concurrent limit allows, Salesforce answers 403 with ``REQUEST_LIMIT_EXCEEDED``. The
allocation is settable through ``PUT /__sandbox/salesforce/limits``; the shared fault setting
``concurrency_limit`` overrides the concurrent limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from accord.sandboxes.salesforce.errors import ApiError, ErrorCode

DAILY_API_REQUESTS = 100_000
CONCURRENT_LONG_RUNNING = 25
WINDOW = timedelta(hours=24)


class LimitSettings(BaseModel):
    daily_api_requests: int = Field(default=DAILY_API_REQUESTS, ge=1)
    used: int | None = Field(default=None, ge=0, description="set the usage counter")
    concurrent_long_running: int = Field(default=CONCURRENT_LONG_RUNNING, ge=1)


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
            if self.used >= self.daily_max:
                raise ApiError.one(403, ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                   "TotalRequests Limit exceeded.")
            if self.in_flight >= concurrent:
                raise ApiError.one(403, ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                   "ConcurrentPerOrgLongTxn Limit exceeded.")
            self.used += 1
            self.in_flight += 1

    def release(self) -> None:
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)

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


__all__ = ["CONCURRENT_LONG_RUNNING", "DAILY_API_REQUESTS", "ApiLimits", "LimitSettings"]
