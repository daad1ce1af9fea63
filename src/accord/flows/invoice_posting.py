"""Invoice posting: each finalized billing invoice becomes one ERP invoice.

The ERP invoice's external id is a canonical id derived from the billing invoice, so
posting is an upsert: a redelivered or replayed event updates the same record. It goes to
the ERP instance the routing table names for the customer's legal entity, in its
subsidiary, in the invoice currency, in the period of its issue date, with the SKU
mapping's ERP items (and so their income accounts) and billing's tax lines. The SKU mapping
is the active reference-data version's (:mod:`accord.refdata.versions`), and the posting
records which version that was (:mod:`accord.refdata.usage`). The posting step reads the
invoice its read step checkpointed through :func:`accord.canonical.upcasting.load`, so a
flow that read an invoice before a new invoice schema version posts it after. Lines whose
SKU defers its revenue are posted deferred to the SKU's deferred revenue account, and their
revenue schedules are written with the posting (:mod:`accord.revenue`,
``docs/revenue.md``). If the customer
is not in the ERP yet the posting waits for it, durably; a closed period is refused by the
ERP and becomes an exception for finance operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.canonical.billing import Invoice
from accord.canonical.ids import EntityType
from accord.canonical.roles import Role
from accord.canonical.upcasting import load
from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.engine.context import current
from accord.engine.timeline import record_keys
from accord.errors import DataQualityError, Team
from accord.flows.catalog import product_for
from accord.flows.identities import invoice_id_for
from accord.flows.keys import Key, required_key
from accord.flows.links import await_link
from accord.flows.skus import SkuMapping
from accord.flows.systems import Systems, systems
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Link, Xrefs

if TYPE_CHECKING:
    from accord.refdata.versions import ActiveRefdata

FLOW = "invoice_posting"


def map_invoice(session: Session, found: Systems, skus: SkuMapping, billing: str,
                invoice_id: str, document: dict[str, Any]) -> Invoice:
    """The canonical invoice of a billing invoice: customer and subscription through the
    identity registry, legal entity from the golden customer, SKUs through ``skus`` to ERP
    items (also what a what-if re-maps a period's invoices with)."""
    adapter = found.billing(billing)
    refs = adapter.invoice_refs(document)
    xrefs = Xrefs(session)
    customer_id = xrefs.canonical_id(billing, EntityType.CUSTOMER, refs.customer)
    if customer_id is None:
        raise DataQualityError("customer", f"{billing} customer {refs.customer} is not "
                               "known to accord", owner=Team.MASTER_DATA, system=billing)
    golden = GoldenRecords(session, found.policy).current(customer_id)
    subscription_id = (xrefs.canonical_id(billing, EntityType.SUBSCRIPTION, refs.subscription)
                       if refs.subscription else None)
    sku_of_product: dict[str, str] = {}
    for sku, entry in skus.skus.items():
        billing_product = xrefs.system_id(product_for(sku, entry).id, billing)
        if billing_product:
            sku_of_product[billing_product] = entry.erp_item
    legal_entity = str((golden.data if golden else {}).get("legal_entity")
                       or refs.legal_entity or "")
    return adapter.to_invoice(
        document, canonical_id=invoice_id_for(billing, invoice_id), customer_id=customer_id,
        subscription_id=subscription_id, legal_entity=legal_entity,
        sku_of_product=sku_of_product)


def route_invoice(session: Session, found: Systems, refdata: ActiveRefdata, billing: str,
                  invoice_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """What reading one billing invoice checkpoints: the invoice mapped with the active
    reference-data version's SKU mapping, the ERP instance the routing table picks and the
    customer's id there (None while the customer is not in that ERP yet), and the revenue
    schedules of its deferred lines (:mod:`accord.revenue`)."""
    from accord.revenue.book import open_from
    from accord.revenue.schedules import plan_invoice

    invoice = map_invoice(session, found, refdata.bundle.skus, billing, invoice_id, document)
    mapped = invoice.model_dump(mode="json")
    erp = found.target(Role.ERP, mapped["legal_entity"], mapped["currency"])
    erp_customer = Xrefs(session).system_id(invoice.customer_id, erp)
    revenue = plan_invoice(invoice, refdata.bundle.skus,
                           open_from=open_from(session, invoice.legal_entity, invoice.currency))
    return {"invoice": mapped, "erp": erp, "erp_customer": erp_customer,
            "refdata_version": refdata.version,
            "revenue": [planned.model_dump(mode="json") for planned in revenue]}


def read_keys(read: dict[str, Any]) -> dict[str, str]:
    """The business keys a read invoice names (the timeline finds the posting by them)."""
    mapped = read["invoice"]
    return {Key.INVOICE_ID: mapped["id"], Key.CUSTOMER_ID: mapped["customer_id"],
            Key.REFDATA_VERSION: str(read["refdata_version"]),
            **({Key.INVOICE_NUMBER: mapped["number"]} if mapped.get("number") else {})}


@step(Role.BILLING, "read_invoice", entity=Key.BILLING_INVOICE_ID)
def read_invoice(call: StepCall, billing: str, invoice_id: str) -> dict[str, Any]:
    """The invoice as billing has it now, mapped, with where it goes.

    One checkpoint for the read and the work that only depends on it: the mapping
    (:func:`map_invoice`, with the active reference-data version's SKU mapping), the
    business keys it names, the ERP instance the routing table picks and the customer's id
    there (None while the customer is not in that ERP yet). A re-run after a crash reads and
    maps again, which changes nothing billing or the ERP hold; keys are idempotent rows."""
    from accord.refdata.versions import active  # the refdata package reads the flows' models

    found = systems()
    document = found.billing(billing).read_invoice(invoice_id)
    with current().database.session() as session:
        read = route_invoice(session, found, active(session), billing, invoice_id, document)
    record_keys(current().database, call.correlation_id, read_keys(read))
    return read


@dataclass(frozen=True)
class Posted:
    """One invoice the ERP holds now, and what accord records about it."""

    invoice_id: str
    billing: str
    billing_invoice_id: str
    erp_id: str
    refdata_version: int | None
    correlation_id: str
    revenue: tuple[dict[str, Any], ...] = ()
    """The invoice's planned revenue schedules (:mod:`accord.revenue`), as read."""

    def links(self, erp: str) -> list[Link]:
        return [(self.invoice_id, self.billing, self.billing_invoice_id),
                (self.invoice_id, erp, self.erp_id)]


def record_posted(session: Session, erp: str, posted: Posted) -> None:
    """The reference-data version ``posted`` was mapped under and its revenue schedules,
    once (its links recorded apart)."""
    from accord.refdata.usage import record_use
    from accord.revenue.book import record_schedules
    from accord.revenue.schedules import PlannedSchedule

    if posted.refdata_version is not None:
        record_use(session, canonical_id=posted.invoice_id,
                   entity_type=EntityType.INVOICE.value, system=erp,
                   system_id=posted.erp_id, version=posted.refdata_version,
                   correlation_id=posted.correlation_id)
    if posted.revenue:
        record_schedules(session, [PlannedSchedule.model_validate(item)
                                   for item in posted.revenue])


def deferral_accounts(invoice: Invoice, revenue: list[dict[str, Any]] | None
                      ) -> list[str | None] | None:
    """Per line of ``invoice``, the deferred revenue account its revenue schedule posts it
    to (None for a line that is income when invoiced); None when nothing is deferred."""
    from accord.revenue.schedules import PlannedSchedule, line_accounts

    planned = [PlannedSchedule.model_validate(item) for item in revenue or []]
    return line_accounts(invoice, planned) if planned else None


@step(Role.ERP, "post_invoice", entity=Key.BILLING_INVOICE_ID,
      milestone=Milestone.INVOICE_POSTED)
def post_invoice(call: StepCall, erp: str, invoice: dict[str, Any], billing: str,
                 billing_invoice_id: str, refdata_version: int | None = None,
                 revenue: list[dict[str, Any]] | None = None) -> str:
    """Upsert the invoice in the ERP (deferred lines to their deferred revenue account),
    then record that billing and the ERP know it (as ``billing_invoice_id`` and the ERP's
    id), which reference-data version it was mapped under and its revenue schedules, once. A
    crash between the upsert and the records re-runs the step: the upsert lands on the same
    record and the records are written then."""
    # ``invoice`` is read_invoice's checkpoint: a flow that read it before an upgrade of the
    # invoice schema (waiting for the customer, or forked by a replay) holds an older version
    canonical = load(Invoice, invoice)
    erp_id = systems().erp(erp).post_invoice(
        canonical, accounts=deferral_accounts(canonical, revenue))
    posted = Posted(canonical.id, billing, billing_invoice_id, erp_id, refdata_version,
                    call.correlation_id, tuple(revenue or ()))
    try:
        _link_all(canonical.id, posted.links(erp))
    except IntegrityError:
        _link_all(canonical.id, posted.links(erp))  # a concurrent flow wrote one of them first
    try:
        with current().database.session() as session:
            record_posted(session, erp, posted)
    except IntegrityError:  # a concurrent flow (a payment's) wrote the schedules first
        with current().database.session() as session:
            record_posted(session, erp, posted)
    return erp_id


def _link_all(canonical_id: str, links: list[Link]) -> None:
    with current().database.session() as session:
        xrefs = Xrefs(session)
        for _, system, system_id in links:
            xrefs.link(canonical_id, EntityType.INVOICE, system, system_id)


def post_billing_invoice(billing: str, invoice_id: str) -> dict[str, str]:
    """The posting's steps (also run by a payment flow whose invoice event is late): two
    checkpoints when the customer is in the ERP already, as it is once closed-won ran;
    otherwise a durable wait for it in between."""
    read = read_invoice(billing, invoice_id)
    invoice, erp = read["invoice"], str(read["erp"])
    if read["erp_customer"] is None:
        await_link(invoice["customer_id"], erp, "customer")
    posted = post_invoice(erp, invoice, billing, invoice_id, read.get("refdata_version"),
                          read.get("revenue"))
    return {"outcome": "posted", "invoice_id": invoice["id"], "erp_invoice": posted}


@flow(FLOW)
def invoice_posting(run: FlowInput) -> dict[str, str]:
    """One invoice: what :mod:`accord.flows.invoice_batch` hands an invoice to when its
    customer is not in the ERP yet, and what a retry or replay of one invoice runs."""
    billing = run.system or systems().default(Role.BILLING)
    return post_billing_invoice(billing, required_key(run, Key.BILLING_INVOICE_ID))


__all__ = [
    "FLOW",
    "Posted",
    "deferral_accounts",
    "invoice_posting",
    "map_invoice",
    "post_billing_invoice",
    "read_keys",
    "record_posted",
    "route_invoice",
]
