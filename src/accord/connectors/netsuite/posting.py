"""Writing canonical documents to NetSuite: map, then upsert on the canonical id.

Each ``post_*`` is idempotent: replaying it (after a timeout, a crash, a redelivered event)
updates the same record instead of creating a second one. ``post_invoices`` posts many
invoices in REST batches, with one result (internal id or error) per invoice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from accord.canonical.billing import CreditNote, Invoice
from accord.canonical.catalog import Product
from accord.canonical.ledger import JournalEntry
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, Refund
from accord.connectors.netsuite import mapping
from accord.connectors.netsuite.client import BatchResult, NetSuiteClient
from accord.connectors.netsuite.refdata import RefData, load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.errors import AccordError, DataQualityError, Outcome, Team
from accord.resilience.limits import SlotGate


class PeriodResolver:
    """Canonical ``YYYY-MM`` -> accountingPeriod internal id: the reference data's explicit
    ids first, else a SuiteQL lookup by period name (cached)."""

    def __init__(self, client: NetSuiteClient, ref: RefData) -> None:
        self.client = client
        self.ref = ref
        self._cache: dict[str, str] = dict(ref.periods.ids)
        self._lock = threading.Lock()

    def __call__(self, period: str) -> str:
        with self._lock:
            if period in self._cache:
                return self._cache[period]
        name = self.ref.periods.name(period).replace("'", "''")
        flags = "isquarter = 'F' AND isyear = 'F'"
        query = f"SELECT id FROM accountingperiod WHERE periodname = '{name}' AND {flags}"  # noqa: S608
        rows = self.client.suiteql_page(query, limit=1).rows
        if not rows:
            raise DataQualityError("period", f"NetSuite has no accounting period {name!r}",
                                   owner=Team.FINANCE_OPERATIONS, system="netsuite")
        with self._lock:
            self._cache[period] = rows[0]["id"]
        return rows[0]["id"]


class NetSuitePoster:
    def __init__(self, client: NetSuiteClient, ref: RefData) -> None:
        self.client = client
        self.ref = ref
        self.periods = PeriodResolver(client, ref)

    @classmethod
    def from_settings(cls, settings: NetSuiteSettings, *, gate: SlotGate | None = None,
                      retry: bool = True) -> NetSuitePoster:
        """A poster with its own client (close ``poster.client`` when done) and the
        reference data named by ``settings.refdata_path`` (or the bundled v1). Inside engine
        steps pass ``retry=False``: the step's retry budget is the one retry layer."""
        return cls(NetSuiteClient(settings, gate=gate, retry=retry),
                   load_refdata(settings.refdata_path))

    def post_customer(self, customer: Customer) -> str:
        return self.client.upsert("customer", customer.id,
                                  mapping.customer_to_netsuite(customer, self.ref))

    def post_product(self, product: Product) -> str:
        record_type, body = mapping.product_to_netsuite(product, self.ref)
        return self.client.upsert(record_type, product.id, body)

    def post_invoice(self, invoice: Invoice, *,
                     accounts: Sequence[str | None] | None = None) -> str:
        return self.client.upsert("invoice", invoice.id,
                                  mapping.invoice_to_netsuite(invoice, self.ref,
                                                              accounts=accounts))

    def post_invoices(self, invoices: Sequence[Invoice], *, idempotency_key: str | None = None,
                      accounts: Mapping[str, Sequence[str | None]] | None = None
                      ) -> list[BatchResult]:
        """Upsert many invoices through REST batch operations; one result per invoice, in
        order. An invoice the mapping refuses gets its error without being sent; one refused
        by NetSuite does not affect the others. A single invoice is a plain upsert: one
        request, where a batch is an asynchronous job (submit, poll, read its task); its
        refusal is its result, a retryable failure is raised as a batch's would be.
        ``accounts``: by invoice id, the per-line accounts of :meth:`post_invoice`."""
        lines = accounts or {}
        results: dict[str, BatchResult] = {}
        bodies: list[tuple[str, dict[str, Any]]] = []
        for invoice in invoices:
            try:
                bodies.append((invoice.id, mapping.invoice_to_netsuite(
                    invoice, self.ref, accounts=lines.get(invoice.id))))
            except AccordError as error:
                results[invoice.id] = BatchResult(invoice.id, error=error)
        if len(bodies) == 1:
            (invoice,) = [found for found in invoices if found.id == bodies[0][0]]
            results[invoice.id] = self._post_one(invoice, lines.get(invoice.id))
        elif bodies:
            for result in self.client.upsert_batch("invoice", bodies,
                                                   idempotency_key=idempotency_key):
                results[result.external_id] = result
        return [results[invoice.id] for invoice in invoices]

    def _post_one(self, invoice: Invoice,
                  accounts: Sequence[str | None] | None) -> BatchResult:
        try:
            return BatchResult(invoice.id, internal_id=self.post_invoice(invoice,
                                                                         accounts=accounts))
        except AccordError as error:
            if error.outcome is Outcome.RETRY:
                raise
            return BatchResult(invoice.id, error=error)

    def post_credit_note(self, note: CreditNote, *, apply: bool = True,
                         accounts: Sequence[str | None] | None = None) -> str:
        return self.client.upsert("creditMemo", note.id,
                                  mapping.credit_note_to_netsuite(note, self.ref, apply=apply,
                                                                  accounts=accounts))

    def post_payment(self, payment: Payment) -> str:
        return self.client.upsert("customerPayment", payment.id,
                                  mapping.payment_to_netsuite(payment, self.ref))

    def post_refund(self, refund: Refund) -> str:
        return self.client.upsert("customerRefund", refund.id,
                                  mapping.refund_to_netsuite(refund, self.ref))

    def post_journal(self, entry: JournalEntry) -> str:
        body = mapping.journal_to_netsuite(entry, self.ref, period_id=self.periods(entry.period))
        return self.client.upsert("journalEntry", entry.id, body)


__all__ = ["NetSuitePoster", "PeriodResolver"]
