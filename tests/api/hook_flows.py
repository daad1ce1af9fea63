"""A flow handling a Stripe event type no real flow uses, for the in-process intake test."""

from __future__ import annotations

from accord.engine import FlowInput, flow
from accord.engine.dispatch import handles

EVENT_TYPE = "accord_test.hook_ping"
SEEN: list[str] = []


@handles("stripe", EVENT_TYPE)
@flow("api_test_hook_ping")
def hook_ping(run: FlowInput) -> str:
    SEEN.append(run.keys["event_id"])
    return run.keys["event_id"]
