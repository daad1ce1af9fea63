"""HubSpot's limits for a private app: a rolling ten-second window and a daily allocation
(reset at midnight, here UTC on the sandbox clock). Every answer carries the
``X-HubSpot-RateLimit-*`` headers; a request past either limit gets 429 with HubSpot's body
(``errorType: RATE_LIMIT`` and the policy that refused it).

Published figures (Professional and Enterprise accounts): 190 requests per 10 seconds and
625,000 a day; Free and Starter: 100 and 250,000. Both are settable (``PUT
/__sandbox/hubspot/limits``) so tests can reach them in a few requests."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from accord.sandboxes.hubspot.errors import Category, HubSpotError
from accord.sandboxes.refusals import Refusals

WINDOW = timedelta(seconds=10)


class LimitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ten_second_limit: int = Field(default=190, ge=1)
    daily_limit: int = Field(default=625_000, ge=1)


class LimitsView(BaseModel):
    settings: LimitSettings
    admitted: int
    refused: int
    first_refused_at: datetime | None
    last_refused_at: datetime | None
    daily_used: int


class RateGate:
    def __init__(self, now: Callable[[], datetime], settings: LimitSettings | None = None
                 ) -> None:
        self._now = now
        self._lock = threading.Lock()
        self.initial = settings or LimitSettings()
        self.reset()

    def reset(self) -> None:
        """Forget what was counted, and limits set since the start."""
        self.settings = self.initial
        self._window: deque[datetime] = deque()
        self._day = self._now().date()
        self._daily = 0
        self.admitted = 0
        self.refusals = Refusals()

    def configure(self, settings: LimitSettings) -> None:
        with self._lock:
            self.settings = settings

    def _headers(self) -> dict[str, str]:
        settings = self.settings
        return {"X-HubSpot-RateLimit-Daily": str(settings.daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(settings.daily_limit
                                                               - self._daily, 0)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                "X-HubSpot-RateLimit-Max": str(settings.ten_second_limit),
                "X-HubSpot-RateLimit-Remaining": str(max(settings.ten_second_limit
                                                         - len(self._window), 0))}

    def admit(self) -> dict[str, str]:
        """Count one request and return the headers to send, or raise the 429."""
        with self._lock:
            now = self._now()
            if now.date() != self._day:
                self._day, self._daily = now.date(), 0
            while self._window and now - self._window[0] >= WINDOW:
                self._window.popleft()
            policy = None
            if self._daily >= self.settings.daily_limit:
                policy = ("DAILY", "You have reached your daily limit.")
            elif len(self._window) >= self.settings.ten_second_limit:
                policy = ("TEN_SECONDLY_ROLLING",
                          "You have reached your ten_secondly_rolling limit.")
            if policy is not None:
                self.refusals.add(now)
                raise HubSpotError(429, Category.RATE_LIMITS, policy[1],
                                   headers=self._headers(),
                                   extra={"errorType": "RATE_LIMIT", "policyName": policy[0]})
            self._window.append(now)
            self._daily += 1
            self.admitted += 1
            return self._headers()

    def view(self) -> LimitsView:
        with self._lock:
            return LimitsView(settings=self.settings, admitted=self.admitted,
                              refused=self.refusals.count,
                              first_refused_at=self.refusals.first_at,
                              last_refused_at=self.refusals.last_at, daily_used=self._daily)


__all__ = ["LimitSettings", "LimitsView", "RateGate"]
