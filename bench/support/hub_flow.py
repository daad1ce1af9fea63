"""The hub benchmark's flows: post an invoice to NetSuite, then record the cross-reference.

Two registrations of the same work, so one worker serves both modes:

* ``hubsingle`` / ``invoice.ready``: one flow per event (two steps: the NetSuite upsert, the
  xref row).
* ``hubbatch`` / ``invoice.ready``: a batch flow over up to ``BENCH_HUB_BATCH`` events (default
  100): one REST batch upsert to NetSuite for all of them (per-invoice results), then one xref
  step for those NetSuite accepted.

The customers exist in NetSuite beforehand (customer sync's job in the product). NetSuite
settings come from ``ACCORD_NETSUITE_*``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import IntegrityError

from accord.canonical import Invoice
from accord.canonical.ids import EntityType
from accord.connectors.base import InboundEvent
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.batch import Batch, BatchCall, batch_flow, batch_step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery
from accord.errors import AccordError, DataQualityError, Team
from accord.registry.xref import XrefConflictError, Xrefs
from accord.store.models import Xref, utcnow

EVENT_TYPE = "invoice.ready"
SINGLE = "hubsingle"
BATCHED = "hubbatch"
BATCH = int(os.environ.get("BENCH_HUB_BATCH", "100"))

_poster: NetSuitePoster | None = None
_lock = threading.Lock()


def poster() -> NetSuitePoster:
    global _poster
    with _lock:
        if _poster is None:
            _poster = NetSuitePoster.from_settings(NetSuiteSettings())
        return _poster


def describe(event: InboundEvent) -> Delivery:
    invoice = event.payload["invoice"]
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=dict(event.payload),
                    occurred_at=event.occurred_at,
                    keys={"invoice_number": invoice["number"], "invoice_id": invoice["id"]})


# -- one flow per event ---------------------------------------------------------------------
@step("netsuite", "upsert_invoice", entity="invoice_number")
def post_invoice(_call: StepCall, invoice: dict[str, Any]) -> str:
    return poster().post_invoice(Invoice.model_validate(invoice))


@step("accord", "link")
def link(_call: StepCall, invoice_id: str, netsuite_id: str) -> None:
    with current().database.session() as session:
        Xrefs(session).link(invoice_id, EntityType.INVOICE, "netsuite", netsuite_id)


@handles(SINGLE, EVENT_TYPE, describe=describe)
@flow("hub_invoice_posting")
def hub_invoice_posting(run: FlowInput) -> str:
    netsuite_id = post_invoice(run.payload["invoice"])
    link(run.payload["invoice"]["id"], netsuite_id)
    return netsuite_id


# -- batches ----------------------------------------------------------------------------------
@batch_step("netsuite", "upsert_invoices", entity="invoice_number")
def post_invoices(call: BatchCall, invoices: dict[str, dict[str, Any]]
                  ) -> dict[str, str | AccordError]:
    results: dict[str, str | AccordError] = {}
    models: dict[str, Invoice] = {}
    for correlation_id, data in invoices.items():
        try:
            models[correlation_id] = Invoice.model_validate(data)
        except ValidationError as error:
            where = ".".join(str(part) for part in error.errors()[0]["loc"]) or "invoice"
            results[correlation_id] = DataQualityError(where, error.errors()[0]["msg"],
                                                       owner=Team.MASTER_DATA, system="accord")
    posted = poster().post_invoices(list(models.values()),
                                    idempotency_key=call.idempotency_key)
    for correlation_id, result in zip(models, posted, strict=True):
        results[correlation_id] = (result.internal_id if result.ok and result.internal_id
                                   else result.error or AccordError("no result"))
    return results


@batch_step("accord", "link_invoices")
def link_invoices(_call: BatchCall, pairs: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Record the xrefs of a batch: one read of the links that exist, one insert of the new
    ones (a link recorded before is a no-op, a contradicting one an error for its event);
    on a race with another writer, falls back to linking one by one."""
    invoice_ids = [invoice_id for invoice_id, _ in pairs.values()]
    netsuite_ids = [netsuite_id for _, netsuite_id in pairs.values()]
    try:
        with current().database.session() as session:
            found = session.execute(select(Xref.canonical_id, Xref.system_id).where(
                Xref.system == "netsuite", or_(
                    Xref.canonical_id.in_(invoice_ids),
                    and_(Xref.entity_type == EntityType.INVOICE.value,
                         Xref.system_id.in_(netsuite_ids))))).all()
            by_canonical = {row.canonical_id: row.system_id for row in found}
            by_system = {row.system_id: row.canonical_id for row in found}
            results: dict[str, Any] = {}
            rows = []
            for correlation_id, (invoice_id, netsuite_id) in pairs.items():
                if by_canonical.get(invoice_id) == netsuite_id:
                    results[correlation_id] = True
                elif invoice_id in by_canonical or netsuite_id in by_system:
                    results[correlation_id] = XrefConflictError(
                        f"{invoice_id} / netsuite {netsuite_id} contradicts a recorded link",
                        system="accord")
                else:
                    by_canonical[invoice_id], by_system[netsuite_id] = netsuite_id, invoice_id
                    rows.append({"canonical_id": invoice_id, "system": "netsuite",
                                 "entity_type": EntityType.INVOICE.value,
                                 "system_id": netsuite_id, "created_at": utcnow()})
                    results[correlation_id] = True
            if rows:
                session.execute(insert(Xref), rows)
            return results
    except IntegrityError:
        pass
    results = {}
    for correlation_id, (invoice_id, netsuite_id) in pairs.items():
        try:
            with current().database.session() as session:
                Xrefs(session).link(invoice_id, EntityType.INVOICE, "netsuite", netsuite_id)
            results[correlation_id] = True
        except AccordError as error:
            results[correlation_id] = error
    return results


@handles(BATCHED, EVENT_TYPE, describe=describe, batch=BATCH)
@batch_flow("hub_invoice_posting_batch")
def hub_invoice_posting_batch(batch: Batch) -> None:
    posted = batch.absorb(post_invoices({item.correlation_id: item.payload["invoice"]
                                         for item in batch.alive}))
    batch.absorb(link_invoices({item.correlation_id: (item.payload["invoice"]["id"],
                                                      posted[item.correlation_id])
                                for item in batch.alive}))
