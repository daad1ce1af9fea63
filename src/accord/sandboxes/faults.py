"""Fault injection for sandboxes: latency, error rate, outage windows, limit overrides.

Faults apply to every request except the control plane (``/__sandbox/``). Each sandbox renders
injected failures in its vendor's own error format through the ``render`` callback.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/__sandbox"


class FaultKind(StrEnum):
    ERROR = "error"          # an injected 5xx from the error rate
    OUTAGE = "outage"        # the system is down (503)
    TIMEOUT = "timeout"      # the system hangs, then drops the request


class FaultSettings(BaseModel):
    """Settable through ``PUT /__sandbox/faults``. All default to no fault."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=120_000, description="added to every request")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0,
                              description="share of requests answered with error_status")
    error_status: int = Field(default=500, ge=500, le=599)
    outage_until: datetime | None = Field(
        default=None, description="sandbox-clock instant until which every request gets 503")
    timeout_until: datetime | None = Field(
        default=None, description="until then requests hang for timeout_seconds, then 504")
    timeout_seconds: float = Field(default=30.0, ge=0, le=600)
    rate_limit_per_second: float | None = Field(
        default=None, ge=0, description="overrides the sandbox's request rate limit")
    concurrency_limit: int | None = Field(
        default=None, ge=1, description="overrides the sandbox's concurrency limit")
    seed: int | None = Field(default=None, description="seed for the error-rate dice")


class FaultState:
    """Current fault settings plus the dice; thread-safe."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self.settings = FaultSettings()
        self._rng = random.Random()

    def update(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._rng = random.Random(settings.seed)

    def reset(self) -> None:
        self.update(FaultSettings())

    def draw(self) -> FaultKind | None:
        """Which fault, if any, this request suffers."""
        with self._lock:
            settings = self.settings
            now = self._now()
            if settings.outage_until is not None and now < settings.outage_until:
                return FaultKind.OUTAGE
            if settings.timeout_until is not None and now < settings.timeout_until:
                return FaultKind.TIMEOUT
            if settings.error_rate and self._rng.random() < settings.error_rate:
                return FaultKind.ERROR
        return None


Renderer = Callable[[FaultKind, int], Response]


class FaultMiddleware:
    """ASGI middleware applying :class:`FaultState` to non-control requests."""

    def __init__(self, app: ASGIApp, faults: FaultState, render: Renderer) -> None:
        self.app = app
        self.faults = faults
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        settings = self.faults.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        fault = self.faults.draw()
        if fault is None:
            await self.app(scope, receive, send)
            return
        status = {FaultKind.OUTAGE: 503, FaultKind.TIMEOUT: 504}.get(fault, settings.error_status)
        if fault is FaultKind.TIMEOUT:
            await asyncio.sleep(settings.timeout_seconds)
        response = self.render(fault, status)
        await response(scope, receive, send)



__all__ = ["CONTROL_PREFIX", "FaultKind", "FaultMiddleware", "FaultSettings", "FaultState"]
