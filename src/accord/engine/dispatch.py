"""Dispatch: which flow handles which inbound event, and the pump that starts stored ones.

Flows declare the role and the canonical event they handle, never a vendor::

    @handles(Role.BILLING, EventType.INVOICE_FINALIZED)
    @flow("invoice_posting")
    def invoice_posting(run: FlowInput) -> ...

An inbound event comes from a system instance; its connector says which role the system
plays, translates the system's event type into accord's (``ConnectorDefinition.events``) and
describes the event (``describe_event``: its business keys and the customer it concerns).
The engine turns that customer into the canonical one that orders the event (through the
identity registry), and the flow receives the event's source in ``FlowInput.system``.

Intake is two-phase so that a webhook is acknowledged as soon as it is durably stored:
:func:`store` writes the inbox row (and the API answers 2xx), and :func:`pump` - run by every
worker - starts the flow of each stored row. The workflow id is derived from the inbox row,
so two workers pumping the same row, or a pump racing a direct :func:`accept`, start one flow.
Events no flow handles are marked ``unhandled`` in the inbox: kept and visible, never lost.

Each stored event opens its own trace (:func:`accord.observability.tracing.intake_span`);
the inbox row keeps its ``traceparent`` and the flow started for it joins that trace.

A flow registered with ``batch=N`` (a :func:`~accord.engine.batch.batch_flow`) gets up to ``N``
stored events of its types per run. The pump *claims* the rows first - one ``UPDATE ... WHERE
status = 'received' RETURNING id`` that sets status ``claimed`` and a fresh batch workflow id -
so a row joins exactly one batch even with several pumps; then it enqueues the batch flow
under that id with the claimed rows as items, and marks them ``started``. A pump that dies
between claim and enqueue leaves ``claimed`` rows: every pump re-enqueues such rows under the
workflow id they carry, with the same items, which DBOS runs at most once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update

from accord.canonical.ids import EntityType, derived_id
from accord.canonical.roles import Role
from accord.connectors.base import EventFacts, InboundEvent
from accord.connectors.registry import connector_for
from accord.engine.batch import BatchItem, batch_input
from accord.engine.flow import FlowInput, start_flow
from accord.engine.inbox import (
    Delivery,
    InboxStatus,
    Intake,
    correlation_id_for,
    jsonable,
    store_delivery,
    workflow_id_for,
)
from accord.engine.owners import OwnerRules
from accord.engine.sweep import Sweeper
from accord.observability import tracing
from accord.registry.xref import Xrefs
from accord.store import Database
from accord.store.models import InboxEntry

F = TypeVar("F", bound=Callable[[FlowInput], Any])

UNHANDLED = "unhandled"
CLAIMED = InboxStatus.CLAIMED.value
log = logging.getLogger(__name__)


BatchSize = int | Callable[[], int]
"""Most events per run of a batch flow: a number, or a function read at each pump round
(a setting the start-up path installs)."""


@dataclass(frozen=True)
class Handler:
    role: str
    event_type: str
    flow: Callable[[FlowInput], Any]
    size: BatchSize = 0

    @property
    def batch(self) -> int:
        """Most events per flow run now; 0 means one flow per event."""
        size = self.size() if callable(self.size) else self.size
        if size < 0:
            raise ValueError(f"batch: {self.role} {self.event_type} batches must be 0 (one "
                             f"event per flow) or a positive size, not {size}")
        return size


_handlers: dict[tuple[str, str], Handler] = {}


def handles(role: Role, *event_types: str, batch: BatchSize = 0) -> Callable[[F], F]:
    """Register the decorated flow for accord's ``event_types`` from a system playing
    ``role``; with ``batch=N`` (or a function giving N) the flow is a batch flow taking up
    to ``N`` events per run."""
    if not event_types:
        raise ValueError("event_types: name at least one event type")
    if not callable(batch) and batch < 0:
        raise ValueError("batch: must be 0 (one event per flow) or a positive size")

    def register(flow_fn: F) -> F:
        for event_type in event_types:
            _handlers[(role.value, str(event_type))] = Handler(role.value, str(event_type),
                                                               flow_fn, batch)
        return flow_fn

    return register


def handler_for(system: str, event_type: str) -> Handler | None:
    """The flow for an event of ``system`` (an instance such as ``netsuite-eu`` is served by
    its connector), by the role the system plays and accord's name of the event."""
    definition = connector_for(system)
    if definition is None:
        return None
    return _handlers.get((definition.kind.value, definition.canonical_event(event_type)))


def event_types_for(system: str) -> list[str]:
    """The system's own event types that start a flow (what a webhook subscribes to)."""
    definition = connector_for(system)
    if definition is None:
        return []
    return sorted(vendor for vendor, canonical in definition.events.items()
                  if (definition.kind.value, canonical) in _handlers)


def describe_event(database: Database, event: InboundEvent,
                   traceparent: str | None = None) -> Delivery:
    """The event as the engine keeps it: its connector's business keys and the canonical
    customer that orders it (known to the identity registry, else derived from the
    source's id, as the customer's first flow derives it)."""
    definition = connector_for(event.system)
    facts = (definition.describe_event(event)
             if definition is not None and definition.describe_event is not None
             else EventFacts(keys={"event_id": event.event_id}))
    keys = {str(k): str(v) for k, v in facts.keys.items()}
    customer = None
    if facts.customer_ref and storable_ref(facts.customer_ref):
        with database.session() as session:
            customer = Xrefs(session).canonical_id(event.system, EntityType.CUSTOMER,
                                                   facts.customer_ref)
        if customer is not None:
            keys["customer_id"] = customer
        else:
            customer = derived_id(EntityType.CUSTOMER, event.system, facts.customer_ref)
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=jsonable(dict(event.payload)),
                    occurred_at=event.occurred_at, keys=keys, customer=customer,
                    traceparent=traceparent,
                    volatile=definition.redelivery_volatile if definition is not None else ())


def _traced(database: Database, event: InboundEvent) -> Delivery:
    """The event described inside the root span of its own trace, which it carries."""
    with tracing.intake_span(event.system, event.event_type,
                             correlation_id_for(event.system, event.event_id)):
        return describe_event(database, event, tracing.traceparent())


def storable_ref(ref: str) -> bool:
    """Whether a record id an event names can be looked up (a malformed event may name one
    with a NUL byte, which no database column holds, or one longer than any id column)."""
    return isinstance(ref, str) and "\x00" not in ref and len(ref) <= 255


def as_received(event: InboundEvent, traceparent: str | None = None) -> Delivery:
    """The event as it came, not yet described (the pump describes it before its flow),
    with the trace it starts."""
    definition = connector_for(event.system)
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=jsonable(dict(event.payload)),
                    occurred_at=event.occurred_at, traceparent=traceparent,
                    volatile=definition.redelivery_volatile if definition is not None else ())


def store(database: Database, event: InboundEvent) -> tuple[int, bool]:
    """Durably record the event as it came (phase one); returns (inbox id, duplicate).
    Describing it - its keys, the customer it concerns, which needs the identity registry -
    is the pump's, so a signed event too malformed to describe is still stored, and its
    flow turns it into an exception. The event starts its own trace (the intake span),
    which the inbox row carries to its flow."""
    with tracing.intake_span(event.system, event.event_type,
                             correlation_id_for(event.system, event.event_id)):
        return store_delivery(database, as_received(event, tracing.traceparent()))


def batch_workflow_id(first_inbox_id: int, count: int) -> str:
    """A fresh id for one claim: sorts in arrival order, never shared by two claims."""
    return f"bt-{first_inbox_id:012d}-{count:04d}-{uuid.uuid4().hex[:12]}"


def _item(inbox_id: int, delivery: Delivery) -> BatchItem:
    return BatchItem(inbox_id=inbox_id,
                     correlation_id=correlation_id_for(delivery.system,
                                                       delivery.external_event_id),
                     keys=dict(delivery.keys), payload=dict(delivery.payload),
                     traceparent=delivery.traceparent, system=delivery.system,
                     partition_key=delivery.customer)


def _enqueue_batch(database: Database, handler: Handler, workflow_id: str,
                   items: list[BatchItem]) -> None:
    start_flow(handler.flow, batch_input(items, f"batch:{workflow_id}"),
               workflow_id=workflow_id)
    with database.session() as session:
        session.execute(update(InboxEntry).where(
            InboxEntry.workflow_id == workflow_id, InboxEntry.status == CLAIMED
        ).values(status=InboxStatus.STARTED.value))


def _start_batches(database: Database, handler: Handler,
                   rows: list[tuple[int, Delivery]]) -> list[str]:
    """Claim ``rows`` in batches of ``handler.batch`` and start a flow per batch; returns
    the batch workflow ids. Rows another pump claimed first are skipped."""
    started = []
    size = handler.batch
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        workflow_id = batch_workflow_id(chunk[0][0], len(chunk))
        with database.session() as session:
            claimed = set(session.scalars(update(InboxEntry).where(
                InboxEntry.id.in_([inbox_id for inbox_id, _ in chunk]),
                InboxEntry.status == InboxStatus.RECEIVED.value
            ).values(status=CLAIMED, workflow_id=workflow_id).returning(InboxEntry.id)))
        items = [_item(inbox_id, delivery) for inbox_id, delivery in chunk
                 if inbox_id in claimed]
        if items:
            _enqueue_batch(database, handler, workflow_id, items)
            started.append(workflow_id)
    return started


def _recover_claims(database: Database) -> int:
    """Re-enqueue batches whose pump died between claiming and enqueueing."""
    with database.session() as session:
        rows = session.execute(select(
            InboxEntry.id, InboxEntry.system, InboxEntry.external_event_id,
            InboxEntry.event_type, InboxEntry.payload, InboxEntry.occurred_at,
            InboxEntry.workflow_id, InboxEntry.traceparent
        ).where(InboxEntry.status == CLAIMED).order_by(InboxEntry.id)).all()
    batches: dict[str, list[Any]] = {}
    for row in rows:
        batches.setdefault(str(row.workflow_id), []).append(row)
    for workflow_id, members in batches.items():
        deliveries = [(int(row.id), describe_event(database, _event_of(row), row.traceparent))
                      for row in members]
        handler = handler_for(deliveries[0][1].system, deliveries[0][1].event_type)
        if handler is None:  # pragma: no cover - the flow was unregistered meanwhile
            continue
        _enqueue_batch(database, handler, workflow_id,
                       [_item(inbox_id, delivery) for inbox_id, delivery in deliveries])
    return len(rows)


def _event_of(row: Any) -> InboundEvent:
    return InboundEvent(system=row.system, event_id=row.external_event_id,
                        event_type=row.event_type, payload=row.payload,
                        occurred_at=row.occurred_at or datetime.now(UTC))


def _start(database: Database, inbox_id: int, delivery: Delivery) -> Intake | None:
    handler = handler_for(delivery.system, delivery.event_type)
    if handler is not None and handler.batch:
        correlation_id = correlation_id_for(delivery.system, delivery.external_event_id)
        started = _start_batches(database, handler, [(inbox_id, delivery)])
        if started:
            return Intake(inbox_id, started[0], correlation_id, duplicate=False)
        with database.session() as session:  # already claimed: by this row's first delivery
            workflow_id = session.scalar(select(InboxEntry.workflow_id).where(
                InboxEntry.id == inbox_id))
        return Intake(inbox_id, str(workflow_id or ""), correlation_id, duplicate=False)
    if handler is None:
        with database.session() as session:
            session.execute(update(InboxEntry).where(
                InboxEntry.id == inbox_id, InboxEntry.status == InboxStatus.RECEIVED.value
            ).values(status=UNHANDLED))
        return None
    workflow_id = workflow_id_for(inbox_id, delivery.system, delivery.external_event_id)
    correlation_id = correlation_id_for(delivery.system, delivery.external_event_id)
    run = FlowInput(correlation_id=correlation_id, keys=dict(delivery.keys),
                    payload=dict(delivery.payload), partition_key=delivery.customer,
                    system=delivery.system, traceparent=delivery.traceparent)
    start_flow(handler.flow, run, workflow_id=workflow_id)
    with database.session() as session:
        session.execute(update(InboxEntry).where(InboxEntry.id == inbox_id).values(
            status=InboxStatus.STARTED.value, workflow_id=workflow_id))
    return Intake(inbox_id, workflow_id, correlation_id, duplicate=False)


def accept(database: Database, event: InboundEvent) -> Intake | None:
    """Store the event and start its flow now (the engine runs in this process). Returns
    None when no flow handles the event (it stays in the inbox as ``unhandled``)."""
    delivery = _traced(database, event)
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
            InboxEntry.event_type, InboxEntry.payload, InboxEntry.occurred_at,
            InboxEntry.traceparent
        ).where(InboxEntry.status == InboxStatus.RECEIVED.value,
                InboxEntry.received_at <= cutoff).order_by(InboxEntry.id).limit(limit)).all()
    batched: dict[tuple[str, str], tuple[Handler, list[tuple[int, Delivery]]]] = {}
    for row in rows:
        delivery = describe_event(database, _event_of(row), row.traceparent)
        handler = handler_for(delivery.system, delivery.event_type)
        if handler is not None and handler.batch:
            batched.setdefault((handler.role, handler.event_type), (handler, []))[1].append(
                (int(row.id), delivery))
        else:
            _start(database, int(row.id), delivery)
    for handler, members in batched.values():
        _start_batches(database, handler, members)
    _recover_claims(database)
    return len(rows)


class InboxPump:
    """A background thread running :func:`pump` every ``interval`` seconds and, every
    ``sweep_interval`` seconds, the :class:`~accord.engine.sweep.Sweeper` (failed flows
    without an exception record get one)."""

    def __init__(self, database: Database, interval: float = 1.0, limit: int = 500, *,
                 routing: OwnerRules | None = None, sweep_interval: float = 60.0) -> None:
        self.database = database
        self.interval = interval
        self.limit = limit
        self.sweeper = Sweeper(database, routing or OwnerRules())
        self.sweep_interval = sweep_interval
        self._swept_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="accord-inbox-pump",
                                        daemon=True)

    def start(self) -> InboxPump:
        self._thread.start()
        return self

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            try:
                handled = pump(self.database, settle_seconds=self.interval, limit=self.limit)
                wait = 0.0 if handled >= self.limit else self.interval  # a backlog: go on
            except Exception:  # keep pumping: the rows stay 'received' and are retried
                wait = self.interval
                log.exception("inbox pump failed; retrying in %.1f s", self.interval)
            if time.monotonic() - self._swept_at >= self.sweep_interval:
                try:
                    self.sweeper.run()
                    self._swept_at = time.monotonic()
                except Exception:  # the next round sweeps the same window again
                    log.exception("failed-flow sweep failed; retrying next round")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


__all__ = ["CLAIMED", "UNHANDLED", "BatchSize", "Handler", "InboxPump", "accept",
           "batch_workflow_id", "describe_event", "event_types_for", "handler_for", "handles",
           "pump", "store"]
