"""Intake: every inbound event is stored once and starts its flow once.

The inbox's unique key (system, external event id) is the dedup: the first delivery inserts
the row, every delivery (duplicates included) adds an ``inbox_delivery`` row. A delivery that
reuses an event id with a different body is no plain duplicate: its row is marked
``conflict`` and an exception (kind ``conflicting_redelivery``) shows it to a person; the
first body stays the one the flow runs on. The flow's
workflow id is derived from the inbox row, ``in-<zero-padded inbox id>-<system>-<event id>``:
duplicates name the same workflow, which DBOS starts at most once, and ids sort in arrival
order, which keeps one customer's events in order on SQLite too (DBOS breaks ties between
workflows enqueued in the same second by workflow id).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from accord.engine.context import current
from accord.engine.exception_queue import UNEXPECTED_ENTITY, Problem, open_exception
from accord.engine.flow import FlowInput, start_flow
from accord.engine.owners import load_owner_rules
from accord.store import Database
from accord.store.models import InboxDelivery, InboxEntry

log = logging.getLogger(__name__)


class InboxStatus(StrEnum):
    RECEIVED = "received"  # stored, no flow started yet
    CLAIMED = "claimed"  # taken by a pump for a batch flow that has not started yet
    STARTED = "started"


PENDING_STATUSES = (InboxStatus.RECEIVED.value, InboxStatus.CLAIMED.value)
"""Inbox rows still waiting for their flow: the intake backlog."""


def jsonable(value: Any) -> Any:
    """The payload as JSON can store it: Decimals (the Stripe library parses some amounts
    as Decimal) become their exact text, as they travel on the wire."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class Delivery(BaseModel):
    """One inbound event as a connector hands it to the engine."""

    model_config = ConfigDict(frozen=True)

    system: str
    external_event_id: str
    event_type: str
    payload: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = None
    keys: dict[str, str] = Field(default_factory=dict)
    customer: str | None = Field(default=None, description="canonical customer id: orders "
                                 "this event after the customer's earlier ones")
    traceparent: str | None = Field(default=None, description="W3C trace context of the "
                                    "event's trace, kept with the event for its flow")
    volatile: tuple[str, ...] = Field(default=(), description="top-level payload fields "
                                      "left out when a redelivery is compared with the first")


@dataclass(frozen=True)
class Intake:
    inbox_id: int
    workflow_id: str
    correlation_id: str
    duplicate: bool


def workflow_id_for(inbox_id: int, system: str, external_event_id: str) -> str:
    tail = f"{system}-{external_event_id}"
    if len(tail) > 200:
        tail = f"{system}-{hashlib.sha256(external_event_id.encode()).hexdigest()[:40]}"
    return f"in-{inbox_id:012d}-{tail}"


def correlation_id_for(system: str, external_event_id: str) -> str:
    return f"{system}:{external_event_id}"


def store_delivery(database: Database, delivery: Delivery) -> tuple[int, bool]:
    """Record a delivery; returns (inbox id, whether it was a duplicate)."""
    try:
        with database.session() as session:
            entry = InboxEntry(system=delivery.system,
                               external_event_id=delivery.external_event_id,
                               event_type=delivery.event_type, payload=delivery.payload,
                               occurred_at=delivery.occurred_at,
                               status=InboxStatus.RECEIVED.value, delivery_count=1,
                               traceparent=delivery.traceparent)
            session.add(entry)
            session.flush()
            session.add(InboxDelivery(inbox_id=entry.id, duplicate=False))
            return int(entry.id), False
    except IntegrityError:
        pass
    with database.session() as session:
        inbox_id = session.scalar(select(InboxEntry.id).where(
            InboxEntry.system == delivery.system,
            InboxEntry.external_event_id == delivery.external_event_id))
        if inbox_id is None:  # pragma: no cover - the row we collided with vanished
            raise RuntimeError("inbox row disappeared after a unique-key conflict")
        stored = session.scalar(select(InboxEntry.payload).where(InboxEntry.id == inbox_id))
        # an empty stored payload was purged by retention: nothing left to compare
        conflict = bool(stored) and payload_digest(stored or {}, delivery.volatile) != \
            payload_digest(delivery.payload, delivery.volatile)
        session.execute(update(InboxEntry).where(InboxEntry.id == inbox_id)
                        .values(delivery_count=InboxEntry.delivery_count + 1))
        session.add(InboxDelivery(inbox_id=inbox_id, duplicate=True, conflict=conflict))
    if conflict:
        _report_conflict(database, delivery)
    return int(inbox_id), True


CONFLICTING_REDELIVERY = "conflicting_redelivery"


def payload_digest(payload: Mapping[str, Any], volatile: tuple[str, ...] = ()) -> str:
    """SHA-256 of the payload's canonical JSON (sorted keys), without its ``volatile``
    top-level fields: equal for equal bodies."""
    content = {key: value for key, value in payload.items() if key not in volatile}
    text = json.dumps(jsonable(content), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _report_conflict(database: Database, delivery: Delivery) -> None:
    """An exception for a person: the sender reused an event id for another body (a bug on
    its side, or a forged replay with a valid signature)."""
    log.warning("inbox: %s event %s delivered again with a different body; kept the first",
                delivery.system, delivery.external_event_id)
    correlation_id = correlation_id_for(delivery.system, delivery.external_event_id)
    error = {"code": CONFLICTING_REDELIVERY, "system": delivery.system,
             "reason": f"event {delivery.external_event_id} was delivered again with a "
                       "different body; the first body was kept",
             "detail": f"first {_digest_of_first(database, delivery)[:16]}, now "
                       f"{payload_digest(delivery.payload, delivery.volatile)[:16]} "
                       "(SHA-256 prefixes)"}
    open_exception(database, load_owner_rules(), Problem(
        error=error, correlation_id=correlation_id, workflow_id=None, flow="intake",
        step="intake", system=delivery.system, entity=UNEXPECTED_ENTITY,
        record_ref=delivery.external_event_id))


def _digest_of_first(database: Database, delivery: Delivery) -> str:
    with database.session() as session:
        stored = session.scalar(select(InboxEntry.payload).where(
            InboxEntry.system == delivery.system,
            InboxEntry.external_event_id == delivery.external_event_id))
    return payload_digest(dict(stored or {}), delivery.volatile)


def deliver(flow_fn: Callable[[FlowInput], Any], delivery: Delivery) -> Intake:
    """Store ``delivery`` and make sure its flow is started (exactly once overall)."""
    database = current().database
    inbox_id, duplicate = store_delivery(database, delivery)
    workflow_id = workflow_id_for(inbox_id, delivery.system, delivery.external_event_id)
    correlation_id = correlation_id_for(delivery.system, delivery.external_event_id)
    run = FlowInput(correlation_id=correlation_id, keys=dict(delivery.keys),
                    payload=dict(delivery.payload), partition_key=delivery.customer,
                    traceparent=delivery.traceparent)
    # A duplicate starts the flow too: if the first delivery died between storing and
    # starting, this one finishes the job; otherwise DBOS returns the existing workflow.
    start_flow(flow_fn, run, workflow_id=workflow_id)
    if not duplicate:
        with database.session() as session:
            session.execute(update(InboxEntry).where(InboxEntry.id == inbox_id)
                            .values(status=InboxStatus.STARTED.value, workflow_id=workflow_id))
    return Intake(inbox_id, workflow_id, correlation_id, duplicate)


__all__ = [
    "CONFLICTING_REDELIVERY",
    "Delivery",
    "InboxStatus",
    "Intake",
    "correlation_id_for",
    "deliver",
    "jsonable",
    "payload_digest",
    "store_delivery",
    "workflow_id_for",
]
