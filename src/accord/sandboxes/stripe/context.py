"""What every handler gets: the store, the clock, settings, and event recording."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.sandboxes.clock import SandboxClock
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.shapes import wire
from accord.sandboxes.stripe.state import Store, StripeObject

DEFAULT_API_VERSION = "2026-10-28.endive"




class StripeSandboxSettings(BaseModel):
    """Options accepted in ``SandboxOptions.settings`` (``accord sandbox start --set``)."""

    model_config = ConfigDict(extra="forbid")

    api_key: str | None = Field(default=None, description="accept only this key when set")
    rate_limit: float = Field(default=25.0, ge=0,
                              description="requests per second; Stripe test mode allows 25; "
                              "0 disables")
    dunning_schedule_days: tuple[int, ...] = Field(
        default=(3, 5, 7), description="retry a failed renewal this many days after the "
        "previous attempt (Stripe's custom retry schedule)")
    dunning_final_action: str = Field(
        default="canceled", pattern="^(canceled|unpaid|past_due)$",
        description="subscription status once every retry failed")
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_seconds: float = Field(
        default=60.0, ge=0, description="first retry delay (sandbox clock); doubles each time")
    api_version: str = DEFAULT_API_VERSION


@dataclass
class RequestInfo:
    request_id: str | None = None
    idempotency_key: str | None = None
    api_version: str = DEFAULT_API_VERSION


@dataclass
class Ctx:
    store: Store
    clock: SandboxClock
    settings: StripeSandboxSettings
    request: RequestInfo = field(default_factory=RequestInfo)
    at: int | None = None
    """When set, the instant (unix seconds) being simulated (test clocks, renewals)."""

    def now(self, customer_id: str | None = None) -> int:
        """Unix seconds for work done for ``customer_id``: its test clock's frozen time when
        the customer is attached to one, else the simulated instant or the sandbox clock."""
        if self.at is not None:
            return self.at
        if customer_id:
            customer = self.store.find("customer", customer_id)
            clock_id = customer.get("test_clock") if customer else None
            if clock_id:
                clock = self.store.find("test_helpers.test_clock", clock_id)
                if clock is not None:
                    return int(clock["frozen_time"])
        return self.clock.timestamp()

    def at_time(self, instant: int) -> Ctx:
        return Ctx(self.store, self.clock, self.settings, self.request, instant)

    def emit(self, event_type: str, obj: StripeObject,
             previous: dict[str, Any] | None = None) -> StripeObject:
        """Record an event carrying a snapshot of ``obj`` (and notify webhook delivery)."""
        data: dict[str, Any] = {"object": copy.deepcopy(obj),
                                "previous_attributes": copy.deepcopy(previous) or None}
        event = wire("event", {
            "id": new_id("evt"),
            "api_version": self.request.api_version,
            # events are stamped with sandbox time, even for test-clock customers whose
            # objects carry the clock's frozen time; this keeps /v1/events in recording order
            "created": self.clock.timestamp(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": self.request.request_id,
                        "idempotency_key": self.request.idempotency_key},
            "type": event_type,
        })
        self.store.insert(event)
        for listener in list(self.store.listeners):
            listener(event)
        return event
