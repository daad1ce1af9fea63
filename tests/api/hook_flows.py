"""A flow handling a billing event type no real flow uses, for the in-process intake test."""

from __future__ import annotations

from accord.canonical.roles import Role
from accord.engine import FlowInput, flow
from accord.engine.dispatch import handles

EVENT_TYPE = "accord_test.hook_ping"
SEEN: list[str] = []


@handles(Role.BILLING, EVENT_TYPE)
@flow("api_test_hook_ping")
def hook_ping(run: FlowInput) -> str:
    event_id = run.correlation_id.split(":", 1)[1]  # <system>:<the system's event id>
    SEEN.append(event_id)
    return event_id
