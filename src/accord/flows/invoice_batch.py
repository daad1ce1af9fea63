"""Invoice posting in batches: the handler of billing's finalized invoices.

The pump hands this flow up to ``[flows] invoice_batch`` finalized invoices per run (a lone
one starts at once, as a batch of one). Per run, the work of
:mod:`accord.flows.invoice_posting` is done for all of them with one checkpoint per step:

1. ``billing.read_invoice``, per billing instance: every invoice read and mapped under the
   active reference-data version, routed to its ERP instance, its customer looked up there,
   its business keys noted. An invoice that cannot be read or mapped (an unknown customer)
   gets its own exception; the others go on.
2. An invoice whose customer is not in its ERP yet is handed to the single-invoice flow,
   started as a child flow under the event's own flow id, which waits for the customer
   durably and posts it; the batch does not wait for it.
3. ``erp.post_invoice``, per ERP instance: one batch request for the rest (the ERP port's
   ``post_invoices``; each invoice upserted on its canonical id, with a per-invoice result;
   deferred lines name their deferred revenue accounts), then, in one transaction, the
   links billing and the ERP know each posted invoice by, the reference-data version it was
   mapped under and its revenue schedules. An invoice the ERP
   refuses (a closed period) gets its own exception.

Each invoice's timeline rows, business keys and milestone (``invoice_posted`` on the post)
are those of the single-invoice flow, under the invoice event's correlation id. Retrying
one invoice's exception, or replaying its correlation id, runs that invoice alone through
:func:`~accord.flows.invoice_posting.invoice_posting`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from accord.canonical.billing import Invoice
from accord.canonical.events import EventType
from accord.canonical.ids import EntityType
from accord.canonical.roles import Role
from accord.canonical.upcasting import load
from accord.engine import Milestone
from accord.engine.batch import Batch, BatchCall, batch_flow, batch_step, per_event
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.engine.timeline import record_keys
from accord.errors import AccordError, PermanentError
from accord.flows.invoice_posting import FLOW as SINGLE
from accord.flows.invoice_posting import (
    Posted,
    deferral_accounts,
    invoice_posting,
    read_keys,
    record_posted,
    route_invoice,
)
from accord.flows.keys import Key, required_key
from accord.flows.systems import flow_settings, systems
from accord.registry.xref import XrefConflictError, Xrefs

FLOW = "invoice_posting_batch"


def batch_size() -> int:
    """Invoices per run: ``[flows] invoice_batch``, read at each pump round."""
    return flow_settings().invoice_batch


@batch_step(Role.BILLING, "read_invoice", entity=Key.BILLING_INVOICE_ID)
def read_invoices(call: BatchCall, billing: str, invoice_ids: dict[str, str]
                  ) -> dict[str, Any]:
    """Each invoice as ``billing`` has it now, mapped and routed (what
    :func:`~accord.flows.invoice_posting.read_invoice` checkpoints for one), by correlation
    id; an invoice that fails is that event's error."""
    from accord.refdata.versions import active  # the refdata package reads the flows' models

    found = systems()
    adapter = found.billing(billing)
    database = current().database
    with database.session() as session:
        refdata = active(session)
        results = per_event(invoice_ids, lambda invoice_id: route_invoice(
            session, found, refdata, billing, invoice_id, adapter.read_invoice(invoice_id)),
            billing, calls=True)
    for correlation_id, read in results.items():
        if isinstance(read, dict):
            record_keys(database, correlation_id, read_keys(read))
    return results


@batch_step(Role.ERP, "post_invoice", entity=Key.BILLING_INVOICE_ID,
            milestone=Milestone.INVOICE_POSTED)
def post_invoices(call: BatchCall, erp: str, reads: dict[str, dict[str, Any]]
                  ) -> dict[str, Any]:
    """Upsert the invoices in ``erp`` in one batch request, then record what was posted
    (:func:`record_all`). A re-run after a crash sends the same request under the same
    idempotency key (the ERP answers with the first result) and records then."""
    invoices = per_event(reads, lambda read: load(Invoice, read["invoice"]), erp)
    valid = {cid: invoice for cid, invoice in invoices.items()
             if isinstance(invoice, Invoice)}
    postings = systems().erp(erp).post_invoices(
        list(valid.values()), idempotency_key=call.idempotency_key,
        accounts={invoice.id: deferred for cid, invoice in valid.items()
                  if (deferred := deferral_accounts(invoice, reads[cid].get("revenue")))
                  is not None})
    erp_ids: dict[str, str | AccordError] = {}
    for (correlation_id, invoice), posting in zip(valid.items(), postings, strict=True):
        erp_ids[correlation_id] = posting.erp_id if posting.error is None and posting.erp_id \
            else posting.error if isinstance(posting.error, AccordError) \
            else PermanentError(f"{erp} returned no id for invoice {invoice.id}: "
                                f"{posting.error}", system=erp)
    results: dict[str, Any] = {cid: error for cid, error in invoices.items()
                               if isinstance(error, AccordError)}
    posted: dict[str, Posted] = {}
    for correlation_id, erp_id in erp_ids.items():
        if isinstance(erp_id, AccordError):
            results[correlation_id] = erp_id
            continue
        read = reads[correlation_id]
        posted[correlation_id] = Posted(
            valid[correlation_id].id, read["billing"], read["billing_invoice_id"], erp_id,
            read.get("refdata_version"), correlation_id, tuple(read.get("revenue") or ()))
    for correlation_id, outcome in record_all(erp, posted).items():
        results[correlation_id] = outcome or posted[correlation_id].erp_id
    return results


def record_all(erp: str, posted: dict[str, Posted]) -> dict[str, AccordError | None]:
    """Links (billing's and the ERP's ids) and the reference-data version of every posted
    invoice in one transaction: one read of the links that exist, one insert of the new
    ones. If another flow writes one of them meanwhile (a payment posting an invoice whose
    own event was late), each invoice is recorded on its own. Per invoice: None, or the
    conflict that refused its links."""
    if not posted:
        return {}
    try:
        with current().database.session() as session:
            links = [link for item in posted.values() for link in item.links(erp)]
            refused = Xrefs(session).link_many(EntityType.INVOICE, links)
            outcomes: dict[str, AccordError | None] = {
                cid: refused[2 * n] or refused[2 * n + 1] for n, cid in enumerate(posted)}
            for cid, item in posted.items():
                if outcomes[cid] is None:
                    record_posted(session, erp, item)
        return outcomes
    except IntegrityError:
        return {cid: _record_one(erp, item) for cid, item in posted.items()}


def _record_one(erp: str, item: Posted) -> AccordError | None:
    for _attempt in range(2):  # a concurrent flow may write one of the links first
        try:
            with current().database.session() as session:
                xrefs = Xrefs(session)
                for canonical_id, system, system_id in item.links(erp):
                    xrefs.link(canonical_id, EntityType.INVOICE, system, system_id)
                record_posted(session, erp, item)
            return None
        except XrefConflictError as error:
            return error
        except IntegrityError:
            continue
    return XrefConflictError(f"{item.invoice_id}: its links kept changing under another "
                             "writer", system=erp)


@handles(Role.BILLING, EventType.INVOICE_FINALIZED, batch=batch_size)
@batch_flow(FLOW, single=invoice_posting, item_outcome="posted")
def invoice_posting_batch(batch: Batch) -> None:
    by_billing: dict[str, dict[str, str]] = {}
    for item in batch.alive:
        billing = item.system or systems().default(Role.BILLING)
        try:
            invoice_id = required_key(item.flow_input(), Key.BILLING_INVOICE_ID)
        except AccordError as error:
            batch.fail(item, error, SINGLE)
            continue
        by_billing.setdefault(billing, {})[item.correlation_id] = invoice_id
    reads: dict[str, dict[str, Any]] = {}
    for billing, invoice_ids in sorted(by_billing.items()):
        for correlation_id, read in batch.absorb(read_invoices(billing, invoice_ids)).items():
            reads[correlation_id] = {**read, "billing": billing,
                                     "billing_invoice_id": invoice_ids[correlation_id]}
    by_erp: dict[str, dict[str, dict[str, Any]]] = {}
    for item in batch.alive:
        read = reads[item.correlation_id]
        if read["erp_customer"] is None:
            batch.run_alone(item)  # waits for its customer durably, in its own flow
        else:
            by_erp.setdefault(str(read["erp"]), {})[item.correlation_id] = read
    for erp, ready in sorted(by_erp.items()):
        batch.absorb(post_invoices(erp, ready))


__all__ = ["FLOW", "batch_size", "invoice_posting_batch", "post_invoices", "read_invoices",
           "record_all"]
