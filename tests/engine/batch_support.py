"""A batch flow registered for an inbound event type, for the batching tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

from toy_connector import toy_connector

from accord.canonical.roles import Role
from accord.connectors.base import EventFacts, InboundEvent
from accord.engine.batch import Batch, BatchCall, batch_flow, batch_step
from accord.engine.dispatch import handles
from accord.engine.timeline import Milestone
from accord.errors import AccordError, DataQualityError, PermanentError, Team

SYSTEM = "toybatch"
EVENT = "invoice.ready"
POSTED: Counter[str] = Counter()
"""How many times each invoice number was posted."""
BATCHES: list[list[str]] = []
FAIL_WHOLE: list[bool] = [False]


CANONICAL = "toy.invoice_ready"  # accord's name for the toy system's event


def describe(event: InboundEvent) -> EventFacts:
    return EventFacts(keys={"invoice_number": str(event.payload["number"])})


toy_connector(SYSTEM, Role.ERP, {EVENT: CANONICAL}, describe)


@batch_step("toyerp", "check", entity="invoice_number")
def check(_call: BatchCall, inputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for correlation_id, payload in inputs.items():
        results[correlation_id] = (
            DataQualityError("amount", "must not be negative", owner=Team.FINANCE_OPERATIONS,
                             system="toyerp")
            if payload["amount"] < 0 else payload["number"])
    return results


@batch_step("toyerp", "post", entity="invoice_number", milestone=Milestone.INVOICE_POSTED)
def post(_call: BatchCall, inputs: dict[str, str]) -> dict[str, str | AccordError]:
    if FAIL_WHOLE[0]:
        raise PermanentError("the ERP refused the whole request", system="toyerp")
    BATCHES.append(sorted(inputs.values()))
    for number in inputs.values():
        POSTED[number] += 1
    return {correlation_id: f"ns-{number}" for correlation_id, number in inputs.items()}


@handles(Role.ERP, CANONICAL, batch=3)
@batch_flow("toy_batch_posting")
def toy_batch_posting(batch: Batch) -> None:
    numbers = batch.absorb(check({item.correlation_id: item.payload for item in batch.alive}))
    batch.absorb(post({cid: numbers[cid] for cid in (i.correlation_id for i in batch.alive)}))
