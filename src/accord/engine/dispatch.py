"""Dispatch: which flow handles which inbound event, and the pump that starts stored ones.

Flows declare the events they handle::

    @handles("stripe", "invoice.finalized", describe=invoice_delivery)
    @flow("invoice_posting")
    def invoice_posting(run: FlowInput) -> ...

``describe`` turns the verified :class:`~accord.connectors.base.InboundEvent` into the engine's
:class:`Delivery` (business keys, the canonical customer that orders it). A handler registered
for ``netsuite`` also serves its instances (``netsuite-eu``).

Intake is two-phase so that a webhook is acknowledged as soon as it is durably stored:
:func:`store` writes the inbox row (and the API answers 2xx), and :func:`pump` - run by every
worker - starts the flow of each stored row. The workflow id is derived from the inbox row,
so two workers pumping the same row, or a pump racing a direct :func:`accept`, start one flow.
Events no flow handles are marked ``unhandled`` in the inbox: kept and visible, never lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update

from accord.connectors.base import InboundEvent
from accord.engine.flow import FlowInput, start_flow
from accord.engine.inbox import (
    Delivery,
    InboxStatus,
    Intake,
    correlation_id_for,
    store_delivery,
    workflow_id_for,
)
from accord.store import Database
from accord.store.models import InboxEntry

F = TypeVar("F", bound=Callable[[FlowInput], Any])
Describe = Callable[[InboundEvent], Delivery]

UNHANDLED = "unhandled"
log = logging.getLogger(__name__)


def plain_delivery(event: InboundEvent) -> Delivery:
    """The default description: the event as is, keyed by its id, unordered."""
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=dict(event.payload),
                    occurred_at=event.occurred_at, keys={"event_id": event.event_id})


@dataclass(frozen=True)
class Handler:
    system: str
    event_type: str
    flow: Callable[[FlowInput], Any]
    describe: Describe


_handlers: dict[tuple[str, str], Handler] = {}


def handles(system: str, *event_types: str, describe: Describe = plain_delivery
            ) -> Callable[[F], F]:
    """Register the decorated flow for ``event_types`` from ``system``."""
    if not event_types:
        raise ValueError("event_types: name at least one event type")

    def register(flow_fn: F) -> F:
        for event_type in event_types:
            _handlers[(system, event_type)] = Handler(system, event_type, flow_fn, describe)
        return flow_fn

    return register


def handler_for(system: str, event_type: str) -> Handler | None:
    found = _handlers.get((system, event_type))
    if found is None and "-" in system:
        found = _handlers.get((system.split("-", 1)[0], event_type))
    return found


def describe_event(event: InboundEvent) -> Delivery:
    handler = handler_for(event.system, event.event_type)
    return (handler.describe if handler else plain_delivery)(event)


def store(database: Database, event: InboundEvent) -> tuple[int, bool]:
    """Durably record the event (phase one); returns (inbox id, duplicate)."""
    return store_delivery(database, describe_event(event))


def _start(database: Database, inbox_id: int, delivery: Delivery) -> Intake | None:
    handler = handler_for(delivery.system, delivery.event_type)
    if handler is None:
        with database.session() as session:
            session.execute(update(InboxEntry).where(
                InboxEntry.id == inbox_id, InboxEntry.status == InboxStatus.RECEIVED.value
            ).values(status=UNHANDLED))
        return None
    workflow_id = workflow_id_for(inbox_id, delivery.system, delivery.external_event_id)
    correlation_id = correlation_id_for(delivery.system, delivery.external_event_id)
    run = FlowInput(correlation_id=correlation_id, keys=dict(delivery.keys),
                    payload=dict(delivery.payload), partition_key=delivery.customer)
    start_flow(handler.flow, run, workflow_id=workflow_id)
    with database.session() as session:
        session.execute(update(InboxEntry).where(InboxEntry.id == inbox_id).values(
            status=InboxStatus.STARTED.value, workflow_id=workflow_id))
    return Intake(inbox_id, workflow_id, correlation_id, duplicate=False)


def accept(database: Database, event: InboundEvent) -> Intake | None:
    """Store the event and start its flow now (the engine runs in this process). Returns
    None when no flow handles the event (it stays in the inbox as ``unhandled``)."""
    delivery = describe_event(event)
    inbox_id, duplicate = store_delivery(database, delivery)
    intake = _start(database, inbox_id, delivery)
    if intake is None:
        return None
    return Intake(intake.inbox_id, intake.workflow_id, intake.correlation_id, duplicate)


def pump(database: Database, *, settle_seconds: float = 1.0, limit: int = 500,
         now: datetime | None = None) -> int:
    """Start the flows of stored rows still ``received`` for ``settle_seconds``; returns how
    many rows it handled. Safe to run in every worker at once."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=settle_seconds)
    with database.session() as session:
        rows = session.execute(select(
            InboxEntry.id, InboxEntry.system, InboxEntry.external_event_id,
            InboxEntry.event_type, InboxEntry.payload, InboxEntry.occurred_at
        ).where(InboxEntry.status == InboxStatus.RECEIVED.value,
                InboxEntry.received_at <= cutoff).order_by(InboxEntry.id).limit(limit)).all()
    for row in rows:
        event = InboundEvent(system=row.system, event_id=row.external_event_id,
                             event_type=row.event_type, payload=row.payload,
                             occurred_at=row.occurred_at or datetime.now(UTC))
        _start(database, int(row.id), describe_event(event))
    return len(rows)


class InboxPump:
    """A background thread running :func:`pump` every ``interval`` seconds."""

    def __init__(self, database: Database, interval: float = 1.0) -> None:
        self.database = database
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="accord-inbox-pump",
                                        daemon=True)

    def start(self) -> InboxPump:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                pump(self.database, settle_seconds=self.interval)
            except Exception:  # keep pumping: the rows stay 'received' and are retried
                log.exception("inbox pump failed; retrying in %.1f s", self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


__all__ = ["UNHANDLED", "Handler", "InboxPump", "accept", "describe_event", "handler_for",
           "handles", "plain_delivery", "pump", "store"]
